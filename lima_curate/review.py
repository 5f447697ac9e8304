"""Review by hand as data: the review file, one decision a line, appended and never rewritten.

The page (``lima-curate review``) writes decisions as they are made; ``build`` applies the ones in
force after sampling; ``verify`` rebuilds with the same file. Both sides go through this module:
``decision`` builds and checks a record (an edit stores a diff-match-patch patch of the text, not a
copy), ``append`` writes one whole line, ``read`` returns the records or one line naming the file and
line of the first bad one, ``in_force`` says which decisions count, and ``apply_edit`` applies an
edit exactly or not at all. ``edit_target`` names the turn an edit changes and ``assign`` which
candidate takes a removed example's place, for the build and the page alike. ``apply`` is the build's
step: the decisions in force applied to the sampled picks and the reserve. docs/review.md describes the file.

About 570 lines, one contract: what a record may say and what it does to a build sit together, so
the page that writes decisions and the build that applies them cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

from .contract import canonical_json
from .errors import InputError, write_fault
from .records import Candidate

REVIEW_FILE = "review.jsonl"  # the default, in the set's folder: OUT/review.jsonl
SCHEMA = "lima-review/1"
ACTIONS = ("accept", "reject", "replace", "edit")
FIELDS = ("prompt", "response")
REASONS = (
    "off-topic",
    "low quality",
    "formatting",
    "first person",
    "refers to elsewhere",
    "unsafe",
    "duplicate",
    "other",
)
TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
SHA256 = re.compile(r"[0-9a-f]{64}")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
COMMON = {"schema", "id", "subset", "action", "reviewer", "time", "reason"}
REQUIRED: dict[str, set[str]] = {  # action -> the keys it must have beyond COMMON
    "accept": set(),
    "reject": {"reason"},
    "replace": {"with"},
    "edit": {"field", "base_sha256", "new_sha256", "patch"},
}


def text_sha256(text: str) -> str:
    """The sha256 of a text's UTF-8 bytes: how an edit names the text it was made on and the one it makes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now() -> str:
    """UTC, to the second, ISO-8601 with a Z: the form of every record's ``time``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def decision(
    action: str,
    example_id: str,
    subset: str,
    *,
    reviewer: str,
    reason: str = "",
    candidate: str = "",
    field: str = "",
    base: str | None = None,
    new: str | None = None,
    time: str | None = None,
) -> dict[str, Any]:
    """One checked record, ready for ``append``: ``candidate`` is the id a ``replace`` takes; an ``edit``
    gives the ``field``, its ``base`` text (as shown) and the ``new`` text, and gets the patch and both
    texts' sha256. A record the build would refuse is refused here (``ValueError``), before it is written."""
    record: dict[str, Any] = {
        "schema": SCHEMA,
        "id": example_id,
        "subset": subset,
        "action": action,
        "reviewer": reviewer,
        "time": time or now(),
    }
    if reason:
        record["reason"] = reason
    if action == "replace":
        record["with"] = candidate
    if action == "edit":
        if base is None or new is None:
            raise ValueError("an edit needs the base text and the new text")
        if not new.strip():
            raise ValueError(f"the edit leaves the {field or 'text'} blank; reject the example instead")
        patch = make_patch(base, new) if base != new else ""  # "": the sampled text back, undoing earlier edits
        record.update(field=field, base_sha256=text_sha256(base), new_sha256=text_sha256(new), patch=patch)
    problem = record_problem(record)
    if problem:
        raise ValueError(problem)
    return record


def record_problem(record: Any) -> str:
    """What is wrong with a record, or "" when the build can use it."""
    if not isinstance(record, dict):
        return "a record is a JSON object"
    if record.get("schema") != SCHEMA:
        return f"schema must be {SCHEMA!r}, found {record.get('schema')!r}"
    action = record.get("action")
    if action not in ACTIONS:
        return f"action must be one of {', '.join(ACTIONS)}, found {action!r}"
    required = REQUIRED[action]
    unknown = sorted(set(record) - COMMON - required)
    if unknown:
        return f"{action} takes no {unknown[0]!r}"
    for key in ("id", "subset", "reviewer", *sorted(required - {"patch"})):
        if not isinstance(record.get(key), str) or not record[key].strip():
            return f"{key!r} must be a non-empty string"
    if action == "edit" and not isinstance(record.get("patch"), str):
        return "'patch' must be a string"
    if not isinstance(record.get("reason", ""), str):
        return "'reason' must be a string"
    if not isinstance(record.get("time"), str) or not TIME.fullmatch(record["time"]):
        return f"time must be UTC ISO-8601 to the second (2026-01-31T12:00:00Z), found {record.get('time')!r}"
    if action == "replace" and record["with"] == record["id"]:
        return "an example cannot replace itself"
    if action == "edit":
        if record["field"] not in FIELDS:
            return f"field must be one of {', '.join(FIELDS)}, found {record['field']!r}"
        for key in ("base_sha256", "new_sha256"):
            if not SHA256.fullmatch(record[key]):
                return f"{key} must be 64 lower-case hex digits"
        if record["new_sha256"] == EMPTY_SHA256:
            return "an edit may not leave the text blank"
        if record["base_sha256"] == record["new_sha256"]:  # a revert: the sampled text back
            return "" if record["patch"] == "" else "an edit back to its base text has an empty patch"
        try:
            patches(record["patch"])
        except ValueError as error:
            return f"patch is not a diff-match-patch patch ({error})"
    return ""


