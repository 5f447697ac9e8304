"""r/WritingPrompts -> one candidate per prompt: the prompt and the best story written for it.

Two kinds of input:

Pushshift dumps (zstd-compressed NDJSON)
    a per-subreddit pair ``WritingPrompts_submissions.zst`` + ``WritingPrompts_comments.zst``, or a
    monthly pair ``RS_YYYY-MM.zst`` + ``RC_YYYY-MM.zst`` filtered to the subreddit. A unit is the
    submissions file; its comments file is found beside it by name. Top-level comments are joined
    to their submission, and per prompt the best-scored story within the length bounds wins.

Fan et al. 2018 (``{train,valid,test}.wp_source`` + ``.wp_target``, line-aligned) and CSV samples of
it (columns ``prompt`` and ``story``)
    tokenised text: ``<newline>`` is restored and the tokenisation undone (``do n't`` -> ``don't``,
    `` `` x '' `` -> ``"x"``); there are no scores, so per prompt the first story within bounds wins.

Pushshift files need a 2 GiB window (``zstd --long=31``). They are streamed in chunks and split on
``b"\\n"`` before decoding, so a UTF-8 character cut by a chunk boundary is never seen in halves. Only what
the join needs stays in memory: per kept submission its prompt, score and date, and per submission
the best story so far.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import orjson
import zstandard

from ..errors import InputError, decode_utf8
from ..records import Candidate, chat

NAME = "writingprompts"
VERSION = 1

MAX_WINDOW = 2**31  # Pushshift dumps are compressed with --long=31
READ_SIZE = 1 << 16  # compressed bytes read at a time (about 0.5-10 MB once decompressed)
REDDIT = "https://www.reddit.com"
LICENCE = "Reddit user content; no licence stated"

SUBMISSIONS_SUFFIX, COMMENTS_SUFFIX = "_submissions.zst", "_comments.zst"
MONTHLY = re.compile(r"^R([SC])_(.+\.zst)$")


@dataclass(frozen=True)
class Settings:
    """The recipe's ``[writingprompts]`` table."""

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
    if name.endswith(SUBMISSIONS_SUFFIX) or name.endswith(COMMENTS_SUFFIX) or MONTHLY.match(name):
        submissions = submissions_file(file)
        return submissions if submissions.is_file() else file
    return None


def submissions_file(file: Path) -> Path:
    name = file.name
    if name.endswith(COMMENTS_SUFFIX):
        return file.with_name(name[: -len(COMMENTS_SUFFIX)] + SUBMISSIONS_SUFFIX)
    if match := MONTHLY.match(name):
        return file.with_name(f"RS_{match.group(2)}")
    return file


def comments_file(file: Path) -> Path:
    name = file.name
    if name.endswith(SUBMISSIONS_SUFFIX):
        return file.with_name(name[: -len(SUBMISSIONS_SUFFIX)] + COMMENTS_SUFFIX)
    if match := MONTHLY.match(name):
        return file.with_name(f"RC_{match.group(2)}")
    return file


def is_comments_file(file: Path) -> bool:
    return file.name.endswith(COMMENTS_SUFFIX) or file.name.startswith("RC_")


def files(unit: Path, settings: "Settings | None" = None) -> list[Path]:
    """Every file a unit's candidates depend on (the pair, when both halves exist)."""
    if unit.name.endswith(".wp_source"):
        return [unit, unit.with_suffix(".wp_target")]
    if unit.name.endswith(".zst"):
        return sorted({p for p in (submissions_file(unit), comments_file(unit)) if p.is_file()})
    return [unit]


def read(unit: Path, settings: Settings, seed: int, skipped: Counter) -> Iterator[Candidate]:
    unit = Path(unit)
    if unit.name.endswith(".wp_source"):
        return read_fan(unit, settings, skipped)
    if unit.name.endswith(".csv"):
        return read_csv(unit, settings, skipped)
    if unit.name.endswith(".zst"):
        return read_pushshift(unit, settings, skipped)
    raise InputError(unit, "not a r/WritingPrompts input")


# -- zstd NDJSON streaming ---------------------------------------------------------------------------


