"""r/WritingPrompts -> one candidate per prompt: the prompt and the best story written for it.

Two kinds of input:

Pushshift and Arctic Shift dumps (NDJSON, zstd-compressed or plain, read with :mod:`lima_curate.reddit`)
    a per-subreddit pair ``WritingPrompts_submissions.zst`` + ``WritingPrompts_comments.zst`` or Arctic
    Shift's ``r_WritingPrompts_posts.jsonl`` + ``r_WritingPrompts_comments.jsonl``, or a monthly pair
    ``RS_YYYY-MM.zst`` + ``RC_YYYY-MM.zst`` filtered to the subreddit. A unit is the submissions file;
    its comments file is found beside it by name. Top-level comments are joined to their submission,
    and per prompt the best-scored story within the length bounds wins.

Fan et al. 2018 (``{train,valid,test}.wp_source`` + ``.wp_target``, line-aligned) and CSV samples of
it (columns ``prompt`` and ``story``)
    tokenised text, undone in :mod:`.writingprompts_fan`; there are no scores, so per prompt the
    first story within bounds wins.

Which titles are prompts, what Reddit residue is cut from a story and which stories fit is decided for
both in :mod:`.writingprompts_rules`. A unit that yields nothing is explained in one line by
:func:`why_empty` (a file of another subreddit, half a pair, no story within bounds).
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
    OTHER_SUBREDDIT,
    REDDIT,
    base36_key,
    comment_problem,
    comments_file,
    dump_unit,
    is_comments_file,
    is_dump_file,
    pair_files,
    per_subreddit,
    permalink_of,
    record_int,
    reddit_text,
    submission_problem,
    submissions_file,
    zst_records,
)
from .guard import guarded
from .writingprompts_fan import fan_stories
from .writingprompts_rules import clean_story, length_problem, make_prompt

NAME = "writingprompts"
# 2: a submission dumped twice keeps its first record (counted), not its last
# 3: stories lose their Reddit residue (edit notes, self-promotion, superscript, separators, "Part 2"
#    pointers; counted per rule) and are bounded at 500-1,500 characters (was 600-3,500), like LIMA's;
#    Arctic Shift's r_X_posts/_comments.jsonl files are read; the top other subreddit is counted
VERSION = 3
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
    min_story_chars: int = 500  # the bounds put the mean story near LIMA's (~1,030 characters, 274 tokens)
    max_story_chars: int = 1500
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
                "not a r/WritingPrompts input: expected X_submissions.zst / X_comments.zst, Arctic Shift's "
                "r_X_posts.jsonl / r_X_comments.jsonl, RS_/RC_ .zst, a .wp_source/.wp_target pair or a .csv",
            )
        return [unit]
    found = sorted({unit for file in path.rglob("*") if file.is_file() for unit in [unit_of(file)] if unit})
    if not found:
        raise InputError(path, "no Pushshift .zst, Arctic Shift .jsonl, Fan .wp_source/.wp_target pair or .csv found")
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
    if is_dump_file(unit):
        return pair_files(unit)
    return [unit]


def read(unit: Path, settings: Settings, seed: int, skipped: Counter) -> Iterator[Candidate]:
    """A unit's candidates: a dump's in submission id order, Fan's in file order; the seed is unused
    (nothing is drawn)."""
    unit = Path(unit)
    if unit.name.endswith(".wp_source") or unit.name.endswith(".csv"):
        return guarded(unit, read_fan(unit, settings, skipped))
    if is_dump_file(unit):
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
    residue: tuple[str, ...]  # the residue rules that cleaned it


def read_pushshift(unit: Path, settings: Settings, skipped: Counter) -> Iterator[Candidate]:
    """A dump pair's prompts, each with its best story, in the order of the submission ids."""
    prompts = {} if is_comments_file(unit) else read_prompts(unit, settings, skipped)
    comments = comments_file(unit)
    stories = read_stories(comments, prompts, settings, skipped) if comments.is_file() else {}
    if unanswered := len(prompts.keys() - stories.keys()):
        skipped["prompt_without_story"] += unanswered
    for submission_id in sorted(stories, key=base36_key):
        prompt, story = prompts[submission_id], stories[submission_id]
        skipped.update(f"residue_{rule}" for rule in story.residue)
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
                "format": "arctic-shift" if (per_subreddit(unit) or ("", ""))[1] == "posts" else "pushshift",
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
    """Submission id -> its best story: a top-level comment within bounds once its residue is cut,
    highest score first.

    Checks run cheapest first and a comment is counted under the first reason it fails. Decoding
    and cutting residue only ever shorten a body, so a raw body under the minimum is too short, and
    a story that cannot beat the prompt's best so far is never decoded at all.
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
        text, residue = clean_story(reddit_text(body), settings.subreddit)
        reason = length_problem(text, settings)
        if reason:
            skipped[reason] += 1
            continue
        if current is not None:
            skipped["story_not_best"] += 1
        best[submission_id] = _Story(key, comment_id, text, score, created, residue)
    return best


# -- a unit that yields nothing ------------------------------------------------------------------------

PROMPT_REASONS = ("prompt_untagged", "prompt_tag_not_kept", "prompt_empty", "prompt_body_too_long")
STORY_REASONS = ("story_too_short", "story_too_long", "story_low_score")


def why_empty(unit: Path, counts: dict[str, dict[str, int]], settings: Settings | None = None) -> str | None:
    """One line saying why a unit gave no candidate and how to fix it, from the counts its extraction
    recorded (``skipped``, ``dropped``, ...), or None when it gave some. The build prints it for every
    unit that yields no eligible candidate, so that a wrong file is never passed over in silence."""
    if counts.get("survivors"):
        return None
    wanted = f"r/{(settings or Settings()).subreddit}"
    skipped = {k: v for k, v in counts.get("skipped", {}).items() if v and not k.startswith("residue_")}
    dropped = {k: v for k, v in counts.get("dropped", {}).items() if v}
    groups = {k: v for name in ("unknown", "excluded") for k, v in counts.get(name, {}).items() if v}
    reasons = {k: v for k, v in skipped.items() if not k.startswith(f"{OTHER_SUBREDDIT}:")}
    dump = is_dump_file(unit)
    if dump and reasons.keys() <= {OTHER_SUBREDDIT} and reasons.get(OTHER_SUBREDDIT):
        return f"no {wanted} records in {unit} ({other_subreddits(skipped)}): {fix_for_other(unit, wanted)}"
    if not reasons and not dropped and not groups:
        return f"{unit} holds no records: pass the {wanted} files (or check that the download finished)"
    if dump and is_comments_file(unit):
        return (
            f"{unit} is a comments file without its submissions file ({submissions_file(unit).name} beside it): "
            "its stories have no prompts to join; put both halves of the pair in one folder"
        )
    if dump and not comments_file(unit).is_file():
        return (
            f"no comments file {comments_file(unit).name} beside {unit}: its {reasons.get('prompt_without_story', 0):,} "
            "prompts have no stories; put both halves of the pair in one folder"
        )
    if dropped:
        return f"every story of {unit} was dropped by the filters ({listed(dropped)}): see rejects.parquet"
    if groups:
        return (
            f"every story of {unit} is of a prompt type the recipe leaves out ({listed(groups)}): see [sampling.writingprompts]"
        )
    stories = {k: reasons[k] for k in STORY_REASONS if reasons.get(k)}
    if stories:
        return (
            f"no story in {unit} fits the recipe's bounds ({listed(stories)}): widen [writingprompts] "
            "min_story_chars / max_story_chars (or min_story_score)"
        )
    prompts = {k: reasons[k] for k in PROMPT_REASONS if reasons.get(k)}
    if prompts and not reasons.get("prompt_without_story"):
        return f"no post of {unit} is a story prompt ({listed(prompts)}): is it {wanted}? The tags kept are [writingprompts] prompt_types"
    return f"no candidate from {unit} ({listed(reasons)})"


def other_subreddits(skipped: dict[str, int]) -> str:
    """``8,271 records of r/AskWomen``, or ``9 records of other subreddits, 7 of them r/X`` (the most
    common one, counted by name in a per-subreddit file), or ``1,075 records of other subreddits``."""
    total = skipped.get(OTHER_SUBREDDIT, 0)
    named = [(k.split(":", 1)[1], v) for k, v in skipped.items() if k.startswith(f"{OTHER_SUBREDDIT}:")]
    if named and named[0][1] == total:
        return f"{total:,} records of {named[0][0]}"
    if named:
        return f"{total:,} records of other subreddits, {named[0][1]:,} of them {named[0][0]}"
    return f"{total:,} records of other subreddits"


def fix_for_other(unit: Path, wanted: str) -> str:
    """How to get records of the subreddit instead: its own per-subreddit files, or another month."""
    own = f"{wanted.removeprefix('r/')}_submissions.zst + _comments.zst, or Arctic Shift's r_{wanted.removeprefix('r/')}_posts.jsonl + _comments.jsonl"
    if unit.name.startswith(("RS_", "RC_")):
        return f"this month holds none of {wanted}; pass months it posted in, or its own files ({own})"
    return f"pass {wanted}'s own files ({own}), or set [writingprompts] subreddit in the recipe"


def listed(counts: dict[str, int]) -> str:
    """``story_too_long 342, story_too_short 9``: the counts, largest first (at most four)."""
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:4]
    return ", ".join(f"{name} {count:,}" for name, count in top)
