"""Stack Exchange data dumps -> one candidate per answered question (the question and its top answer).

Accepted inputs: a per-site archive as published (``cooking.stackexchange.com.7z``; Stack Overflow as
one ``stackoverflow.com.7z`` of every table since 2024, or the older split ``stackoverflow.com-Posts.7z``), an extracted site folder holding ``Posts.xml``, or a bare
``Posts.xml`` (the site is then the name of its folder). A folder of such inputs expands into one
unit per site.

The site is told by the unit's name: the host itself, or a name that means exactly one site of the
site list (``stackexchange_quantumcomputing``, ``quantumcomputing``,
``quantumcomputing.stackexchange.com_2024``; ``site_matches``), or the name the user gave on
``--input stackexchange:HOST=PATH`` (``Settings.site_name``). A name that means no site, or several,
leaves the unit's candidates "unknown": counted, never guessed, and ``why_empty`` tells the user
what to rename or name.

A post's licence is its ``ContentLicense``; a dump older than that attribute gets the one Stack
Exchange's published dates give its latest revision (``licence_by_date``, ``meta.licence_from``).

About 420 lines: the source's surface (units, files, read), the site a unit's name means and what to
tell the user when it means none, and the candidates' provenance belong together.

One streaming pass over ``Posts.xml`` joins each question to its top answer, holding numbers in
memory and texts on disk. HTML is converted to markdown only at the end and only for answers that
pass the score gate, the one part of the work that costs more than parsing. With
``dialogue_chains = true`` a second pass over the unit's ``Comments.xml`` adds chains of follow-ups
(subset ``dialogue``). This module is the source's surface and turns joined rows into candidates;
the work lives beside it:

- ``stackexchange_xml``: feeding the XML tables (bare, or from a .7z) to lxml target parsers;
- ``stackexchange_join``: the question/answer join, its arrays and bisection;
- ``stackexchange_spill``: the texts the join keeps on disk;
- ``stackexchange_dialogue``: comment threads and the rules that make them chains.

Rows no dump holds are skipped and counted in the card's ``skipped``, never guessed at: an ``Id`` or
``Score`` that is not a number or lies outside +-2**62 (``Score="99999999999999999999999"``:
``invalid_id_or_score``); a question ``Id`` seen before (the first row wins, later ones are
``duplicate_question_id``); a question or answer whose HTML nests more than ``markup.MAX_NESTING``
elements deep (``html_nested_too_deep``: libxml2 would cut it short). Any other failure a hostile file
causes is one ``InputError`` naming the file (``guard``).
"""

from __future__ import annotations

import difflib
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError
from ..markup import TooDeep, html_to_markdown
from ..records import Candidate, chat, rng_for
from .guard import guarded
from .stackexchange_dialogue import CommentThreads, chain_answers, chain_turns
from .stackexchange_join import Answer, PostJoin, Question
from .stackexchange_xml import CHUNK, POSTS, comments_path, feed_comments, feed_posts, posts_path

NAME = "stackexchange"
# 4: <template> contents dropped; HTML nested too deep skipped (counted)
# 5: a folder named like one known site (stackexchange_X, X, X.stackexchange.com_2024) or named on --input gets
#    that site's ids and urls, where it was "unknown"; without ContentLicense the licence follows the post's
#    latest revision date (meta.licence_from = "date"), where it was empty; and the converter's change of the
#    same issue (56a4158: a link whose text only points, "here", "this paper", keeps the target's host)
VERSION = 5
SUBSETS = ("se_stem", "se_other", "dialogue")
GROUP_FIELD = "site"
GAIR_NAMES = ("stackexchange",)


