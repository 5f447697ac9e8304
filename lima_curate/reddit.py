"""Reddit dumps for any subreddit's reader: Pushshift / Arctic Shift file pairs, their NDJSON lines
(zstd-compressed or plain), and the record helpers every Reddit source needs (text as posted, numbers,
ids, links).

A dump is a pair of files, submissions and comments, named one of three ways:

- per subreddit, Pushshift's (and Watchful1's) ``X_submissions.zst`` + ``X_comments.zst``;
- per subreddit, Arctic Shift's download tool: ``r_X_posts.jsonl`` + ``r_X_comments.jsonl`` (plain
  NDJSON; the same names ending ``.zst`` / ``.jsonl.zst`` once compressed are read too);
- monthly, every subreddit: ``RS_YYYY-MM.zst`` + ``RC_YYYY-MM.zst`` (Pushshift's and Arctic Shift's).

The ``.zst`` files need a 2 GiB window (``zstd --long=31``); they are streamed in chunks and split on
``b"\\n"`` before decoding, so a UTF-8 character cut by a chunk boundary is never seen in halves.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import orjson
import zstandard

from .errors import InputError

REDDIT = "https://www.reddit.com"
MAX_WINDOW = 2**31  # Pushshift dumps are compressed with --long=31
READ_SIZE = 1 << 16  # compressed bytes read at a time (about 0.5-10 MB once decompressed)

MONTHLY = re.compile(r"^R([SC])_(.+\.zst)$")
# X_submissions.zst, r_X_posts.jsonl, r_X_comments.jsonl.zst: a stem, the kind, an NDJSON extension
PER_SUBREDDIT = re.compile(r"^(.+)_(submissions|posts|comments)((?:\.jsonl|\.ndjson)?(?:\.zst)?)$")
SUBMISSION_KINDS = ("submissions", "posts")


# -- dump files ------------------------------------------------------------------------------------


def per_subreddit(file: Path) -> tuple[str, str, str] | None:
    """(stem, kind, extension) of a per-subreddit dump file's name, or None for any other name."""
    match = PER_SUBREDDIT.match(file.name)
    return (match.group(1), match.group(2), match.group(3)) if match and match.group(3) else None


def is_dump_file(file: Path) -> bool:
    """Whether the name is one of a dump pair's (a per-subreddit or a monthly file)."""
    return per_subreddit(file) is not None or bool(MONTHLY.match(file.name))


def dump_unit(file: Path) -> Path:
    """The file a reader reads a dump pair from: its submissions file, or a comments file itself
    when its submissions file is absent (its comments then join nothing)."""
    submissions = submissions_file(file)
    return submissions if submissions.is_file() else file


def submissions_file(file: Path) -> Path:
    """The submissions half of the pair a dump file belongs to (the file itself when it is that half):
    ``X_submissions`` or ``X_posts`` beside ``X_comments``, whichever exists (Arctic Shift's ``_posts``
    when neither does and the file is ``.jsonl``, else Pushshift's ``_submissions``)."""
    if parts := per_subreddit(file):
        stem, kind, ext = parts
        if kind in SUBMISSION_KINDS:
            return file
        names = [
            f"{stem}_{k}{ext}" for k in (("posts", "submissions") if ".jsonl" in ext or ".ndjson" in ext else SUBMISSION_KINDS)
        ]
        return next((file.with_name(n) for n in names if file.with_name(n).is_file()), file.with_name(names[0]))
    if match := MONTHLY.match(file.name):
        return file.with_name(f"RS_{match.group(2)}")
    return file


def comments_file(file: Path) -> Path:
    """The comments half of the pair a dump file belongs to (the file itself when it is that half)."""
    if parts := per_subreddit(file):
        stem, _, ext = parts
        return file.with_name(f"{stem}_comments{ext}")
    if match := MONTHLY.match(file.name):
        return file.with_name(f"RC_{match.group(2)}")
    return file


def is_comments_file(file: Path) -> bool:
    """Whether a dump file holds comments (a unit that is one has no submissions to join)."""
    parts = per_subreddit(file)
    return parts[1] == "comments" if parts else file.name.startswith("RC_")


def pair_files(file: Path) -> list[Path]:
    """The halves of a dump file's pair that exist, sorted: what a unit read from it depends on."""
    return sorted({p for p in (submissions_file(file), comments_file(file)) if p.is_file()})


# -- zstd NDJSON streaming -------------------------------------------------------------------------


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


def plain_chunks(path: Path, read_size: int = READ_SIZE) -> Iterator[bytes]:
    """The bytes of an uncompressed NDJSON file (Arctic Shift's ``.jsonl``), in blocks."""
    try:
        with open(path, "rb") as handle:
            while block := handle.read(read_size * 16):
                yield block
    except OSError as error:
        raise InputError(path, f"cannot read ({error.strerror or error})") from None


def zst_lines(path: Path, read_size: int = READ_SIZE) -> Iterator[tuple[int, bytes]]:
    """(line number, line bytes) for every line of a zstd NDJSON file, blank lines included; a file
    whose name does not end ``.zst`` is read as plain NDJSON."""
    progress = _Progress()
    chunks = zst_chunks(path, progress, read_size) if path.name.endswith(".zst") else plain_chunks(path, read_size)
    for line in split_lines(chunks):
        progress.lines += 1
        yield progress.lines, line