# -- the patch -------------------------------------------------------------------------------------


def differ() -> Any:
    """A diff-match-patch engine. Its diff stops refining after a second (a long text edited all over
    still gets a correct, if less minimal, patch); applying computes no diff, so it is exact."""
    from diff_match_patch import diff_match_patch

    return diff_match_patch()


def make_patch(base: str, new: str) -> str:
    """The diff of two texts as diff-match-patch's patch text (a few lines of context, not a copy)."""
    engine = differ()
    return engine.patch_toText(engine.patch_make(base, new))


def patches(text: str) -> list:
    """A patch text parsed; ``ValueError`` when it is not one."""
    try:
        parsed = differ().patch_fromText(text)
    except (ValueError, IndexError, TypeError) as error:
        raise ValueError(str(error) or type(error).__name__) from None
    if not parsed:
        raise ValueError("no hunk")
    return parsed


def patch_sha256(record: dict[str, Any]) -> str:
    """What ``meta.edited`` records for an applied edit: the sha256 of its patch text."""
    return text_sha256(record["patch"])


def apply_edit(text: str, record: dict[str, Any]) -> str | None:
    """The edited text, or None when the edit is stale (``text`` is not the text it was made on). An
    edit is applied exactly or not at all: every hunk must apply and give the text it was made to give,
    else ``ValueError`` (a hand-written patch, say), never another exception. A revert (base and new
    the same text, no patch) gives the text back as it is."""
    if text_sha256(text) != record["base_sha256"]:
        return None
    if record["base_sha256"] == record["new_sha256"]:
        return text
    engine = differ()
    engine.Match_Threshold = 0.0  # on the very text it was made on, only an exact match is right
    try:
        edited, applied = engine.patch_apply(patches(record["patch"]), text)
    except (IndexError, TypeError, AttributeError):
        applied, edited = [False], text
    if not all(applied) or text_sha256(edited) != record["new_sha256"]:
        raise ValueError("the patch does not give the text it was made to give")
    return edited


# -- the file --------------------------------------------------------------------------------------