def split_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Whole lines from byte chunks cut anywhere (even inside a UTF-8 character); no line ends kept."""
    pending = b""
    for chunk in chunks:
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        yield from lines
    if pending:
        yield pending


@dataclass
class _Progress:
    """How far a stream got, so that an error can say where it happened."""

    lines: int = 0


def zst_chunks(path: Path, progress: _Progress, read_size: int = READ_SIZE) -> Iterator[bytes]:
    """Decompressed bytes of a zstd file, frame after frame; a stream cut short is an InputError.

    ``stream_reader`` ends quietly when the input ends mid-frame, so the frames are decoded with
    decompression objects, which say whether the frame was finished.
    """
    decompressor = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW)
    frame = decompressor.decompressobj()
    in_frame = False
    try:
        with open(path, "rb") as handle:
            while block := handle.read(read_size):
                while block:
                    try:
                        data = frame.decompress(block)
                    except zstandard.ZstdError as error:
                        raise InputError(path, f"not a readable zstd stream after line {progress.lines} ({error})") from None
                    if frame.eof:
                        block = frame.unused_data
                        frame = decompressor.decompressobj()
                        in_frame = False
                    else:
                        block = b""
                        in_frame = True
                    if data:
                        yield data
    except OSError as error:
        raise InputError(path, f"cannot read ({error.strerror or error})") from None
    if in_frame:
        raise InputError(path, f"zstd stream cut short after line {progress.lines} (truncated or incomplete download)")


def zst_lines(path: Path, read_size: int = READ_SIZE) -> Iterator[tuple[int, bytes]]:
    """(line number, line bytes) for every line of a zstd NDJSON file, blank lines included."""
    progress = _Progress()
    for line in split_lines(zst_chunks(path, progress, read_size)):
        progress.lines += 1
        yield progress.lines, line


def zst_records(path: Path, subreddit: str, skipped: Counter, read_size: int = READ_SIZE) -> Iterator[tuple[int, dict]]:
    """(line number, record) for the records of one subreddit.

    In a monthly dump (``RS_``/``RC_``, every subreddit), a line that does not mention the subreddit's
    name at all (case-insensitively) cannot belong to it and is counted without being parsed,
    which keeps the reader near the speed of decompression. Every other line must be a JSON object.
    """
    wanted = subreddit.lower()
    needle = wanted.encode("ascii") if MONTHLY.match(path.name) else b""
    for number, line in zst_lines(path, read_size):
        if not line or line.isspace():
            continue
        if needle and needle not in line.lower():
            skipped["other_subreddit"] += 1
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise InputError(path, f"not valid JSON ({error})", line=number) from None
        if not isinstance(record, dict):
            raise InputError(path, "not a JSON object", line=number)
        if str(record.get("subreddit") or "").lower() != wanted:
            skipped["other_subreddit"] += 1
            continue
        yield number, record


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
                "files": [p.name for p in files(unit)],
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
    for _, record in zst_records(path, settings.subreddit, skipped):
        submission_id = record.get("id")
        title = record.get("title")
        if not isinstance(submission_id, str) or not submission_id or not isinstance(title, str):
            skipped["submission_missing_field"] += 1
            continue
        reason = submission_problem(record)
        if reason:
            skipped[reason] += 1
            continue
        prompt = make_prompt(reddit_text(title), reddit_text(record.get("selftext") or ""), settings)
        if isinstance(prompt, str):
            skipped[prompt] += 1
            continue
        text, kind, tags = prompt
        prompts[submission_id] = _Prompt(
            text=text,
            type=kind,
            tags=tags,
            score=as_int(record.get("score")),
            created_utc=as_int(record.get("created_utc")),
            permalink=permalink_of(record, settings.subreddit),
        )
    return prompts


def permalink_of(submission: dict, subreddit: str) -> str:
    """The submission's path on reddit.com, ending in "/" (older dumps lack ``permalink``)."""
    path = submission.get("permalink")
    if not isinstance(path, str) or not path.startswith("/"):
        path = f"/r/{subreddit}/comments/{submission['id']}/"
    return path.rstrip("/") + "/"


def submission_problem(record: dict) -> str:
    """Why a submission cannot be a prompt, or "" when it can."""
    if record.get("over_18"):
        return "submission_over_18"
    if record.get("distinguished") == "moderator" or record.get("stickied"):
        return "submission_moderator"
    if record.get("removed_by_category") or record.get("title") in ("[deleted by user]", "[removed]", "[deleted]"):
        return "submission_removed"
    if (record.get("selftext") or "").strip() in ("[removed]", "[deleted]"):
        return "submission_removed"
    return ""


