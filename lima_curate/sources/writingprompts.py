"""r/WritingPrompts -> one candidate per prompt: the prompt and the best story written for it.

Two kinds of input:

Pushshift dumps (zstd-compressed NDJSON, read with :mod:`lima_curate.reddit`)
    a per-subreddit pair ``WritingPrompts_submissions.zst`` + ``WritingPrompts_comments.zst``, or a
    monthly pair ``RS_YYYY-MM.zst`` + ``RC_YYYY-MM.zst`` filtered to the subreddit. A unit is the
    submissions file; its comments file is found beside it by name. Top-level comments are joined
    to their submission, and per prompt the best-scored story within the length bounds wins.

Fan et al. 2018 (``{train,valid,test}.wp_source`` + ``.wp_target``, line-aligned) and CSV samples of
it (columns ``prompt`` and ``story``)
    tokenised text, undone in :mod:`.writingprompts_fan`; there are no scores, so per prompt the
    first story within bounds wins.

Which titles are prompts and which stories fit is decided for both in :mod:`.writingprompts_rules`.
Only what the Pushshift join needs stays in memory: per kept submission its prompt, score and date,
and per submission the best story so far.

Hostile records: a field of the wrong JSON type is a counted skip (``submission_missing_field``,
``comment_missing_field``); a submission dumped twice keeps its first record (``duplicate_submission_id``);
a score or time outside a 64-bit integer (``"score": 1e30``) is an InputError naming the file and line;
anything else a file makes Python raise is one InputError naming the file (``guard``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..records import Candidate, chat
from ..reddit import (
    REDDIT,
    base36_key,
    comment_problem,
    comments_file,
    dump_unit,
    is_comments_file,
    is_dump_file,
    pair_files,
    permalink_of,
    record_int,
    reddit_text,
    submission_problem,
    zst_records,
)
from .guard import guarded
from .writingprompts_fan import fan_stories
from .writingprompts_rules import length_problem, make_prompt

NAME = "writingprompts"
VERSION = 2  # 2: a submission dumped twice keeps its first record (counted), not its last
SUBSETS = ("writingprompts",)
GROUP_FIELD = "prompt_type"
GAIR_NAMES = ("writingprompts", "writingprompt", "writing_prompts")

LICENCE = "Reddit user content; no licence stated"


@dataclass(frozen=True)
class Settings:
    """The recipe's ``[writingprompts]`` table (these defaults equal filters/lima.toml's)."""

    subreddit: str = "WritingPrompts"  # compared case-insensitively with each record's subreddit
    # Tags whose prompts ask for a story: writing prompt, simple prompt, established universe,
    # constrained writing, theme thursday, reality fiction, fast fiction.
    prompt_types: tuple[str, ...] = ("WP", "SP", "EU", "CW", "TT", "RF", "FF")
    # Tags recognised and stripped but whose prompts are dropped: image, media and prompt-inspired
    # posts (the prompt is a picture, a link or already a story), prompt requests, off-topic and
    # moderator posts, adult content.
    other_tags: tuple[str, ...] = ("IP", "MP", "PI", "PM", "OT", "MOD", "META", "NSFW")
    min_story_chars: int = 600
    max_story_chars: int = 3500
    min_story_score: int = 10  # Pushshift only (Fan's files carry no scores)
    max_selftext_chars: int = 500  # a longer post body means the title alone is not the prompt
    bot_authors: tuple[str, ...] = ("AutoModerator",)
    bot_suffixes: tuple[str, ...] = ("bot",)  # authors ending in these (case-insensitive) are bots


# -- units -----------------------------------------------------------------------------------------


def units(path: Path) -> list[Path]:
    """A file, or every recognised input under a folder (recursively), as units.

    A Pushshift unit is the submissions file of a pair (``X_submissions.zst``, ``RS_<month>.zst``);
    a comments file is a unit only when its submissions file is absent (its comments then join
    nothing). A Fan unit is the ``.wp_source`` file of a pair; a CSV file is a unit on its own.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if path.is_file():
        unit = unit_of(path)
        if unit is None:
            raise InputError(
                path,
                "not a r/WritingPrompts input: expected X_submissions.zst, X_comments.zst, RS_/RC_ .zst, "
                "a .wp_source/.wp_target pair or a .csv",
            )
        return [unit]
    found = sorted({unit for file in path.rglob("*") if file.is_file() for unit in [unit_of(file)] if unit})
    if not found:
        raise InputError(path, "no Pushshift .zst, Fan .wp_source/.wp_target pair or .csv found")
    return found


