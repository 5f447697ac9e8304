"""Review by hand as data: the review file, one decision a line, appended and never rewritten.

The page (``lima-curate review``) writes decisions as they are made; ``build`` applies the ones in
force after sampling; ``verify`` rebuilds with the same file. Both sides go through this module:
``decision`` builds and checks a record (an edit stores a diff-match-patch patch of the text, not a
copy), ``append`` writes one whole line, ``read`` returns the records or one line naming the file and
line of the first bad one, ``in_force`` says which decisions count, and ``apply_edit`` applies an
edit exactly or not at all. ``apply`` is the build's step: the decisions in force applied to the
sampled picks and the reserve. docs/review.md describes the file.

About 440 lines, one contract: what a record may say and what it does to a build sit together, so
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
from typing import Any, Iterator

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
        if base == new:
            raise ValueError("the edit changes nothing")
        record.update(field=field, base_sha256=text_sha256(base), new_sha256=text_sha256(new), patch=make_patch(base, new))
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
    for key in ("id", "subset", "reviewer", *sorted(required)):
        if not isinstance(record.get(key), str) or not record[key].strip():
            return f"{key!r} must be a non-empty string"
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
    parsed = differ().patch_fromText(text)
    if not parsed:
        raise ValueError("no hunk")
    return parsed


def patch_sha256(record: dict[str, Any]) -> str:
    """What ``meta.edited`` records for an applied edit: the sha256 of its patch text."""
    return text_sha256(record["patch"])


def apply_edit(text: str, record: dict[str, Any]) -> str | None:
    """The edited text, or None when the edit is stale (``text`` is not the text it was made on). An
    edit is applied exactly or not at all: every hunk must apply and give the text it was made to give."""
    if text_sha256(text) != record["base_sha256"]:
        return None
    engine = differ()
    engine.Match_Threshold = 0.0  # on the very text it was made on, only an exact match is right
    edited, applied = engine.patch_apply(patches(record["patch"]), text)
    if not all(applied) or text_sha256(edited) != record["new_sha256"]:
        raise ValueError("the patch does not give the text it was made to give")
    return edited


# -- the file --------------------------------------------------------------------------------------


def append(path: Path, record: dict[str, Any]) -> None:
    """Add one record as one whole line: checked first, written with one O_APPEND write under an
    exclusive flock and fsynced, so a killed process leaves the line whole or absent. A short write (a
    full disk) is cut back off; a file whose last line is torn is refused rather than glued onto."""
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
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            lines = sum(block.count(b"\n") for block in _blocks(path)) + 1
            raise InputError(path, TORN + "; remove it by hand before adding decisions", lines)
        try:
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


def _blocks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            yield block


TORN = "torn last line (no newline at its end: a write was cut off)"


def read(path: Path) -> list[dict[str, Any]]:
    """Every record, in file order (record ``n`` is line ``n``); the first line that is not a whole,
    valid record is an InputError naming the file and line."""
    return parse(read_bytes(path), Path(path))


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

COUNTS = ("accepted", "rejected", "replaced", "edited", "stale_edits")


@dataclass
class Applied:
    """The picks after the review, per subset (sorted by id, as sampled ones are), its counts per
    action for the card, the stale edits (``ID field``) and a warning line for each."""

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
    """The decisions in force applied to the picks: a ``replace`` takes its named candidate (eligible,
    of the same subset, not chosen); each other rejected example, in id order, the first reserve draw
    of its subset not yet taken and not rejected itself (``meta.review`` says which it replaces and
    its 1-based rank in the reserve); then edits, applied exactly, a stale one reported and skipped.
    A decision the picks cannot take is one line naming the review file and its line."""
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
    rejected = {i for i, (_, r) in force.decisions.items() if r["action"] in ("reject", "replace")}
    taken: dict[str, str] = {}  # replacement id -> the id it replaces
    replacements: dict[str, Candidate] = {}
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
            if target in rejected
            else f"{target!r} already replaces {taken[target]!r}"
            if target in taken
            else ""
        )
        if problem:
            raise InputError(path, problem, number)
        taken[target] = example_id
        replacements[example_id] = marked(eligible[target], example_id, reserves.get(record["subset"], []))
    for subset, picks in chosen.items():
        queue = [c for c in reserves.get(subset, []) if c.id not in rejected and c.id not in taken]
        for c in picks:
            if c.id not in rejected or c.id in replacements:
                continue
            if not queue:
                number = force.decisions[c.id][0]
                raise InputError(
                    path,
                    f"no reserve draw of {subset} is left to replace {c.id!r} (the reserve holds "
                    f"{len(reserves.get(subset, []))}); raise [review] reserve in the recipe",
                    number,
                )
            replacement = queue.pop(0)
            taken[replacement.id] = c.id
            replacements[c.id] = marked(replacement, c.id, reserves[subset])
    final = {
        subset: sorted(
            (replacements.get(c.id, c) for c in picks if c.id not in rejected or c.id in replacements), key=lambda c: c.id
        )
        for subset, picks in chosen.items()
    }
    counts = dict.fromkeys(COUNTS, 0)
    in_manifest = {c.id for picks in final.values() for c in picks}
    counts["accepted"] = sum(r["action"] == "accept" and i in in_manifest for i, (_, r) in force.decisions.items())
    counts["rejected"] = sum(force.decisions[i][1]["action"] == "reject" for i in replacements)
    counts["replaced"] = len(replacements) - counts["rejected"]
    stale, warnings = [], []
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
                    counts["edited"] += 1
                    edited = result
            picks[place] = edited
    return Applied(final, counts, stale, warnings)


def marked(candidate: Candidate, replaces: str, reserve: list[Candidate]) -> Candidate:
    """A replacement as the manifest shows it: ``meta.review`` names the example it replaces and its
    rank in its subset's reserve (absent for a named candidate from beyond the reserve)."""
    ranks = {c.id: rank for rank, c in enumerate(reserve, 1)}
    note = {"replaces": replaces, **({"reserve_rank": ranks[candidate.id]} if candidate.id in ranks else {})}
    return dataclasses.replace(candidate, meta={**candidate.meta, "review": note})


def edited_candidate(candidate: Candidate, field: str, record: dict[str, Any], path: Path, number: int) -> Candidate | None:
    """The candidate with one field's edit applied and ``meta.edited[field]`` set to the patch's
    sha256, or None when the edit is stale. The prompt is the first turn, the response the last
    assistant turn (what the page shows)."""
    messages = [dict(m) for m in candidate.messages]
    where = 0 if field == "prompt" else max(i for i, m in enumerate(messages) if m["role"] == "assistant")
    try:
        text = apply_edit(messages[where]["content"], record)
    except ValueError as error:
        raise InputError(path, f"edit of {candidate.id}'s {field}: {error}", number) from None
    if text is None:
        return None
    messages[where]["content"] = text
    edited = {**candidate.meta.get("edited", {}), field: patch_sha256(record)}
    return dataclasses.replace(candidate, messages=tuple(messages), meta={**candidate.meta, "edited": edited})