def append(path: Path, record: dict[str, Any]) -> int:
    """Add one record as one whole line: checked first, written with one O_APPEND write under an
    exclusive flock and fsynced. A killed writer can still leave part of a long line (Linux stops a
    write at a page boundary when a fatal signal is pending), so under the same lock a torn tail is
    mended first (``mend_torn_tail``): no append ever returned for it, so no decision is lost. A short
    write (a full disk) is cut back off. Returns the bytes of torn tail cut off (0 almost always)."""
    problem = record_problem(record)
    if problem:
        raise ValueError(problem)
    data = (canonical_json(record) + "\n").encode("utf-8")
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as error:
        raise write_fault(error, path, "choose another review file") or InputError(
            path, f"cannot open the review file ({error.strerror})"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            cut = mend_torn_tail(fd, path)
            size = os.fstat(fd).st_size
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            os.fsync(fd)
        except OSError as error:
            os.ftruncate(fd, size)
            raise write_fault(error, path, "choose another review file") or InputError(
                path, f"cannot write the review file ({error.strerror})"
            ) from None
    finally:
        os.close(fd)
    return cut


def mend_torn_tail(fd: int, path: Path) -> int:
    """Make the file (open, locked) end at a whole line: a tail after the last newline that is a whole
    valid record (a line written by hand without its newline) gets its newline; any other tail, the
    part of a line a killed writer left, is cut off. Returns the bytes cut."""
    size = os.fstat(fd).st_size
    if not size or os.pread(fd, 1, size - 1) == b"\n":
        return 0
    start = size
    while start > 0:  # back to the byte after the last newline, a block at a time
        block_start = max(0, start - (1 << 16))
        found = os.pread(fd, start - block_start, block_start).rfind(b"\n")
        if found >= 0:
            start = block_start + found + 1
            break
        start = block_start
    tail = os.pread(fd, size - start, start)
    try:
        whole = not record_problem(json.loads(tail.decode("utf-8")))
    except ValueError:  # not UTF-8, not JSON
        whole = False
    if whole:
        os.write(fd, b"\n")
        return 0
    os.ftruncate(fd, start)
    return size - start


TORN = "torn last line (no newline at its end: a write was cut off)"


def read(path: Path) -> list[dict[str, Any]]:
    """Every record, in file order (record ``n`` is line ``n``); the first line that is not a whole,
    valid record is an InputError naming the file and line."""
    return parse(read_bytes(path), Path(path))


@dataclass(frozen=True)
class ReviewFile:
    """A review file read once: the card hashes the very bytes whose records the build applies."""

    path: Path
    data: bytes
    records: list[dict[str, Any]]


def load(path: Path) -> ReviewFile:
    """The review file read and checked in one go (``read``'s records with their bytes)."""
    data = read_bytes(path)
    return ReviewFile(Path(path), data, parse(data, Path(path)))


def read_bytes(path: Path) -> bytes:
    """The review file's bytes (a build hashes and parses the same bytes), or one line saying why not."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "review file not found") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a review file") from None
    except OSError as error:
        raise InputError(path, f"cannot read the review file ({error.strerror})") from None


def parse(data: bytes, path: Path) -> list[dict[str, Any]]:
    """The records of a review file's bytes (``read``'s work, for bytes already read)."""
    records = []
    lines = data.split(b"\n")
    for number, raw in enumerate(lines[:-1], 1):
        records.append(parse_line(raw, path, number))
    if lines[-1]:
        raise InputError(path, TORN, len(lines))
    return records


def parse_line(raw: bytes, path: Path, number: int) -> dict[str, Any]:
    """One line of the review file as a checked record."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise InputError(path, f"not valid UTF-8 ({error.reason})", number) from None
    except json.JSONDecodeError as error:
        raise InputError(path, f"not a JSON line ({error.msg})", number) from None
    problem = record_problem(record)
    if problem:
        raise InputError(path, problem, number)
    return record


@dataclass(frozen=True)
class InForce:
    """The decisions that count, each with its line: the last accept/reject/replace of an id, and the
    last edit of an (id, field)."""

    decisions: dict[str, tuple[int, dict[str, Any]]]
    edits: dict[tuple[str, str], tuple[int, dict[str, Any]]]


def in_force(records: list[dict[str, Any]]) -> InForce:
    """Later lines win: an accept after a reject undoes it; a second edit of a field replaces the first."""
    decisions: dict[str, tuple[int, dict[str, Any]]] = {}
    edits: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    for number, record in enumerate(records, 1):
        if record["action"] == "edit":
            edits[(record["id"], record["field"])] = (number, record)
        else:
            decisions[record["id"]] = (number, record)
    return InForce(decisions, edits)


# -- the build's step ------------------------------------------------------------------------------

COUNTS = ("accepted", "rejected", "replaced", "edited", "stale_edits", "dropped_edits")


def edit_target(messages: Sequence[dict[str, str]], field: str) -> int:
    """The index of the turn an edit of ``field`` changes: the prompt is the first user turn, the
    response the last assistant turn (what the filters judged). The build patches it and the page
    shows and patches the same turn, so a dialogue's edit means one thing on both sides."""
    roles = [m["role"] for m in messages]
    if field == "prompt" and "user" in roles:
        return roles.index("user")
    if field == "response" and "assistant" in roles:
        return len(roles) - 1 - roles[::-1].index("assistant")
    raise ValueError(f"no {'user' if field == 'prompt' else 'assistant'} turn to edit as the {field}")


def id_and_url(item: Any) -> tuple[str, str]:
    """An example's id and thread (``meta.url``, "" when none), from a Candidate or a manifest line."""
    if isinstance(item, dict):
        return item["id"], (item.get("meta") or {}).get("url") or ""
    return item.id, item.meta.get("url") or ""