@dataclass(frozen=True)
class Settings:
    """The recipe's ``[stackexchange]`` table (defaults equal filters/lima.toml's where it has the key)."""

    site_list: dict[str, str] = field(default_factory=dict)  # site -> stem | other | excluded
    excluded_patterns: tuple[str, ...] = ("meta.*", "*.meta.stackexchange.com", "*.meta.stackoverflow.com")
    min_answer_score: int = 10  # answers below it are never converted (the filter drops them)
    title_prompt_share: float = 0.5  # chance that the prompt is the title rather than the body
    drop_post_ids: tuple[int, ...] = (1000000001, 1000000010)  # planted fake posts in current dumps
    site_name: str = ""  # the unit's site as the user named it (--input stackexchange:HOST=PATH): set per input by the build
    dialogue_chains: bool = False  # also read Comments.xml and yield dialogue chains (see stackexchange_dialogue)
    chain_min_chars: int = 20  # a follow-up turn's length after cleaning
    chain_min_words: int = 4  # words a turn must have besides courtesy phrases
    chain_max_follow_ups: int = 4  # follow-up pairs (asker, answerer) kept after the answer
    chain_courtesy_phrases: tuple[str, ...] = (
        "thanks",
        "thank you",
        "thanks a lot",
        "many thanks",
        "thx",
        "cheers",
        "much appreciated",
        "appreciate it",
        "you're welcome",
        "no problem",
        "glad it helped",
        "glad to help",
        "great",
        "perfect",
        "awesome",
        "nice",
        "cool",
        "got it",
        "ok",
        "okay",
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


# Words of a folder name that never name a site: the network, a table, a dump's date or revision.
FILLER = re.compile(r"(stackexchange|posts|dump|com|net|\d+|rev\d+|v\d+)")
META = "meta"


def site_matches(name: str, settings: Settings) -> list[str]:
    """The known sites a unit's name can mean: the name itself when the site list has it (or a rule
    excludes it: a meta site), else every listed host that a word of the name begins
    (``stackexchange_quantumcomputing`` -> ``quantumcomputing.stackexchange.com``); with the word
    ``meta`` among them, those sites' meta sites. One match names the site; none or several leave it
    unknown (``why_empty`` says which)."""
    name = name.lower()
    if name in settings.site_list or excluded_by_rule(name, settings):
        return [name]
    words = [w.strip(".") for w in re.split(r"[_\s-]+", name)]
    words = [w for w in words if w and not FILLER.fullmatch(w)]
    found: set[str] = set()
    for word in words:
        if word == META:
            continue
        if "." in word and excluded_by_rule(word, settings):
            found.add(word)  # a meta site's host, with a date after it
        else:
            found.update(host for host in settings.site_list if host == word or host.startswith(word + "."))
    if META in words:
        found = {meta_site(host) for host in found}
    return sorted(found)


def meta_site(host: str) -> str:
    """A site's meta site: ``cooking.meta.stackexchange.com``, ``meta.askubuntu.com``."""
    if host.endswith(".stackexchange.com"):
        return host.split(".", 1)[0] + ".meta.stackexchange.com"
    return host if host.startswith("meta.") or ".meta." in host else "meta." + host


def excluded_by_rule(site: str, settings: Settings) -> str:
    """The ``excluded_patterns`` rule that excludes a site (a meta site), or ``""``."""
    return next((pattern for pattern in settings.excluded_patterns if fnmatchcase(site, pattern)), "")


def unit_site(unit: Path, settings: Settings) -> str:
    """The site a unit's candidates belong to: the name the user gave it, else its file's, as the one
    known site it means; a name that means none or several stays as it is (and is unknown)."""
    name = (settings.site_name or site_of(unit)).lower()
    matches = site_matches(name, settings)
    return matches[0] if len(matches) == 1 else name


def subset_of(site: str, settings: Settings) -> str:
    """``se_stem``, ``se_other``, ``excluded`` or ``unknown`` (reported by the build, never guessed)."""
    if excluded_by_rule(site, settings):
        return "excluded"
    kind = settings.site_list.get(site)
    if kind is None:
        return "unknown"
    return "excluded" if kind == "excluded" else f"se_{kind}"


def units(path: Path) -> list[Path]:
    """One unit per site: a site archive, a site folder or a bare Posts.xml, or every such one in a folder."""
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
    by_name: dict[str, list[Path]] = {}
    for unit in found:  # stackoverflow.com.7z (2024+) beside stackoverflow.com-Posts.7z (older) is one site twice
        by_name.setdefault(unit.name.lower().removesuffix(".7z").removesuffix("-posts"), []).append(unit)
    for name, twice in by_name.items():
        if len(twice) > 1:
            names = " and ".join(p.name for p in twice)
            raise InputError(path, f"holds {name} twice ({names}): keep one")
    return found


def why_empty(unit: Path, counts: dict[str, dict[str, int]], settings: Settings | None = None) -> str | None:
    """The console line for a unit that gave no eligible candidate, saying why and what to do: a name
    that is no known site (or several), a site excluded by rule or by the site list, every top answer
    under the score gate. None leaves it to the build's generic line."""
    settings = settings or Settings()
    if counts.get("unknown"):
        name, n = next(iter(counts["unknown"].items()))
        return unknown_site_line(unit, name, n, settings)
    if counts.get("excluded"):
        site, n = next(iter(counts["excluded"].items()))
        rule = excluded_by_rule(site, settings)
        if rule:
            return (
                f"{unit}: {site} is a meta site, excluded by the rule excluded_patterns {rule!r} ({candidates(n)}): "
                "its questions are about the site itself; pass the main site's dump instead"
            )
        return f"{unit}: {site} is excluded by the site list ({candidates(n)}; docs/stackexchange_sites.md says why)"
    dropped = counts.get("dropped", {})
    total = sum(dropped.values())
    if total and dropped.get("answer_score", 0) == total:
        return (
            f"{unit}: none of its {total:,} answered questions has a top answer scored {settings.min_answer_score} or more "
            f"(the score gate, [filters.stackexchange.answer_score] min_score): a young or small site; add other sites"
        )
    return None


def unknown_site_line(unit: Path, name: str, n: int, settings: Settings) -> str:
    """What to rename or name when a unit's name means no known site, or several."""
    kind, shown = (
        ("archive", unit.name) if unit.suffix == ".7z" else ("folder", (unit.parent if unit.name == POSTS else unit).name)
    )
    matches = site_matches(name, settings)
    unused = f"{candidates(n)} unused"
    if settings.site_name:
        return (
            f"{unit}: site {name!r} named on --input is not in the recipe's site list ({unused}): "
            f"give the site's host as the site list spells it{example_of(name, settings, ', e.g. ')}"
        )
    if len(matches) > 1:
        return (
            f"{unit}: {kind} {shown!r} could be any of {len(matches)} known sites ({', '.join(matches)}; {unused}): "
            f"rename it to the site's host, or name it: --input stackexchange:{matches[0]}={unit}"
        )
    host = example_of(name, settings)
    renamed = (host or "HOST") + (".7z" if kind == "archive" else "")
    like = f", e.g. {renamed}" if host else " as the site list spells it (like cooking.stackexchange.com)"
    return (
        f"{unit}: {kind} {shown!r} is not a known site ({unused}): rename it to the site's host{like}, "
        f"or name the site on the input: --input stackexchange:{host or 'HOST'}={unit}"
    )


def candidates(n: int) -> str:
    """``1 candidate``, ``2,500 candidates``."""
    return f"{n:,} candidate" + ("s" if n != 1 else "")


def example_of(name: str, settings: Settings, before: str = "") -> str:
    """The listed host closest to a word of ``name`` (difflib), after ``before``; ``""`` when none is close."""
    labels = {host.split(".", 1)[0]: host for host in settings.site_list}
    for word in sorted(re.split(r"[_\s.-]+", name), key=len, reverse=True):
        close = difflib.get_close_matches(word, labels, n=1, cutoff=0.75)
        if close:
            return before + labels[close[0]]
    return ""


def files(unit: Path, settings: Settings) -> list[Path]:
    """What a unit's candidates depend on: the archive, or the site's Posts.xml, and with dialogue
    chains the Comments.xml beside it (Stack Overflow's ``-Comments.7z``) when there is one."""
    found = [posts_path(unit)]
    if settings.dialogue_chains:
        comments = comments_path(unit)
        if comments not in found and comments.is_file():
            found.append(comments)
    return found


def read(unit: Path, settings: Settings, seed: int, skipped: Counter) -> Iterator[Candidate]:
    """The unit's answered questions in question-id order, then (with dialogue chains) its chains.

    The two spills are anonymous temporary files, gone when the last candidate is read."""
    return guarded(posts_path(unit), read_unit(unit, settings, seed, skipped))


def read_unit(unit: Path, settings: Settings, seed: int, skipped: Counter) -> Iterator[Candidate]:
    """``read`` without the guard: the two passes over the unit's tables."""
    site = unit_site(unit, settings)
    subset = subset_of(site, settings)
    with tempfile.TemporaryFile(buffering=CHUNK) as questions, tempfile.TemporaryFile(buffering=CHUNK) as answers:
        join = PostJoin(questions, answers, skipped, settings.min_answer_score, settings.drop_post_ids)
        feed_posts(unit, join)
        yield from single_turn(join, site, subset, settings, seed, skipped)
        if settings.dialogue_chains and subset.startswith("se_"):
            threads = CommentThreads(chain_answers(join))
            if feed_comments(unit, threads):
                yield from chains(join, site, threads, settings, skipped)
            else:
                skipped["no_comments_file"] += 1


def single_turn(join: PostJoin, site: str, subset: str, settings: Settings, seed: int, skipped: Counter) -> Iterator[Candidate]:
    """One candidate per question that has an answer, in question-id order.

    A question whose top answer is under the score gate can only be rejected (the chain starts
    with ``answer_score``), so it becomes a bare candidate: ids, scores and url for its line in
    the rejects, no texts read back, nothing converted. On real sites that is most questions.
    """
    for row in join.answered_rows():
        if not join.answer_kept(row):
            yield below_gate(site, subset, *join.numbers(row))
            continue
        question, answer = join.question(row), join.answer(row)
        prompt_is_title = rng_for(seed, NAME, site, question.id).random() < settings.title_prompt_share
        try:
            prompt = question.title if prompt_is_title else html_to_markdown(question.body, strict=True)
            response = html_to_markdown(answer.body, strict=True)  # type: ignore[arg-type]
        except TooDeep:
            skipped["html_nested_too_deep"] += 1
            continue
        yield Candidate(
            id=f"{NAME}/{site}/q{question.id}-a{answer.id}",
            source=NAME,
            subset=subset,
            group=site,
            messages=chat(prompt, response),
            rank=question.score,
            meta={**meta(site, question, answer, join.latest), "prompt_from": "title" if prompt_is_title else "body"},
        )


def below_gate(site: str, subset: str, question_id: int, score: int, answer_id: int, answer_score: int) -> Candidate:
    """A candidate with no texts, for a question whose top answer the score gate rejects."""
    return Candidate(
        id=f"{NAME}/{site}/q{question_id}-a{answer_id}",
        source=NAME,
        subset=subset,
        group=site,
        messages=(),
        rank=score,
        meta={
            "url": f"https://{site}/questions/{question_id}",
            "site": site,
            "question_id": question_id,
            "answer_id": answer_id,
            "question_score": score,
            "answer_score": answer_score,
        },
    )


def chains(join: PostJoin, site: str, threads: CommentThreads, settings: Settings, skipped: Counter) -> Iterator[Candidate]:
    """One dialogue candidate per answer whose comment thread makes a chain, in question-id order."""
    for row, answer_id in threads.threads_in_id_order(join):
        question, answer = join.question(row), join.answer(row)
        turns, used = chain_turns(threads.comments[answer_id], question.owner, answer.owner, settings)
        if not turns:
            skipped["comments_without_chain"] += 1
            continue
        try:
            prompt = question.title + "\n\n" + html_to_markdown(question.body, strict=True)
            response = html_to_markdown(answer.body, strict=True)  # type: ignore[arg-type]
        except TooDeep:
            skipped["html_nested_too_deep"] += 1
            continue
        yield Candidate(
            id=f"{NAME}/{site}/q{question.id}-a{answer.id}-chain",
            source=NAME,
            subset="dialogue",
            group=site,
            messages=chat(prompt, response, *turns),
            rank=question.score,
            meta={**meta(site, question, answer, join.latest), "prompt_from": "title+body", "comment_ids": used},
        )


def meta(site: str, question: Question, answer: Answer, latest: str) -> dict[str, Any]:
    """What a candidate with texts says about its question and answer (``latest``: the dump's last CreationDate)."""
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
        **licence_of(answer, question),
        "dump_date": latest[:10],
    }


