"""Stack Exchange data dumps -> one candidate per answered question (the question and its top answer).

Accepted inputs: a per-site archive as published (``cooking.stackexchange.com.7z``, Stack Overflow's
split ``stackoverflow.com-Posts.7z``), an extracted site folder holding ``Posts.xml``, or a bare
``Posts.xml`` (the site is then the name of its folder). A folder of such inputs expands into one
unit per site.

One streaming pass over ``Posts.xml``: an lxml parser *target* receives each ``<row>`` as it is
parsed, so no tree is built and memory does not grow with the rows already read. Only what the join
needs stays in memory, as numbers in arrays (per question: its id, score, closed flag, where its
texts sit in a spill file, and its best answer so far). A question's texts go to an anonymous
temporary file in zstd-compressed blocks; an answer's only when its score can pass the gate. HTML
is converted to markdown only at the end and only for answers that pass the score gate, the one
part of the work that costs more than parsing.

Dialogue chains (``dialogue_chains = true``): after the Posts.xml pass, a second streaming pass over
the same unit's ``Comments.xml`` keeps only the comments under answers that passed the score gate,
and each such answer whose comments form a conversation between the asker and the answerer yields a
second candidate, subset ``dialogue``: the question (title, then body), the answer, then the
follow-ups, alternating user (the asker's comments) and assistant (the answerer's replies). The
rules, applied to the answer's comments in time order:

1. the asker and the answerer must both be known (``OwnerUserId``) and be different people;
2. the thread must open with the asker; it ends at the first comment by anyone else (a third voice
   means the replies may not answer the asker), or at an answerer's comment before any asker's;
3. consecutive comments by one person make one turn;
4. each turn is cleaned: leading ``@name`` mentions dropped, ``[text](url)`` links become their
   text, sentences holding a bare URL dropped, spacing collapsed;
5. a turn must keep ``chain_min_chars`` characters and ``chain_min_words`` words besides courtesy
   phrases ("thanks", "got it", ...), and an asker's turn must ask something (a "?"); the chain
   ends before the first turn that fails;
6. at most ``chain_max_follow_ups`` follow-up pairs; a last asker's turn without a reply is dropped,
   and a chain needs at least one follow-up pair.

The question and answer of a chain pass through the recipe's filters like the single-turn
candidate's (the build judges a chain by its first exchange).
"""

from __future__ import annotations

import re
import tempfile
from array import array
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from lxml import etree

from .. import sevenzip
from ..errors import InputError
from ..filters import phrase_pattern
from ..markup import html_to_markdown
from ..records import Candidate, chat, rng_for

NAME = "stackexchange"
VERSION = 3

POSTS = "Posts.xml"
COMMENTS = "Comments.xml"
CHUNK = 1 << 20
QUESTION, ANSWER = "1", "2"


@dataclass(frozen=True)
class Settings:
    """The recipe's ``[stackexchange]`` table."""

    site_list: dict[str, str] = field(default_factory=dict)  # site -> stem | other | excluded
    excluded_patterns: tuple[str, ...] = ("meta.*", "*.meta.stackexchange.com")
    min_answer_score: int = 10  # answers below it are never converted (the filter drops them)
    title_prompt_share: float = 0.5  # chance that the prompt is the title rather than the body
    drop_post_ids: tuple[int, ...] = (1000000001, 1000000010)  # planted fake posts in current dumps
    dialogue_chains: bool = False  # also read Comments.xml and yield dialogue chains (see the module notes)
    chain_min_chars: int = 20  # a follow-up turn's length after cleaning
    chain_min_words: int = 4  # words a turn must have besides courtesy phrases
    chain_max_follow_ups: int = 4  # follow-up pairs (asker, answerer) kept after the answer
    chain_courtesy_phrases: tuple[str, ...] = (
        "thanks", "thank you", "thanks a lot", "many thanks", "thx", "cheers", "much appreciated", "appreciate it",
        "you're welcome", "no problem", "glad it helped", "glad to help", "great", "perfect", "awesome", "nice",
        "cool", "got it", "ok", "okay",
    )