def assign(
    force: InForce,
    sampled: Mapping[str, Sequence[Any]],
    reserve: Mapping[str, Sequence[Any]],
    named: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Which candidate takes the place of each example a review removes (example id -> candidate id),
    the one rule the build applies and the page shows. ``sampled`` and ``reserve`` are the draw per
    subset (Candidates or manifest lines), ``named`` any candidate a replace names from beyond the
    reserve. First each ``replace`` in force, in file order, takes the candidate it names (unless an
    earlier one took it, or it is rejected: the build refuses those); then, subset by subset, each
    rejected example in id order takes its subset's first reserve draw not taken, not rejected, and of
    a thread (``meta.url``) not already in the manifest (one thread, one example). A rejected example
    with nothing left is absent."""
    removed = {i for i, (_, r) in force.decisions.items() if r["action"] in ("reject", "replace")}
    drawn = {id_and_url(c)[0]: id_and_url(c)[1] for picks in sampled.values() for c in picks}
    known = {**{id_and_url(c)[0]: id_and_url(c)[1] for picks in reserve.values() for c in picks}, **drawn}
    known.update({i: id_and_url(c)[1] for i, c in (named or {}).items() if i not in known})
    threads = {url for i, url in drawn.items() if url and i not in removed}
    taken: dict[str, str] = {}  # example id -> the candidate that takes its place
    for example_id, (_, record) in sorted(force.decisions.items(), key=lambda item: item[1][0]):
        if record["action"] != "replace" or example_id not in drawn:
            continue
        target: str = record["with"]
        if target in removed or target in drawn or target in taken.values():
            continue
        taken[example_id] = target
        threads.add(known.get(target, ""))
    for subset, picks in sampled.items():
        queue = [id_and_url(c) for c in reserve.get(subset, [])]
        for example_id in sorted(i for i, _ in map(id_and_url, picks) if i in removed and i not in taken):
            for candidate_id, url in queue:
                if candidate_id not in removed and candidate_id not in taken.values() and not (url and url in threads):
                    taken[example_id] = candidate_id
                    threads.add(url)
                    break
    return taken


@dataclass
class Applied:
    """The picks after the review, per subset (sorted by id, as sampled ones are), its counts per
    action for the card, the stale edits (``ID field``) and a warning line for each stale or dropped edit."""

    chosen: dict[str, list[Candidate]]
    counts: dict[str, int]
    stale: list[str]
    warnings: list[str]


def wanted(records: list[dict[str, Any]]) -> set[str]:
    """The candidates a review names explicitly (``replace ... with``): the build reads them back whole."""
    return {r["with"] for _, r in in_force(records).decisions.values() if r["action"] == "replace"}


def apply(
    path: Path,
    records: list[dict[str, Any]],
    chosen: dict[str, list[Candidate]],
    reserves: dict[str, list[Candidate]],
    eligible: dict[str, Candidate],
) -> Applied:
    """The decisions in force applied to the picks: each removed example's place goes to the candidate
    ``assign`` gives it (``meta.review`` says which example it replaces and its 1-based rank in the
    reserve); then edits, applied exactly, a stale one reported and skipped, one of an example left
    outside the manifest counted and reported. A decision the picks cannot take is one line naming
    the review file and its line."""
    force = in_force(records)
    picked = {c.id: c for picks in chosen.values() for c in picks}
    reserved = {c.id: c for picks in reserves.values() for c in picks}
    named = wanted(records)
    for number, record in sorted([*force.decisions.values(), *force.edits.values()], key=lambda item: item[0]):
        known = picked.get(record["id"]) or reserved.get(record["id"])
        if known is None and record["id"] not in named:
            raise InputError(path, f"{record['id']!r} is neither in the manifest nor in its subset's reserve", number)
        subset = known.subset if known else eligible[record["id"]].subset if record["id"] in eligible else record["subset"]
        if record["subset"] != subset:
            raise InputError(path, f"{record['id']!r} is in subset {subset}, not {record['subset']}", number)
    check_replaces(path, force, picked, eligible)
    candidates = {**{i: eligible[i] for i in named if i in eligible}, **reserved}
    taken = assign(force, chosen, reserves, {i: eligible[i] for i in named if i in eligible})
    removed = {i for i, (_, r) in force.decisions.items() if r["action"] in ("reject", "replace")}
    threads = {c.meta["url"] for c in picked.values() if c.id not in removed and c.meta.get("url")}
    for number, record in sorted(force.decisions.values(), key=lambda item: item[0]):
        url = candidates[record["with"]].meta.get("url") if record["action"] == "replace" else None
        if url and url in threads:
            raise InputError(path, f"{record['with']!r} answers a thread already in the manifest ({url})", number)
        threads |= {url} if url else set()
    for subset, picks in chosen.items():
        for c in picks:
            if c.id in removed and c.id not in taken:
                raise InputError(
                    path,
                    f"no reserve draw of {subset} is left to replace {c.id!r} (the reserve holds "
                    f"{len(reserves.get(subset, []))}, less those taken, rejected or of a thread already in the manifest); "
                    f"raise [review] reserve in the recipe",
                    force.decisions[c.id][0],
                )
    final = {
        subset: sorted(
            (marked(candidates[taken[c.id]], c.id, reserves.get(subset, [])) if c.id in taken else c for c in picks),
            key=lambda c: c.id,
        )
        for subset, picks in chosen.items()
    }
    counts = dict.fromkeys(COUNTS, 0)
    in_manifest = {c.id for picks in final.values() for c in picks}
    counts["accepted"] = sum(r["action"] == "accept" and i in in_manifest for i, (_, r) in force.decisions.items())
    counts["rejected"] = sum(force.decisions[i][1]["action"] == "reject" for i in taken)
    counts["replaced"] = len(taken) - counts["rejected"]
    stale, warnings = [], []
    for (example_id, field), (number, _) in sorted(force.edits.items(), key=lambda item: item[1][0]):
        if example_id not in in_manifest:
            counts["dropped_edits"] += 1
            warnings.append(
                f"{path}:{number}: edit of {example_id}'s {field} not applied: the example is not in the manifest "
                f"(rejected, or a reserve draw no decision took)"
            )
    for picks in final.values():
        for place, c in enumerate(picks):
            edited = c
            for field in FIELDS:
                if (c.id, field) not in force.edits:
                    continue
                number, record = force.edits[(c.id, field)]
                result = edited_candidate(edited, field, record, path, number)
                if result is None:
                    counts["stale_edits"] += 1
                    stale.append(f"{c.id} {field}")
                    warnings.append(
                        f"{path}:{number}: stale edit of {c.id}'s {field}: the text changed since the edit was made "
                        f"(base sha256 {record['base_sha256'][:12]}); not applied, edit it again"
                    )
                else:
                    counts["edited"] += result is not edited
                    edited = result
            picks[place] = edited
    return Applied(final, counts, stale, warnings)


def check_replaces(path: Path, force: InForce, picked: dict[str, Candidate], eligible: dict[str, Candidate]) -> None:
    """Each ``replace`` in force, in file order, must name an eligible candidate of the same subset that
    is not in the manifest, not rejected and not named by an earlier replace; else one line naming its line."""
    removed = {i for i, (_, r) in force.decisions.items() if r["action"] in ("reject", "replace")}
    named_by: dict[str, str] = {}
    for example_id, (number, record) in sorted(force.decisions.items(), key=lambda item: item[1][0]):
        if record["action"] != "replace":
            continue
        target = record["with"]
        problem = (
            f"{example_id!r} is not in the manifest (only an example of the manifest is replaced)"
            if example_id not in picked
            else f"{target!r} is not an eligible candidate of {record['subset']}"
            if target not in eligible or eligible[target].subset != record["subset"]
            else f"{target!r} is already in the manifest"
            if target in picked
            else f"{target!r} is rejected at line {force.decisions[target][0]}"
            if target in removed
            else f"{target!r} already replaces {named_by[target]!r}"
            if target in named_by
            else ""
        )
        if problem:
            raise InputError(path, problem, number)
        named_by[target] = example_id


def marked(candidate: Candidate, replaces: str, reserve: list[Candidate]) -> Candidate:
    """A replacement as the manifest shows it: ``meta.review`` names the example it replaces and its
    rank in its subset's reserve (absent for a named candidate from beyond the reserve)."""
    ranks = {c.id: rank for rank, c in enumerate(reserve, 1)}
    note = {"replaces": replaces, **({"reserve_rank": ranks[candidate.id]} if candidate.id in ranks else {})}
    return dataclasses.replace(candidate, meta={**candidate.meta, "review": note})


def edited_candidate(candidate: Candidate, field: str, record: dict[str, Any], path: Path, number: int) -> Candidate | None:
    """The candidate with one field's edit applied (the turn ``edit_target`` names) and
    ``meta.edited[field]`` set to the patch's sha256; None when the edit is stale; the candidate itself
    for a revert (the sampled text back: no ``meta.edited``)."""
    messages = [dict(m) for m in candidate.messages]
    try:
        where = edit_target(messages, field)
        text = apply_edit(messages[where]["content"], record)
    except ValueError as error:
        raise InputError(path, f"edit of {candidate.id}'s {field}: {error}", number) from None
    if text is None:
        return None
    if record["base_sha256"] == record["new_sha256"]:
        return candidate
    if not text.strip():
        raise InputError(path, f"edit of {candidate.id}'s {field}: it leaves the text blank", number)
    messages[where]["content"] = text
    edited = {**candidate.meta.get("edited", {}), field: patch_sha256(record)}
    return dataclasses.replace(candidate, messages=tuple(messages), meta={**candidate.meta, "edited": edited})