def read_stories(path: Path, prompts: dict[str, _Prompt], settings: Settings, skipped: Counter) -> dict[str, _Story]:
    """Submission id -> its best story: a top-level comment within bounds, highest score first.

    Checks run cheapest first and a comment is counted under the first reason it fails. Decoding
    only ever shortens a body, so a raw body under the minimum is too short, and a story that
    cannot beat the prompt's best so far is never decoded at all.
    """
    best: dict[str, _Story] = {}
    bots = {name.lower() for name in settings.bot_authors}
    suffixes = tuple(suffix.lower() for suffix in settings.bot_suffixes)
    for _, record in zst_records(path, settings.subreddit, skipped):
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
        score = as_int(record.get("score"))
        if score < settings.min_story_score:
            skipped["story_low_score"] += 1
            continue
        if len(body) < settings.min_story_chars:
            skipped["story_too_short"] += 1
            continue
        created = as_int(record.get("created_utc"))
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


def comment_problem(record: dict, bots: set[str], suffixes: tuple[str, ...]) -> str:
    """Why a comment cannot be a story, or "" when it can."""
    if record.get("parent_id") != record.get("link_id"):
        return "comment_reply"
    body = record.get("body", "").strip()
    if body in ("[deleted]", "[removed]"):
        return "comment_removed"
    if record.get("distinguished") == "moderator" or record.get("stickied"):
        return "comment_moderator"
    author = str(record.get("author") or "").lower()
    if author in bots or (suffixes and author.endswith(suffixes)):
        return "comment_bot"
    return ""


def length_problem(story: str, settings: Settings) -> str:
    if len(story) < settings.min_story_chars:
        return "story_too_short"
    if len(story) > settings.max_story_chars:
        return "story_too_long"
    return ""


