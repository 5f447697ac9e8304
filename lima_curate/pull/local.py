"""The data directory and what lands in it: files the user already has (``--from``) linked in and
recorded, and the :class:`Outcome` every way of pulling a file reports."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..download import Fetcher
from ..errors import InputError
from ..lockfile import Lock
from ..manifest import atomic_file, file_sha256


@dataclass(frozen=True)
class Outcome:
    """What happened to one file: fetched, already complete, registered, extracted, skipped."""

    path: str  # relative to the data directory, with "/"
    action: str
    bytes: int | None = None
    sha256: str | None = None
    url: str | None = None


def default_data_dir() -> Path:
    """Where ``pull`` puts files when no ``--data-dir`` is given: ``$LIMA_DATA``, else ``./data``."""
    return Path(os.environ.get("LIMA_DATA") or "data")


def already_complete(lock: Lock, rel: str) -> Outcome:
    """The outcome for a file the lock file records as complete: its recorded size, hash and URL."""
    entry = lock.files[rel]
    return Outcome(rel, "already complete", entry["bytes"], entry["sha256"], entry["url"])


def note_change(fetcher: Fetcher, change: str | None) -> None:
    """Tell the user when a file's bytes differ from what the lock file recorded before."""
    if change:
        fetcher.note(f"[yellow]note:[/] {change}")


def place(src: Path, dest: Path) -> None:
    """Hard-link ``src`` as ``dest`` (or copy it across file systems), atomically."""
    if dest.exists() and os.path.samefile(src, dest):
        return
    with atomic_file(dest) as temp:
        temp.unlink()  # a link makes its own name: the temporary's is only reserved
        try:
            os.link(src, temp)
        except OSError:
            shutil.copyfile(src, temp)


def register(
    files: list[tuple[Path, str]],
    source: str,
    lock: Lock,
    note: Callable[[str], None],
    vouch: Callable[[Path, str], dict] | None = None,
) -> list[Outcome]:
    """Link or copy local files into the data directory (``rel`` under it) and record them, url null.

    ``vouch(file, sha256)`` checks each file against what its publisher says before any is placed
    (it raises to refuse one, so a refused set leaves the data directory and the lock file as they
    were) and returns what its entry records besides (``checked``, ``release``).
    """
    vouched: dict[str, dict] = {}
    hashed: dict[str, tuple[int, str]] = {}
    if vouch is not None:
        for src, rel in files:
            hashed[rel] = file_sha256(src)
            vouched[rel] = vouch(src, hashed[rel][1])
    outcomes = []
    for src, rel in files:
        dest = lock.data_dir / rel
        place(src, dest)
        if rel in hashed and os.path.samefile(src, dest):
            size, sha256 = hashed[rel]  # the same file, hashed once
        else:
            size, sha256 = file_sha256(dest)
            if rel in hashed and hashed[rel][1] != sha256:
                raise InputError(dest, f"changed while it was copied from {src}: register it again")
        changed = lock.record(rel, None, size, sha256, source, local=True, **vouched.get(rel, {}))
        if changed:
            note(f"[yellow]note:[/] {changed}")
        outcomes.append(Outcome(rel, "registered", size, sha256))
    lock.save()
    return outcomes


def local_files(path: Path, patterns: tuple[str, ...], what: str) -> list[Path]:
    """``path`` itself when it is a file, else its files matching ``patterns`` (sorted)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputError(path, "no such file or folder")
    found = sorted({p for pattern in patterns for p in path.glob(pattern) if p.is_file()})
    if not found:
        raise InputError(path, f"no {what} here ({', '.join(patterns)})")
    return found