def site_of(path: Path) -> str:
    """``cooking.stackexchange.com.7z`` -> ``cooking.stackexchange.com``; ``stackoverflow.com-Posts.7z``
    -> ``stackoverflow.com``; a folder or its ``Posts.xml`` -> the folder's name."""
    if path.name == POSTS:
        path = path.parent
    name = path.name
    if name.endswith(".7z"):
        name = name[: -len(".7z")]
    if name.endswith("-Posts"):
        name = name[: -len("-Posts")]
    return name.lower()


def subset_of(site: str, settings: Settings) -> str:
    """``se_stem``, ``se_other``, ``excluded`` or ``unknown`` (reported by the build, never guessed)."""
    from fnmatch import fnmatchcase

    if any(fnmatchcase(site, pattern) for pattern in settings.excluded_patterns):
        return "excluded"
    kind = settings.site_list.get(site)
    if kind is None:
        return "unknown"
    return "excluded" if kind == "excluded" else f"se_{kind}"


def units(path: Path) -> list[Path]:
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if path.is_file():
        if path.name == POSTS or path.suffix == ".7z":
            return [path]
        raise InputError(path, "not a Stack Exchange dump: expected a site .7z, a site folder or Posts.xml")
    if (path / POSTS).is_file():
        return [path]
    found = sorted(
        [p for p in path.iterdir() if p.suffix == ".7z" and (p.name.endswith("-Posts.7z") or "-" not in p.name)]
        + [p for p in path.iterdir() if p.is_dir() and (p / POSTS).is_file()]
    )
    if not found:
        raise InputError(path, "no site archive (*.7z) or site folder with Posts.xml found")
    return found


def files(unit: Path, settings: Settings | None = None) -> list[Path]:
    """What a unit's candidates depend on: the archive, or the site's Posts.xml, and with dialogue
    chains the Comments.xml beside it (Stack Overflow's ``-Comments.7z``) when there is one."""
    found = [posts_path(unit)]
    if settings is not None and settings.dialogue_chains:
        comments = comments_path(unit)
        if comments not in found and comments.is_file():
            found.append(comments)
    return found


def read(unit: Path, settings: Settings, seed: int, skipped: Counter) -> Iterator[Candidate]:
    site = site_of(unit)
    subset = subset_of(site, settings)
    with tempfile.TemporaryFile(buffering=CHUNK) as questions, tempfile.TemporaryFile(buffering=CHUNK) as answers:
        join = PostJoin(settings, questions, answers, skipped)
        feed_posts(unit, join)
        yield from join.candidates(site, subset, seed)
        if settings.dialogue_chains and subset.startswith("se_"):
            threads = CommentThreads(join.chain_answers())
            if feed_comments(unit, threads):
                yield from join.chains(site, threads)
            else:
                skipped["no_comments_file"] += 1


# -- reading Posts.xml ------------------------------------------------------------------------------


def feed_posts(unit: Path, join: "PostJoin") -> None:
    """Stream the site's Posts.xml through an lxml target parser that calls ``join.start``."""
    feed_xml(posts_path(unit), POSTS, join)


def feed_comments(unit: Path, threads: "CommentThreads") -> bool:
    """Stream the unit's Comments.xml the same way; False when the unit has none."""
    source = comments_path(unit)
    if not source.is_file():
        return False
    return feed_xml(source, COMMENTS, threads, required=False)


