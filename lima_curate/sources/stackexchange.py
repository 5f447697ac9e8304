"""Stack Exchange data dumps -> one candidate per answered question (the question and its top answer).

Accepted inputs: a per-site archive as published (``cooking.stackexchange.com.7z``, Stack Overflow's
split ``stackoverflow.com-Posts.7z``), an extracted site folder holding ``Posts.xml``, or a bare
``Posts.xml`` (the site is then the name of its folder). A folder of such inputs expands into one
unit per site.

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
VERSION = 4  # 4: <template> contents dropped; HTML nested too deep skipped (counted)
SUBSETS = ("se_stem", "se_other", "dialogue")
GROUP_FIELD = "site"
GAIR_NAMES = ("stackexchange",)


@dataclass(frozen=True)
class Settings:
    """The recipe's ``[stackexchange]`` table (defaults equal filters/lima.toml's where it has the key)."""

    site_list: dict[str, str] = field(default_factory=dict)  # site -> stem | other | excluded
    excluded_patterns: tuple[str, ...] = ("meta.*", "*.meta.stackexchange.com")
    min_answer_score: int = 10  # answers below it are never converted (the filter drops them)
    title_prompt_share: float = 0.5  # chance that the prompt is the title rather than the body
    drop_post_ids: tuple[int, ...] = (1000000001, 1000000010)  # planted fake posts in current dumps
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


def subset_of(site: str, settings: Settings) -> str:
    """``se_stem``, ``se_other``, ``excluded`` or ``unknown`` (reported by the build, never guessed)."""
    if any(fnmatchcase(site, pattern) for pattern in settings.excluded_patterns):
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
    return found


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
    site = site_of(unit)
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
        "licence": answer.licence or question.licence,
        "dump_date": latest[:10],
    }


def parse_tags(tags: str) -> list[str]:
    """Both dump formats: ``<a><b>`` (older) and ``|a|b|`` (newer)."""
    if tags.startswith("<"):
        return [tag for tag in tags[1:-1].split("><") if tag]
    return [tag for tag in tags.split("|") if tag]