REDDIT_ENTITY = re.compile(r"&(amp|lt|gt|quot|#39|#x27);")
ENTITY_TEXT = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#39": "'", "#x27": "'"}
ZERO_WIDTH = re.compile(r"&#x200[Bb];|\u200b")
TRAILING_SPACE = re.compile(r"[ \t]+(?=\n)")
BLANK_RUN = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def reddit_text(text: str) -> str:
    """Markdown as posted: Reddit's entity escaping undone (one level only, so a literal "&amp;lt;"
    stays "&lt;"), the new editor's zero-width-space paragraphs removed, line ends normalised.

    Each step runs only when its character is present: this is called for every candidate story.
    """
    if "&" in text:
        text = REDDIT_ENTITY.sub(lambda m: ENTITY_TEXT[m.group(1)], text)
        text = ZERO_WIDTH.sub("", text)
    if "\u200b" in text:
        text = text.replace("\u200b", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if " \n" in text or "\t\n" in text:
        text = TRAILING_SPACE.sub("", text)
    if "\n\n\n" in text:
        text = BLANK_RUN.sub("\n\n", text)
    return text.strip()


def as_int(value: object) -> int:
    """Pushshift writes numbers as numbers, but some dumps have ``"created_utc": "1546300800"``."""
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def base36_key(reddit_id: str) -> tuple[int, int]:
    """Reddit ids in numeric order (``"zz" < "100"``); an id that is not base 36 sorts first."""
    try:
        return (0, int(reddit_id, 36))
    except ValueError:
        return (-1, 0)


# -- prompts: tags ------------------------------------------------------------------------------------

TAG = re.compile(r"[\[(]\s*([A-Za-z]{2,5}(?:\s*[/,&|]\s*[A-Za-z]{2,5})*)\s*[\])]")
LEADING_BARE_TAG = re.compile(r"^\s*([A-Za-z]{2,4})\s*:\s+")
EDGE_PUNCTUATION = re.compile(r"^[\s:\-–—|]+|[\s\-–—|]+$")


def strip_tags(title: str, settings: Settings) -> tuple[str, tuple[str, ...]]:
    """The title without its prompt tags (``[ WP ]``, ``[WP]``, ``(WP)``, ``[WP/EU]``, ``WP:``), and the
    tags in the order found. Bracketed words that are not known tags stay ("[ units of ] happiness")."""
    known = {tag.upper() for tag in (*settings.prompt_types, *settings.other_tags)}
    found: list[str] = []

    def take(match: re.Match) -> str:
        parts = [part.upper() for part in re.split(r"\s*[/,&|]\s*", match.group(1))]
        if not all(part in known for part in parts):
            return match.group(0)
        found.extend(parts)
        return " "

    text = TAG.sub(take, title)
    if not found:
        bare = LEADING_BARE_TAG.match(text)
        if bare and bare.group(1).upper() in known:
            found.append(bare.group(1).upper())
            text = text[bare.end():]
    text = EDGE_PUNCTUATION.sub("", " ".join(text.split()))
    return text, tuple(found)


def make_prompt(title: str, selftext: str, settings: Settings) -> tuple[str, str, tuple[str, ...]] | str:
    """(prompt text, prompt type, tags) or the reason the title is no story prompt."""
    text, tags = strip_tags(title, settings)
    if not tags:
        return "prompt_untagged"
    allowed = {tag.upper() for tag in settings.prompt_types}
    refused = [tag for tag in tags if tag not in allowed]
    if refused:
        return "prompt_tag_not_kept"
    if not text:
        return "prompt_empty"
    if selftext and selftext not in ("[removed]", "[deleted]"):
        if len(selftext) > settings.max_selftext_chars:
            return "prompt_body_too_long"
        text = f"{text}\n\n{selftext}"
    return text, tags[0], tags


# -- Fan et al. 2018 --------------------------------------------------------------------------------


def read_fan(source: Path, settings: Settings, skipped: Counter) -> Iterator[Candidate]:
    """Line-aligned ``.wp_source`` (prompts) and ``.wp_target`` (stories); a prompt repeats once per story."""
    target = source.with_suffix(".wp_target")
    split = source.stem
    rows = aligned_lines(source, target)
    yield from fan_candidates(((n, f"fan-{split}-{n}", p, s) for n, p, s in rows), settings, skipped,
                              {"format": "fan2018", "file": target.name, "fan_split": split})


def aligned_lines(source: Path, target: Path) -> Iterator[tuple[int, str, str]]:
    """(line number, prompt line, story line); files of different lengths are an InputError."""
    number = 0
    try:
        with open(source, "rb") as prompts, open(target, "rb") as stories:
            while True:
                prompt, story = prompts.readline(), stories.readline()
                if not prompt or not story:
                    break
                number += 1
                yield number, decode_line(source, prompt, number), decode_line(target, story, number)
    except OSError as error:
        raise InputError(source, f"cannot read ({error.strerror or error})") from None
    if prompt or story:
        shorter = target if prompt else source
        raise InputError(shorter, f"ends after line {number} but its partner file goes on", line=number + 1)


def decode_line(path: Path, line: bytes, number: int) -> str:
    return decode_utf8(line, path, number).rstrip("\r\n")


CSV_COLUMNS = ("prompt", "story")


def read_csv(path: Path, settings: Settings, skipped: Counter) -> Iterator[Candidate]:
    """A CSV sample of Fan's data: ``prompt`` and ``story`` columns (``row_id`` when present)."""
    yield from fan_candidates(csv_rows(path), settings, skipped, {"format": "fan2018-csv", "file": path.name})


def csv_rows(path: Path) -> Iterator[tuple[int, str, str, str]]:
    """(line where the row starts, id, prompt, story); a broken row is an InputError with its line."""
    start = 1
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            missing = [c for c in CSV_COLUMNS if header is None or c not in header]
            if missing:
                raise InputError(path, f"no {missing[0]!r} column (found: {', '.join(header or []) or 'nothing'})", line=1)
            index = {name: header.index(name) for name in (*CSV_COLUMNS, "row_id") if name in header}
            start = reader.line_num + 1
            for number, row in enumerate(reader, start=1):
                if not row:  # a blank line (often the last one) holds no row
                    start = reader.line_num + 1
                    continue
                if len(row) != len(header):
                    raise InputError(path, f"row has {len(row)} fields, the header {len(header)}", line=start)
                row_id = row[index["row_id"]] if "row_id" in index else str(number)
                yield start, f"{path.stem}-{row_id}", row[index["prompt"]], row[index["story"]]
                start = reader.line_num + 1
    except csv.Error as error:
        raise InputError(path, f"not valid CSV ({error})", line=start) from None
    except UnicodeDecodeError:
        decode_utf8(path.read_bytes(), path)  # raises, naming the line of the first bad byte
        raise
    except OSError as error:
        raise InputError(path, f"cannot read ({error.strerror or error})") from None


def fan_candidates(rows: Iterable[tuple[int, str, str, str]], settings: Settings, skipped: Counter, provenance: dict) -> Iterator[Candidate]:
    """Per prompt the first story within bounds, in file order (Fan's files carry no scores).

    Detokenising is the slow part, so a story whose length bounds already decide it is never
    detokenised, and a prompt repeated on consecutive lines (one per story) is cleaned once.
    """
    answered: set[str] = set()
    last_raw_prompt, last_prompt = None, None
    for line, local_id, raw_prompt, raw_story in rows:
        if raw_prompt in answered:
            skipped["story_prompt_answered"] += 1
            continue
        if raw_prompt != last_raw_prompt:
            last_raw_prompt, last_prompt = raw_prompt, make_prompt(detokenize(raw_prompt), "", settings)
        prompt = last_prompt
        if isinstance(prompt, str):
            skipped[prompt] += 1
            continue
        if len(raw_story) < settings.min_story_chars:  # detokenising never lengthens a text
            skipped["story_too_short"] += 1
            continue
        if shortest_detokenized(raw_story) > settings.max_story_chars:
            skipped["story_too_long"] += 1
            continue
        story = detokenize(raw_story)
        reason = length_problem(story, settings)
        if reason:
            skipped[reason] += 1
            continue
        answered.add(raw_prompt)
        text, kind, tags = prompt
        yield Candidate(
            id=f"{NAME}/{local_id}",
            source=NAME,
            subset=NAME,
            group=kind,
            messages=chat(text, story),
            rank=0,
            meta={**provenance, "line": line, "prompt_type": kind, "tags": list(tags), "licence": LICENCE},
        )


def shortest_detokenized(text: str) -> int:
    """A lower bound on ``len(detokenize(text))``: detokenising removes only whitespace, 8 characters
    per ``<newline>`` and one per `` `` `` or ``''`` pair."""
    visible = sum(map(len, text.split()))
    return visible - 8 * text.count("<newline>") - text.count("``") - text.count("''")


# -- undoing Fan's tokenisation -----------------------------------------------------------------------

NEWLINE_TOKEN = re.compile(r"[ \t]*<newline>[ \t]*")
SPLIT_WORDS = ("gon na", "wan na", "got ta", "lem me", "gim me", "can not")
SPLIT_FORMS = [  # the tokeniser splits these words in two
    (re.compile(r"\b([Gg]on|[Ww]an) na\b"), r"\1na"),
    (re.compile(r"\b([Gg]ot) ta\b"), r"\1ta"),
    (re.compile(r"\b([Ll]em|[Gg]im) me\b"), r"\1me"),
    (re.compile(r"\b([Cc]an) not\b"), r"\1not"),
]
NOT_CONTRACTION = re.compile(r"(?<=\w) (n['’]t)\b", re.I)  # do n't, did n’t
APOSTROPHE_CONTRACTION = re.compile(r"(?<=\w) (['’]) ?(t|s|m|d|ll|re|ve)\b", re.I)  # didn ’ t, man ’ s, don ' t
CLITIC = re.compile(r"(?<=\w) ('(?:s|m|d|ll|re|ve))\b", re.I)  # I 'm, Vault 's
CLOSING_AS_OPENING = re.compile(r" ``(?=[,.;:](?!\.))")  # `` , after a quote is its end, mis-marked
OPEN_DOUBLE = re.compile(r"``\s*")
CLOSE_DOUBLE = re.compile(r"\s*''(?!')")
CLOSE_SINGLE = re.compile(r"(?<=\S) '(?=\s|$)")  # '6666 ' -> '6666', parents ' -> parents'
OPEN_SINGLE = re.compile(r"(?<![`\w])`(?!`) +")  # ` x ' (an inline `code` span stays)
SPACED_DOTS = re.compile(r"\.(?: \.)+")
BEFORE_PUNCTUATION = re.compile(r" +(?=[,.;:!?%)\]}…]|’(?!\w))")
AFTER_OPENING = re.compile(r"([(\[{“‘]) +")
BEFORE_CURLY_CLOSE = re.compile(r" +(?=”)")
LINK_TARGET = re.compile(r"\] +\((?=\s*(?:https?:|www\.|/|#))")
SCHEME = re.compile(r"\b(https?) ?: ?//")
URL_QUERY = re.compile(r"(https?://\S*?\?) (?=[\w.-]+=)")
CURRENCY = re.compile(r"([$£€#]) (?=\d)")
HEADING_HASHES = re.compile(r"^#(?: #)+(?= )")
EMPHASIS_CLOSE = re.compile(r"(?<!\S)(\*{1,3}|_{1,3})(?=[^\s*_])([^*_\n]*?[^\s*_]) +\1(?!\S)")
SPACES = re.compile(r" {2,}")


def detokenize(text: str) -> str:
    """Fan et al.'s tokenised text -> text as written: ``<newline>`` back to line breaks, tokens joined.

    Works line by line, because quotes and brackets do not span paragraphs in the tokenised text
    either. Also copes with half-detokenised copies (some CSV samples already joined ``,`` and ``.``).
    """
    text = NEWLINE_TOKEN.sub("\n", text)
    lines = [detokenize_line(line) for line in text.split("\n")]
    return BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def detokenize_line(line: str) -> str:
    """One line; each rule runs only when the text it needs is there (a substring test costs almost
    nothing, a regular expression scans the whole line), which makes this several times faster."""
    line = " ".join(line.split())
    lowered = line.lower()
    if any(split in lowered for split in SPLIT_WORDS):
        for pattern, replacement in SPLIT_FORMS:
            line = pattern.sub(replacement, line)
    if "n't" in lowered or "n’t" in lowered:
        line = NOT_CONTRACTION.sub(r"\1", line)
    if " '" in line or " ’" in line:
        line = APOSTROPHE_CONTRACTION.sub(r"\1\2", line)
        line = CLITIC.sub(r"\1", line)
    if "`" in line:
        line = CLOSING_AS_OPENING.sub("''", line)
        line = OPEN_DOUBLE.sub('"', line)
        line = OPEN_SINGLE.sub("'", line)
    if "''" in line:
        line = CLOSE_DOUBLE.sub('"', line)
    if " '" in line:
        line = CLOSE_SINGLE.sub("'", line)
    line = join_straight_quotes(line)
    if ". ." in line:
        line = SPACED_DOTS.sub(lambda m: m.group(0).replace(" ", ""), line)
    line = BEFORE_PUNCTUATION.sub("", line)
    if any(opening in line for opening in ("( ", "[ ", "{ ", "“ ", "‘ ")):
        line = AFTER_OPENING.sub(r"\1", line)
    if " ”" in line:
        line = BEFORE_CURLY_CLOSE.sub("", line)
    if "] (" in line:
        line = LINK_TARGET.sub("](", line)
    if "//" in line:
        line = SCHEME.sub(r"\1://", line)
        if "?" in line:
            line = URL_QUERY.sub(r"\1", line)
    if any(sign in line for sign in ("$ ", "£ ", "€ ", "# ")):
        line = CURRENCY.sub(r"\1", line)
    if line.startswith("# #"):
        line = HEADING_HASHES.sub(lambda m: m.group(0).replace(" ", ""), line)
    if " *" in line or " _" in line:
        line = EMPHASIS_CLOSE.sub(r"\1\2\1", line)
    return SPACES.sub(" ", line).strip()


def join_straight_quotes(line: str) -> str:
    """``he said " hi , you " and`` -> ``he said "hi , you" and``: a free-standing straight quote opens
    or closes by its parity on the line (quotes already attached to a word count too)."""
    if '"' not in line:
        return line
    tokens = line.split(" ")
    out: list[str] = []
    open_quote = False
    glue_next = False
    for token in tokens:
        if token == '"':
            if open_quote:
                out[-1:] = [(out[-1] if out else "") + '"']
            else:
                out.append('"')
                glue_next = True
            open_quote = not open_quote
            continue
        if glue_next:
            out[-1] += token
            glue_next = False
        else:
            out.append(token)
        if token.count('"') % 2:
            open_quote = not open_quote
    return " ".join(out)