def feed_xml(source: Path, name: str, target: object, required: bool = True) -> bool:
    """Feed one table (a plain file, or the member ``name`` of a .7z) to an lxml target parser."""
    # Entities must be resolved: with resolve_entities=False libxml2 hands "&amp;" in an attribute
    # to the target as "&#38;", so escaped HTML would keep literal "&quot;". The dumps carry no DTD,
    # no_network forbids external ones, and without huge_tree libxml2 keeps its limits on entity
    # expansion and node size (a body is at most tens of kilobytes).
    parser = etree.XMLParser(target=target, resolve_entities="internal", no_network=True)
    try:
        if source.suffix == ".7z":
            if not feed_from_7z(source, parser, name, required):
                return False
        else:
            with open(source, "rb") as handle:
                while block := handle.read(CHUNK):
                    parser.feed(block)
        parser.close()
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else None
        where = source if source.suffix != ".7z" or name == POSTS else f"{source}/{name}"
        raise InputError(where, f"not well-formed XML ({error.msg})", line) from None
    return True


def feed_from_7z(archive: Path, parser: etree.XMLParser, name: str, required: bool) -> bool:
    """Decompress the member ``name`` into the parser in bounded blocks, the decompressor running
    beside the parser (``sevenzip.open_member``); False when it is absent and not required."""
    member = sevenzip.find_member(archive, name)
    if member is None:
        if not required:
            return False
        raise InputError(archive, f"archive holds no {name}")
    fed = 0
    with sevenzip.open_member(archive, member) as blocks:
        for block in blocks:
            parser.feed(block)
            fed += len(block)
    if fed == 0:
        raise InputError(archive, f"archive holds an empty or unreadable {name}")
    return True


def posts_path(unit: Path) -> Path:
    if unit.suffix == ".7z":
        return unit
    return unit if unit.name == POSTS else unit / POSTS


def comments_path(unit: Path) -> Path:
    """A site archive holds its comments; Stack Overflow's ``-Posts.7z`` has a ``-Comments.7z``
    beside it; a folder or a bare Posts.xml has Comments.xml beside Posts.xml."""
    if unit.suffix == ".7z":
        if unit.name.endswith("-Posts.7z"):
            return unit.with_name(unit.name[: -len("-Posts.7z")] + "-Comments.7z")
        return unit
    return posts_path(unit).with_name(COMMENTS)


# -- joining questions to their top answer ---------------------------------------------------------


@dataclass(slots=True)
class _Question:
    """A question as the candidates need it, read back from the spill file."""

    id: int
    score: int
    title: str
    tags: str
    closed: bool
    licence: str
    body: str  # HTML
    owner: str  # OwnerUserId ("" when the user is deleted): who the asker is in a dialogue chain


@dataclass(slots=True)
class _Answer:
    score: int
    id: int
    licence: str
    body: str | None  # HTML, kept only when the score can pass the gate
    owner: str


FIELD_SEP = "\x00"  # cannot occur in XML text, so it separates spilled fields safely
ID_LIMIT = 1 << 62  # ids and scores beyond this are not numbers a dump holds (and would not fit an array)
NO_ANSWER = 0  # a_id of a question no answer has been joined to yet (post ids start at 1)


class _RowTarget:
    """An lxml parser target that only cares about ``<row>`` start tags (subclasses define ``start``)."""

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class BlockSpill:
    """Texts appended to a temporary file in blocks of about 1 MiB, each compressed with zstd (texts
    read back are a few percent of those written, and a block costs ~3-4x less disk than its text).
    A text is addressed by ``at`` (block number << 21 | offset in the block) and its length. Reads
    in the order of writing decompress each block once."""

    BLOCK = 1 << 20
    OFFSET_BITS = 21

    def __init__(self, file: BinaryIO):
        import zstandard

        self.file = file
        self.buffer = bytearray()
        self.starts = array("q")  # file offset of each block written
        self.written = 0
        self.compress = zstandard.ZstdCompressor(level=1).compress
        self.decompress = zstandard.ZstdDecompressor().decompress
        self.cached: tuple[int, bytes] = (-1, b"")

    def append(self, data: bytes) -> int:
        if self.buffer and len(self.buffer) + len(data) > self.BLOCK:
            self.flush()
        at = (len(self.starts) << self.OFFSET_BITS) | len(self.buffer)
        self.buffer += data
        return at

    def flush(self) -> None:
        if self.buffer:
            block = self.compress(bytes(self.buffer))
            if self.cached[0] >= 0:  # a block was read since the last write
                self.file.seek(self.written)
            self.file.write(block)
            self.starts.append(self.written)
            self.written += len(block)
            self.buffer.clear()

    def read(self, at: int, length: int) -> bytes:
        number, offset = at >> self.OFFSET_BITS, at & ((1 << self.OFFSET_BITS) - 1)
        if number == len(self.starts):
            return bytes(self.buffer[offset : offset + length])
        if self.cached[0] != number:
            end = self.starts[number + 1] if number + 1 < len(self.starts) else self.written
            self.file.seek(self.starts[number])
            self.cached = (number, self.decompress(self.file.read(end - self.starts[number])))
        return self.cached[1][offset : offset + length]