# Stack Exchange's licence by the date content was published (meta.stackexchange.com/q/347758): a
# revision is licensed by the date it was made, and a post's licence is its latest revision's.
LICENCE_DATES = (("2011-04-08", "CC BY-SA 2.5"), ("2018-05-02", "CC BY-SA 3.0"))
LATEST_LICENCE = "CC BY-SA 4.0"


def licence_by_date(date: str) -> str:
    """The licence of content published at ``date`` (ISO, UTC): 2.5 before 2011-04-08, 3.0 before 2018-05-02, 4.0 since."""
    return next((licence for until, licence in LICENCE_DATES if date[:10] < until), LATEST_LICENCE)


def licence_of(answer: Answer, question: Question) -> dict[str, str]:
    """``licence``: the answer's ContentLicense, else (a dump older than the attribute) the one its
    latest revision's date gives, marked ``licence_from: date``; the question's when the answer has neither."""
    if answer.licence:
        return {"licence": answer.licence}
    if answer.revised:
        return {"licence": licence_by_date(answer.revised), "licence_from": "date"}
    if question.licence:
        return {"licence": question.licence}
    if question.revised:
        return {"licence": licence_by_date(question.revised), "licence_from": "date"}
    return {"licence": ""}


def parse_tags(tags: str) -> list[str]:
    """Both dump formats: ``<a><b>`` (older) and ``|a|b|`` (newer)."""
    if tags.startswith("<"):
        return [tag for tag in tags[1:-1].split("><") if tag]
    return [tag for tag in tags.split("|") if tag]