def zst_records(path: Path, subreddit: str, skipped: Counter, read_size: int = READ_SIZE) -> Iterator[tuple[int, dict]]:
    """(line number, record) for the records of one subreddit.

    In a monthly dump (``RS_``/``RC_``, every subreddit), a line that does not mention the subreddit's
    name at all (case-insensitively) cannot belong to it and is counted without being parsed,
    which keeps the reader near the speed of decompression. Every other line must be a JSON object.
    Records of other subreddits count as ``other_subreddit``; in a per-subreddit file, where each is
    parsed anyway, the most common of them is also counted by name (``other_subreddit:r/AskWomen``),
    so that a file of the wrong subreddit can be named.
    """
    wanted = subreddit.lower()
    needle = wanted.encode("ascii") if MONTHLY.match(path.name) else b""
    others: Counter = Counter()
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
        name = str(record.get("subreddit") or "")
        if name.lower() != wanted:
            skipped["other_subreddit"] += 1
            if not needle and SUBREDDIT_NAME.fullmatch(name):
                others[name] += 1
            continue
        yield number, record
    if others:
        name, count = others.most_common(1)[0]
        skipped[f"{OTHER_SUBREDDIT}:r/{name}"] = count


OTHER_SUBREDDIT = "other_subreddit"
SUBREDDIT_NAME = re.compile(r"[A-Za-z0-9_.]{1,50}")  # what a card may name ("reddit.com" is an early one)


# -- records ---------------------------------------------------------------------------------------


def submission_problem(record: dict) -> str:
    """Why a submission cannot start a candidate (adult, a moderator's, removed), or "" when it can."""
    if record.get("over_18"):
        return "submission_over_18"
    if record.get("distinguished") == "moderator" or record.get("stickied"):
        return "submission_moderator"
    if record.get("removed_by_category") or record.get("title") in ("[deleted by user]", "[removed]", "[deleted]"):
        return "submission_removed"
    selftext = record.get("selftext")
    if isinstance(selftext, str) and selftext.strip() in ("[removed]", "[deleted]"):
        return "submission_removed"
    if deleted_later(record):
        return "submission_deleted_later"
    return ""


def deleted_later(record: dict) -> bool:
    """Arctic Shift (2023-11 on) fetches each thing twice and keeps the first text; ``_meta.was_deleted_later``
    says the author or a moderator removed it in between, which a set honours by leaving it out."""
    meta = record.get("_meta")
    return isinstance(meta, dict) and meta.get("was_deleted_later") is True


def comment_problem(record: dict, bots: set[str], suffixes: tuple[str, ...]) -> str:
    """Why a comment cannot answer its submission (a reply, removed, a moderator's, a bot's), or ""
    when it can; ``bots`` are lower-cased author names, ``suffixes`` lower-cased name endings."""
    if record.get("parent_id") != record.get("link_id"):
        return "comment_reply"
    body = record.get("body")
    if isinstance(body, str) and body.strip() in ("[deleted]", "[removed]"):
        return "comment_removed"
    if record.get("distinguished") == "moderator" or record.get("stickied"):
        return "comment_moderator"
    author = str(record.get("author") or "").lower()
    if author in bots or (suffixes and author.endswith(suffixes)):
        return "comment_bot"
    if deleted_later(record):
        return "comment_deleted_later"
    return ""


def permalink_of(submission: dict, subreddit: str) -> str:
    """The submission's path on reddit.com, ending in "/" (older dumps lack ``permalink``)."""
    path = submission.get("permalink")
    if not isinstance(path, str) or not path.startswith("/"):
        path = f"/r/{subreddit}/comments/{submission['id']}/"
    return path.rstrip("/") + "/"


REDDIT_ENTITY = re.compile(r"&(amp|lt|gt|quot|#39|#x27);")
ENTITY_TEXT = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#39": "'", "#x27": "'"}
ZERO_WIDTH = re.compile(r"&#x200[Bb];|\u200b")
TRAILING_SPACE = re.compile(r"[ \t]+(?=\n)")
BLANK_RUN = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def reddit_text(text: str) -> str:
    """Markdown as posted: Reddit's entity escaping undone (one level only, so a literal "&amp;lt;"
    stays "&lt;"), the new editor's zero-width-space paragraphs removed, line ends normalised.

    Each step runs only when its character is present: this is called for every candidate answer.
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


INT_LIMIT = 1 << 63  # scores and times are stored as 64-bit integers wherever a set keeps them


def as_int(value: object) -> int:
    """Pushshift writes numbers as numbers, but some dumps have ``"created_utc": "1546300800"``;
    anything that is no number reads as 0."""
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return 0


def record_int(record: dict, key: str, path: Path, line: int) -> int:
    """``as_int`` of a record's field, and a number no dump can hold (outside a 64-bit integer, such
    as ``"score": 1e30``) an InputError naming the file and line."""
    value = as_int(record.get(key))
    if not -INT_LIMIT <= value < INT_LIMIT:
        raise InputError(path, f"{key} {str(record.get(key))[:30]} is out of range (a 64-bit integer)", line=line)
    return value


def base36_key(reddit_id: str) -> tuple[int, int]:
    """Reddit ids in numeric order (``"zz" < "100"``); an id that is not base 36 sorts first."""
    try:
        return (0, int(reddit_id, 36))
    except ValueError:
        return (-1, 0)