class PlainSpill:
    """Texts appended to a temporary file as they are (answers past the score gate: few, and read
    back in another order than written)."""

    def __init__(self, file: BinaryIO):
        self.file = file
        self.written = 0
        self.at_end = True  # a seek flushes the write buffer: only seek back after a read

    def append(self, data: bytes) -> int:
        if not self.at_end:
            self.file.seek(self.written)
            self.at_end = True
        self.file.write(data)
        self.written += len(data)
        return self.written - len(data)

    def read(self, at: int, length: int) -> bytes:
        self.at_end = False
        self.file.seek(at)
        return self.file.read(length)


class PostJoin(_RowTarget):
    """lxml parser target: keeps what the question/answer join needs, spills texts to disk.

    Memory holds numbers only, in parallel arrays with one row per question (about 70 bytes a
    question): the questions' ids in arrival order, which in a dump is ascending, so a question is
    found by bisection; its score, closed flag
    and where its texts sit in the question spill; and its best answer so far (score, id, where its
    texts sit, or -1 when the answer is under the score gate and its text was never kept). An answer
    whose question comes later (moved there by a merge) waits in ``pending`` until the end.
    """

    def __init__(self, settings: Settings, question_spill: BinaryIO, answer_spill: BinaryIO, skipped: Counter):
        self.settings = settings
        self.drop_ids = frozenset(settings.drop_post_ids)
        self.question_texts = BlockSpill(question_spill)
        self.answer_texts = PlainSpill(answer_spill)
        self.skipped = skipped
        self.q_ids, self.q_score, self.q_closed, self.q_at, self.q_len = array("q"), array("q"), bytearray(), array("q"), array("q")
        self.a_score, self.a_id, self.a_at, self.a_len = array("q"), array("q"), array("q"), array("q")
        self.out_of_order: dict[int, int] = {}  # question id -> row, for the rare question not in ascending order
        self.out_of_order_ids: dict[int, int] = {}  # and row -> question id
        self.pending: dict[int, tuple[int, int, int, int]] = {}  # question id not seen yet -> its best answer
        self.latest = ""

    def start(self, tag: str, attrib) -> None:
        """Parser target callback, once per element: the hot path, so it does as little as it can."""
        if tag != "row":
            return
        kind = attrib.get("PostTypeId")
        if kind != QUESTION and kind != ANSWER:
            return
        try:
            post_id = int(attrib["Id"])
            score = int(attrib["Score"])
        except (KeyError, ValueError):
            self.skipped["invalid_id_or_score"] += 1
            return
        if not (0 < post_id < ID_LIMIT and -ID_LIMIT < score < ID_LIMIT):
            self.skipped["invalid_id_or_score"] += 1
            return
        if post_id in self.drop_ids:
            self.skipped["planted_post"] += 1
            return
        body = attrib.get("Body")
        if body is None:
            self.skipped["missing_body"] += 1
            return
        created = attrib.get("CreationDate", "")
        if created > self.latest:
            self.latest = created
        if kind == QUESTION:
            self.add_question(post_id, score, body, attrib)
        else:
            self.add_answer(post_id, score, body, attrib)

    def row_of(self, question_id: int) -> int | None:
        ids = self.q_ids
        at = bisect_left(ids, question_id)
        if at < len(ids) and ids[at] == question_id and at not in self.out_of_order_ids:
            return at
        return self.out_of_order.get(question_id) if self.out_of_order else None

    def add_question(self, post_id: int, score: int, body: str, attrib) -> None:
        title = attrib.get("Title")
        if not title:
            self.skipped["missing_title"] += 1
            return
        if attrib.get("AnswerCount", "1") == "0":
            self.skipped["unanswered_question"] += 1
            return
        ids = self.q_ids
        if ids and post_id <= ids[-1]:
            if self.row_of(post_id) is not None:
                self.skipped["duplicate_question_id"] += 1
                return
            # keep q_ids ascending for bisection: the row repeats the last id, its own is kept aside
            self.out_of_order[post_id] = len(ids)
            self.out_of_order_ids[len(ids)] = post_id
            ids.append(ids[-1])
        else:
            ids.append(post_id)
        text = FIELD_SEP.join((title, attrib.get("Tags", ""), attrib.get("ContentLicense", ""), attrib.get("OwnerUserId", ""), body))
        data = text.encode("utf-8")
        self.q_at.append(self.question_texts.append(data))
        self.q_len.append(len(data))
        self.q_score.append(score)
        self.q_closed.append("ClosedDate" in attrib)
        self.a_score.append(0)
        self.a_id.append(NO_ANSWER)
        self.a_at.append(-1)
        self.a_len.append(0)

    def add_answer(self, post_id: int, score: int, body: str, attrib) -> None:
        try:
            parent = int(attrib["ParentId"])
        except (KeyError, ValueError):
            self.skipped["invalid_parent"] += 1
            return
        if parent in self.drop_ids:
            self.skipped["planted_post"] += 1
            return
        row = self.row_of(parent)
        if row is None:
            if self.q_ids and parent < self.q_ids[-1]:
                return  # its question is not in the dump, or was skipped above (and counted there)
            best = self.pending.get(parent)
            if best is None or (best[0], -best[1]) < (score, -post_id):
                self.pending[parent] = (score, post_id, *self.keep_answer(score, body, attrib))
            return
        if self.a_id[row] != NO_ANSWER and (self.a_score[row], -self.a_id[row]) >= (score, -post_id):
            return
        self.a_score[row], self.a_id[row] = score, post_id
        self.a_at[row], self.a_len[row] = self.keep_answer(score, body, attrib)

    def keep_answer(self, score: int, body: str, attrib) -> tuple[int, int]:
        """Where the answer's texts are spilled; (-1, 0) under the gate: they can never be chosen."""
        if score < self.settings.min_answer_score:
            return -1, 0
        data = FIELD_SEP.join((attrib.get("ContentLicense", ""), attrib.get("OwnerUserId", ""), body)).encode("utf-8")
        return self.answer_texts.append(data), len(data)

    def join_pending(self) -> None:
        """Answers that arrived before their question: joined once every question is known."""
        for parent, (score, post_id, at, length) in sorted(self.pending.items()):
            row = self.row_of(parent)
            if row is None:
                continue
            if self.a_id[row] == NO_ANSWER or (self.a_score[row], -self.a_id[row]) < (score, -post_id):
                self.a_score[row], self.a_id[row], self.a_at[row], self.a_len[row] = score, post_id, at, length
        self.pending.clear()
        self.question_texts.flush()

    def rows_in_id_order(self) -> Iterator[int]:
        if not self.out_of_order:
            yield from range(len(self.q_ids))
            return
        yield from sorted(range(len(self.q_score)), key=self.question_id)

    def question_id(self, row: int) -> int:
        return self.out_of_order_ids.get(row, self.q_ids[row]) if self.out_of_order_ids else self.q_ids[row]

    def question(self, row: int) -> _Question:
        text = self.question_texts.read(self.q_at[row], self.q_len[row]).decode("utf-8")
        title, tags, licence, owner, body = text.split(FIELD_SEP)
        return _Question(self.question_id(row), self.q_score[row], title, tags, bool(self.q_closed[row]), licence, body, owner)

    def answer(self, row: int) -> _Answer:
        if self.a_at[row] < 0:
            return _Answer(self.a_score[row], self.a_id[row], "", None, "")
        licence, owner, body = self.answer_texts.read(self.a_at[row], self.a_len[row]).decode("utf-8").split(FIELD_SEP)
        return _Answer(self.a_score[row], self.a_id[row], licence, body, owner)

    def candidates(self, site: str, subset: str, seed: int) -> Iterator[Candidate]:
        """One candidate per question that has an answer, in question-id order.

        A question whose top answer is under the score gate can only be rejected (the chain starts
        with ``answer_score``), so it becomes a bare candidate: ids, scores and url for its line in
        the rejects, no texts read back, nothing converted. On real sites that is most questions.
        """
        self.join_pending()
        for row in self.rows_in_id_order():
            if self.a_id[row] == NO_ANSWER:
                self.skipped["unanswered_question"] += 1
                continue
            if self.a_at[row] < 0:
                yield self.below_gate(site, subset, row)
                continue
            question, answer = self.question(row), self.answer(row)
            prompt_is_title = rng_for(seed, NAME, site, question.id).random() < self.settings.title_prompt_share
            prompt = question.title if prompt_is_title else html_to_markdown(question.body)
            yield Candidate(
                id=f"{NAME}/{site}/q{question.id}-a{answer.id}",
                source=NAME,
                subset=subset,
                group=site,
                messages=chat(prompt, html_to_markdown(answer.body)),
                rank=question.score,
                meta={**self.meta(site, question, answer), "prompt_from": "title" if prompt_is_title else "body"},
            )

    def below_gate(self, site: str, subset: str, row: int) -> Candidate:
        question_id, score, answer_id = self.question_id(row), self.q_score[row], self.a_id[row]
        return Candidate(
            id=f"{NAME}/{site}/q{question_id}-a{answer_id}",
            source=NAME,
            subset=subset,
            group=site,
            messages=(),
            rank=score,
            meta={"url": f"https://{site}/questions/{question_id}", "site": site, "question_id": question_id,
                  "answer_id": answer_id, "question_score": score, "answer_score": self.a_score[row]},
        )

    def meta(self, site: str, question: _Question, answer: _Answer) -> dict[str, Any]:
        return {
            "url": f"https://{site}/questions/{question.id}",
            "answer_url": f"https://{site}/a/{answer.id}",
            "site": site,
            "question_id": question.id,
            "answer_id": answer.id,
            "question_score": question.score,
            "answer_score": answer.score,
            "title": question.title,
            "tags": parse_tags(question.tags),
            "closed": question.closed,
            "licence": answer.licence or question.licence,
            "dump_date": self.latest[:10],
        }

    def chain_answers(self) -> dict[int, int]:
        """Answer id -> question row, for the answers whose comments can make a chain: past the score
        gate, with a known asker and answerer who are different people."""
        found = {}
        for row in self.rows_in_id_order():
            if self.a_at[row] < 0:
                continue
            answer = self.answer(row)
            if not answer.owner:
                continue
            asker = self.question(row).owner
            if asker and asker != answer.owner:
                found[answer.id] = row
        return found

    def chains(self, site: str, threads: "CommentThreads") -> Iterator[Candidate]:
        """One dialogue candidate per answer whose comment thread makes a chain, in question-id order."""
        for _, row, answer_id in sorted((self.question_id(threads.wanted[a]), threads.wanted[a], a) for a in threads.comments):
            question, answer = self.question(row), self.answer(row)
            turns, used = chain_turns(threads.comments[answer_id], question.owner, answer.owner, self.settings)
            if not turns:
                self.skipped["comments_without_chain"] += 1
                continue
            prompt = question.title + "\n\n" + html_to_markdown(question.body)
            response = html_to_markdown(answer.body)  # type: ignore[arg-type]
            yield Candidate(
                id=f"{NAME}/{site}/q{question.id}-a{answer.id}-chain",
                source=NAME,
                subset="dialogue",
                group=site,
                messages=chat(prompt, response, *turns),
                rank=question.score,
                meta={**self.meta(site, question, answer), "prompt_from": "title+body", "comment_ids": used},
            )


