"""``<data-dir>/lima-curate.lock.json``: where every pulled file came from, its size and its sha256.

``pull`` writes it (:class:`Lock`); a build reads it (:func:`lock_urls`) to name the URL of every
input in the card. Both sides meet here, below them, so the build never imports the network code.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Iterable

from .errors import InputError
from .manifest import write_atomic

LOCK_NAME = "lima-curate.lock.json"
LOCK_SCHEMA = 1


def today() -> str:
    """The fetch date recorded in the lock file (UTC, day precision)."""
    return datetime.now(UTC).date().isoformat()


def read_lock(path: Path) -> dict[str, dict]:
    """The lock file's entries, path relative to its folder -> {url, bytes, sha256, fetched, ...}."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"not a readable lock file ({error})") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or data.get("schema") != LOCK_SCHEMA:
        raise InputError(path, f'not a lock file of schema {LOCK_SCHEMA} (expected {{"schema": 1, "files": {{...}}}})')
    for rel, entry in files.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str) or not isinstance(entry.get("bytes"), int):
            raise InputError(path, f"entry {rel!r} lacks bytes or sha256")
    return files


class Lock:
    """``<data-dir>/lima-curate.lock.json``: canonical JSON, one entry per file, sorted by path."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LOCK_NAME
        self.files = read_lock(self.path)

    def complete(self, rel: str) -> bool:
        """Recorded, and the file is there with the recorded size (a cheap check, no re-hash)."""
        entry = self.files.get(rel)
        file = self.data_dir / rel
        return entry is not None and file.is_file() and file.stat().st_size == entry["bytes"]

    def members_of(self, archive_rel: str) -> list[str]:
        """The files recorded as extracted from an archive, so a second pull can skip it."""
        return sorted(rel for rel, entry in self.files.items() if entry.get("archive") == archive_rel)

    def record(self, rel: str, url: str | None, size: int, sha256: str, source: str, **extra: object) -> str | None:
        """Add or replace an entry; returns a note when the bytes differ from an earlier record."""
        old = self.files.get(rel)
        same = old is not None and old.get("sha256") == sha256
        entry = {"url": url, "bytes": size, "sha256": sha256, "source": source, "fetched": old["fetched"] if same else today()}
        entry.update({k: v for k, v in extra.items() if v is not None})
        self.files[rel] = entry
        if old is not None and not same:
            fetched = old.get("fetched", "its last pull")
            return f"{rel} changed since {fetched} (sha256 {old['sha256'][:12]} -> {sha256[:12]})"
        return None

    def forget(self, rel: str) -> None:
        """Drop an entry (a bad download that was deleted, so the next pull fetches it again)."""
        self.files.pop(rel, None)

    def save(self) -> None:
        """Write the whole file at once (sorted keys, one-space indent), so a reader never sees half of it."""
        files = dict(sorted(self.files.items()))
        text = json.dumps({"schema": LOCK_SCHEMA, "files": files}, sort_keys=True, indent=1, ensure_ascii=False)
        write_atomic(self.path, (text + "\n").encode("utf-8"))


def lock_urls(paths: Iterable[Path]) -> dict[str, str]:
    """sha256 -> URL for every entry of every lock file in the given paths' folders or above them.

    A file extracted from an archive maps to ``ARCHIVE_URL#MEMBER``. When the same bytes came from
    several URLs the smallest URL wins, so the answer does not depend on the order of ``paths``.
    """
    locks: set[Path] = set()
    for path in paths:
        path = Path(path).resolve()
        folders = [path, *path.parents] if path.is_dir() else list(path.parents)
        locks.update(folder / LOCK_NAME for folder in folders if (folder / LOCK_NAME).is_file())
    urls: dict[str, str] = {}
    for lock in sorted(locks):
        for entry in read_lock(lock).values():
            url = entry.get("url")
            if url and (entry["sha256"] not in urls or url < urls[entry["sha256"]]):
                urls[entry["sha256"]] = url
    return urls