def unit_of(file: Path) -> Path | None:
    """The unit a file belongs to, or None when it is no input of this reader."""
    name = file.name
    if name.endswith(".wp_source") or name.endswith(".wp_target"):
        source = file.with_suffix(".wp_source")
        if not source.is_file() or not file.with_suffix(".wp_target").is_file():
            raise InputError(file, "a Fan .wp_source/.wp_target pair needs both files side by side")
        return source
    if name.endswith(".csv"):
        return file
    if is_dump_file(file):
        return dump_unit(file)
    return None


def files(unit: Path, settings: Settings) -> list[Path]:
    """Every file a unit's candidates depend on (the pair, when both halves exist); the settings
    choose no files here."""
    if unit.name.endswith(".wp_source"):
        return [unit, unit.with_suffix(".wp_target")]
    if unit.name.endswith(".zst"):
        return pair_files(unit)
    return [unit]


def read(unit: Path, settings: Settings, seed: int, skipped: Counter) -> Iterator[Candidate]:
    """A unit's candidates: a dump's in submission id order, Fan's in file order; the seed is unused
    (nothing is drawn)."""
    unit = Path(unit)
    if unit.name.endswith(".wp_source") or unit.name.endswith(".csv"):
        return guarded(unit, read_fan(unit, settings, skipped))
    if unit.name.endswith(".zst"):
        return guarded(unit, read_pushshift(unit, settings, skipped))
    raise InputError(unit, "not a r/WritingPrompts input")


def read_fan(unit: Path, settings: Settings, skipped: Counter) -> Iterator[Candidate]:
    """Fan et al.'s files or a CSV sample of them, one candidate per story :mod:`.writingprompts_fan` chose."""
    for story in fan_stories(unit, settings, skipped):
        yield Candidate(
            id=f"{NAME}/{story.local_id}",
            source=NAME,
            subset=NAME,
            group=story.prompt_type,
            messages=chat(story.prompt, story.story),
            rank=0,
            meta={
                **story.provenance,
                "line": story.line,
                "prompt_type": story.prompt_type,
                "tags": list(story.tags),
                "licence": LICENCE,
            },
        )


# -- Pushshift: joining stories to prompts ------------------------------------------------------------


@dataclass(slots=True)
class _Prompt:
    text: str
    type: str
    tags: tuple[str, ...]
    score: int
    created_utc: int
    permalink: str


@dataclass(slots=True)
class _Story:
    key: tuple[int, int, int]  # (score, -created, -id): higher is better, ties go to the earlier story
    id: str
    text: str
    score: int
    created_utc: int


def read_pushshift(unit: Path, settings: Settings, skipped: Counter) -> Iterator[Candidate]:
    """A dump pair's prompts, each with its best story, in the order of the submission ids."""
    prompts = {} if is_comments_file(unit) else read_prompts(unit, settings, skipped)
    comments = comments_file(unit)
    stories = read_stories(comments, prompts, settings, skipped) if comments.is_file() else {}
    skipped["prompt_without_story"] += len(prompts.keys() - stories.keys())
    for submission_id in sorted(stories, key=base36_key):
        prompt, story = prompts[submission_id], stories[submission_id]
        yield Candidate(
            id=f"{NAME}/{submission_id}-{story.id}",
            source=NAME,
            subset=NAME,
            group=prompt.type,
            messages=chat(prompt.text, story.text),
            rank=story.score,
            meta={
                "url": f"{REDDIT}{prompt.permalink}{story.id}/",
                "prompt_url": f"{REDDIT}{prompt.permalink}",
                "format": "pushshift",
                "files": [p.name for p in files(unit, settings)],
                "subreddit": settings.subreddit,
                "submission_id": submission_id,
                "comment_id": story.id,
                "prompt_type": prompt.type,
                "tags": list(prompt.tags),
                "prompt_score": prompt.score,
                "story_score": story.score,
                "prompt_created_utc": prompt.created_utc,
                "story_created_utc": story.created_utc,
                "licence": LICENCE,
            },
        )