# -- dialogue chains from Comments.xml -------------------------------------------------------------


@dataclass(slots=True)
class _Comment:
    id: int
    created: str
    user: str
    text: str


class CommentThreads(_RowTarget):
    """lxml parser target over Comments.xml: keeps the comments under the answers asked for."""

    def __init__(self, answers: dict[int, int]):
        self.wanted = answers
        self.comments: dict[int, list[_Comment]] = {}

    def start(self, tag: str, attrib) -> None:
        if tag != "row":
            return
        try:
            post_id = int(attrib.get("PostId", ""))
        except ValueError:
            return
        if post_id not in self.wanted:
            return
        try:
            comment_id = int(attrib["Id"])
        except (KeyError, ValueError):
            return
        comment = _Comment(comment_id, attrib.get("CreationDate", ""), attrib.get("UserId", ""), attrib.get("Text", ""))
        self.comments.setdefault(post_id, []).append(comment)


MENTIONS = re.compile(r"^(?:\s*@[\w.\-]+[,:]?)+\s*")
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\((?:https?://|/)[^)\s]*\)")
BARE_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WORD = re.compile(r"\w+")


def chain_turns(comments: list[_Comment], asker: str, answerer: str, settings: Settings) -> tuple[list[str], list[int]]:
    """The follow-up turns (asker, answerer, asker, ...) a comment thread gives, and the comment ids
    used; ([], []) when it gives no complete follow-up pair. The rules are in the module notes."""
    groups: list[tuple[str, list[_Comment]]] = []
    for comment in sorted(comments, key=lambda c: (c.created, c.id)):
        role = "user" if comment.user == asker else "assistant" if comment.user == answerer else None
        if role is None or (not groups and role != "user"):
            break
        if groups and groups[-1][0] == role:
            groups[-1][1].append(comment)
        else:
            groups.append((role, [comment]))
    courtesy = phrase_pattern(settings.chain_courtesy_phrases)
    kept: list[tuple[str, list[int]]] = []
    for role, group in groups[: 2 * settings.chain_max_follow_ups]:
        text = "\n\n".join(part for part in (clean_comment(c.text) for c in group) if part)
        if not good_turn(text, role, courtesy, settings):
            break
        kept.append((text, [c.id for c in group]))
    kept = kept[: len(kept) - len(kept) % 2]  # end on the answerer's reply
    return [text for text, _ in kept], [i for _, ids in kept for i in ids]


def clean_comment(text: str) -> str:
    """Leading @mentions off, markdown links to their text, sentences with a bare URL dropped."""
    text = MARKDOWN_LINK.sub(r"\1", MENTIONS.sub("", text.strip()))
    sentences = [s for s in SENTENCE_END.split(" ".join(text.split())) if s and not BARE_URL.search(s)]
    return " ".join(sentences).strip()


def good_turn(text: str, role: str, courtesy: re.Pattern[str] | None, settings: Settings) -> bool:
    if len(text) < settings.chain_min_chars:
        return False
    substance = courtesy.sub(" ", text) if courtesy else text
    if len(WORD.findall(substance)) < settings.chain_min_words:
        return False
    return role != "user" or "?" in text


def parse_tags(tags: str) -> list[str]:
    """Both dump formats: ``<a><b>`` (older) and ``|a|b|`` (newer)."""
    if tags.startswith("<"):
        return [tag for tag in tags[1:-1].split("><") if tag]
    return [tag for tag in tags.split("|") if tag]
