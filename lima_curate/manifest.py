"""A set on disk: ``manifest.jsonl``, its card, the rejects, the reserve (and the draw a review was
made on), and the held-out sets.

A build's files are published together as one set (``publish.py``); this module names them, reads
them (each line checked by ``contract.py``), compares them, and holds the package's one atomic
file writer.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from .contract import CARD_SCHEMA, check_line
from .errors import InputError

MANIFEST = "manifest.jsonl"
CARD = "manifest.card.json"
REJECTS = "rejects.parquet"
ELIGIBLE = "eligible.parquet"
RESERVE = "reserve.jsonl"  # each subset's next draws beyond its quota, the replacements of a review
SAMPLED = "sampled.jsonl"  # a reviewed set's quota draw as sampled, before the review: what the review is made on
DEV = "dev.jsonl"
TEST = "test.jsonl"


def card_path(manifest: Path) -> Path:
    """A manifest's card is found by sitting beside it, whatever the manifest is called."""
    return manifest.with_name(CARD)


def jsonl_bytes(lines: Iterable[str]) -> bytes:
    """A JSONL file's exact bytes: UTF-8, every line (the last too) ending in one ``\\n``."""
    return "".join(line + "\n" for line in lines).encode("utf-8")


def hash_file(path: Path, names: set[str]) -> tuple[int, dict[str, str]]:
    """(size, {hash name: hex digest}) in one pass over the file, read in blocks."""
    hashers = {name: hashlib.new(name) for name in sorted(names)}
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            size += len(block)
            for h in hashers.values():
                h.update(block)
    return size, {name: h.hexdigest() for name, h in hashers.items()}


def file_sha256(path: Path) -> tuple[int, str]:
    """(bytes, sha256) of a file."""
    size, hashes = hash_file(path, {"sha256"})
    return size, hashes["sha256"]


WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)  # met only when writing


@contextmanager
def atomic_file(dest: Path) -> Iterator[Path]:
    """A temporary path beside ``dest`` that replaces it only when the block finishes without error.
    An ``OSError`` writing the temporary file (a full disk, a read-only folder) names ``dest``, so
    whoever turns it into one line names the file the user asked for; the temporary file is removed."""
    temp = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        os.close(fd)
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes it private; a manifest is for sharing
        yield Path(temp)
        os.replace(temp, dest)
    except OSError as error:
        ours = error.filename is not None and Path(error.filename).name.startswith(f".{dest.name}.")
        if ours or (error.filename is None and error.errno in WRITE_ERRNOS):
            error.filename = str(dest)  # a write to the temporary file: name the file it becomes
        raise
    finally:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` through :func:`atomic_file`, synced to disk before it replaces ``path``."""
    with atomic_file(path) as temp, open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@dataclass
class Outputs:
    """One build's set, ready to be published or compared: the bytes of the small files, and the
    rejects as the units' shards (in unit order) plus the rows of the steps across units."""

    manifest: bytes
    dev: bytes
    test: bytes
    card: dict[str, Any]
    reject_shards: list[Path] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    eligible: list[dict[str, Any]] = field(default_factory=list)  # every candidate sampling could draw
    reserve: bytes = b""
    sampled: bytes = b""  # only when a review was applied
    memo_dir: Path | None = None  # a cache folder where rejects.parquet is kept by what it is made of


def card_bytes(card: dict[str, Any]) -> bytes:
    """The card is for people too: indented, keys sorted, UTF-8."""
    return (json.dumps(card, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def read_card(manifest: Path) -> dict[str, Any]:
    """The card beside a manifest, refused (``InputError``) when missing, not JSON, of another schema,
    or lacking what a rebuild needs (an imported set's card needs no recipe or inputs)."""
    path = card_path(manifest)
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "card not found beside the manifest (it is written by `lima-curate build`)") from None
    except json.JSONDecodeError as error:
        raise InputError(path, f"card is not valid JSON ({error.msg})", error.lineno) from None
    if not isinstance(card, dict) or card.get("schema") != CARD_SCHEMA:
        found = card.get("schema") if isinstance(card, dict) else None
        raise InputError(path, f"card schema {found!r} is not {CARD_SCHEMA} (rebuild the set with this version of lima-curate)")
    missing = [key for key in ("recipe", "digest", "inputs") if key not in card]
    if missing and not card.get("imported"):
        raise InputError(path, f"card lacks {', '.join(missing)}")
    return card


def read_manifest(path: Path) -> list[dict[str, Any]]:
    """Every example of a manifest, checked line by line against the contract."""
    examples = []
    try:
        handle = open(path, encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "manifest not found") from None
    with handle:
        for number, line in enumerate(handle, 1):
            try:
                example = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise InputError(path, f"not a JSON line ({error})", number) from None
            examples.append(check_line(example, path, number))
    return examples


@dataclass(frozen=True)
class Drift:
    """How a rebuilt manifest differs from the one on disk, by id (each list sorted)."""

    added: list[str]
    removed: list[str]
    changed: list[str]


def compare(expected: bytes, actual: bytes) -> Drift:
    """Ids added, removed and changed between two manifests' bytes."""

    def by_id(data: bytes) -> dict[str, str]:
        lines = data.decode("utf-8").splitlines()
        return {json.loads(line)["id"]: line for line in lines if line}

    old, new = by_id(expected), by_id(actual)
    return Drift(
        added=sorted(new.keys() - old.keys()),
        removed=sorted(old.keys() - new.keys()),
        changed=sorted(k for k in old.keys() & new.keys() if old[k] != new[k]),
    )