def read_prompts(path: Path, settings: Settings, skipped: Counter) -> dict[str, _Prompt]:
    """Submission id -> prompt, for the submissions that can be prompts."""
    prompts = {}
    for line, record in zst_records(path, settings.subreddit, skipped):
        submission_id = record.get("id")
        title, selftext = record.get("title"), record.get("selftext")
        if not isinstance(submission_id, str) or not submission_id or not isinstance(title, str):
            skipped["submission_missing_field"] += 1
            continue
        if selftext is not None and not isinstance(selftext, str):  # a number, a list: no post body
            skipped["submission_missing_field"] += 1
            continue
        if submission_id in prompts:  # a record dumped twice: the first one read stays
            skipped["duplicate_submission_id"] += 1
            continue
        reason = submission_problem(record)
        if reason:
            skipped[reason] += 1
            continue
        prompt = make_prompt(reddit_text(title), reddit_text(selftext or ""), settings)
        if isinstance(prompt, str):
            skipped[prompt] += 1
            continue
        text, kind, tags = prompt
        prompts[submission_id] = _Prompt(
            text=text,
            type=kind,
            tags=tags,
            score=record_int(record, "score", path, line),
            created_utc=record_int(record, "created_utc", path, line),
            permalink=permalink_of(record, settings.subreddit),
        )
    return prompts


def read_stories(path: Path, prompts: dict[str, _Prompt], settings: Settings, skipped: Counter) -> dict[str, _Story]:
    """Submission id -> its best story: a top-level comment within bounds, highest score first.

    Checks run cheapest first and a comment is counted under the first reason it fails. Decoding
    only ever shortens a body, so a raw body under the minimum is too short, and a story that
    cannot beat the prompt's best so far is never decoded at all.
    """
    best: dict[str, _Story] = {}
    bots = {name.lower() for name in settings.bot_authors}
    suffixes = tuple(suffix.lower() for suffix in settings.bot_suffixes)
    for line, record in zst_records(path, settings.subreddit, skipped):
        comment_id, link_id, body = record.get("id"), record.get("link_id"), record.get("body")
        if not isinstance(comment_id, str) or not isinstance(link_id, str) or not isinstance(body, str):
            skipped["comment_missing_field"] += 1
            continue
        reason = comment_problem(record, bots, suffixes)
        if reason:
            skipped[reason] += 1
            continue
        submission_id = link_id.removeprefix("t3_")
        if submission_id not in prompts:
            skipped["comment_without_prompt"] += 1
            continue
        score = record_int(record, "score", path, line)
        if score < settings.min_story_score:
            skipped["story_low_score"] += 1
            continue
        if len(body) < settings.min_story_chars:
            skipped["story_too_short"] += 1
            continue
        created = record_int(record, "created_utc", path, line)
        key = (score, -created, -base36_key(comment_id)[1])
        current = best.get(submission_id)
        if current is not None and key <= current.key:
            skipped["story_not_best"] += 1
            continue
        text = reddit_text(body)
        reason = length_problem(text, settings)
        if reason:
            skipped[reason] += 1
            continue
        if current is not None:
            skipped["story_not_best"] += 1
        best[submission_id] = _Story(key, comment_id, text, score, created)
    return best
