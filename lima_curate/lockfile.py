"""``<data-dir>/lima-curate.lock.json``: where every pulled file came from, its size and its sha256.

``pull`` writes it (:class:`Lock`); a build reads it (:func:`lock_urls`) to name the URL of every
input in the card. Both sides meet here, below them, so the build never imports the network code.

Two pulls may run at once in one data directory. Each file being fetched or extracted is held with
:func:`file_lock` (``fcntl.flock`` on ``TARGET.lock`` beside it, removed when released), and the lock
file itself is read, merged and replaced under its own ``lima-curate.lock.json.lock``: an entry one
pull writes is never lost to the other's save.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import InputError
from .manifest import write_atomic

LOCK_NAME = "lima-curate.lock.json"
LOCK_SCHEMA = 1
# The folders pull writes under the data directory (one per source); a build input under one of them
# finds the data directory's lock file beside that folder, and nowhere else.
PULL_FOLDERS = ("stackexchange", "wikihow", "superni", "writingprompts")
MAX_LOCK_BYTES = 256 << 20  # a lock file is a few MB at most; anything far larger is not one

_held: dict[str, list] = {}  # lock path -> [open fd, depth]: file_lock is re-entrant within a process


def today() -> str:
    """The fetch date recorded in the lock file (UTC, day precision)."""
    return datetime.now(UTC).date().isoformat()


@contextmanager
def file_lock(target: Path, note: Callable[[str], None] | None = None, what: str = "") -> Iterator[bool]:
    """Hold ``TARGET.lock`` (``fcntl.flock``, exclusive) while the body runs; yields whether it waited.

    A second holder in another process waits (``note`` says so first); the same process may nest it.
    The lock file is removed on release: a waiter that then holds an unlinked file sees that its
    path no longer names it and locks the new one, so two holders never overlap.
    """
    path = Path(target).with_name(Path(target).name + ".lock")
    key = os.path.abspath(path)
    if key in _held:
        _held[key][1] += 1
        try:
            yield False
        finally:
            _held[key][1] -= 1
        return
    waited = False
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise InputError(path, f"cannot create this lock ({error.strerror or error}); is the folder writable?") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if note is not None and not waited:
                    note(f"[yellow]waiting[/] for another pull of {what or Path(target).name} to finish (it holds {path})")
                waited = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)  # the holder before us removed it: lock the file now under that name
    _held[key] = [fd, 1]
    try:
        yield waited
    finally:
        del _held[key]
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        os.close(fd)


def read_lock(path: Path) -> dict[str, dict]:
    """The lock file's entries, path relative to its folder -> {url, bytes, sha256, fetched, ...}.

    Anything else than a lock file of this schema (not JSON, not UTF-8, a folder, a pipe, entries of
    the wrong shape) is one ``InputError`` naming it.
    """
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise InputError(path, f"cannot read this lock file ({error.strerror or error})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(path, "not a regular file: a lock file must be a JSON file (delete or rename it)")
    if info.st_size > MAX_LOCK_BYTES:
        raise InputError(path, f"{info.st_size:,} bytes: too large for a lock file (delete or rename it)")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise InputError(path, f"cannot read this lock file ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise InputError(path, f"not a readable lock file (not UTF-8: {error.reason} at byte {error.start + 1})") from None
    except json.JSONDecodeError as error:
        raise InputError(path, f"not a readable lock file ({error.msg})", error.lineno) from None
    except (ValueError, RecursionError) as error:
        raise InputError(path, f"not a readable lock file ({type(error).__name__}: {str(error)[:80]})") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or data.get("schema") != LOCK_SCHEMA:
        raise InputError(path, f'not a lock file of schema {LOCK_SCHEMA} (expected {{"schema": 1, "files": {{...}}}})')
    for rel, entry in files.items():
        problem = entry_problem(entry)
        if problem:
            raise InputError(path, f"entry {rel[:200]!r} {problem}")
    return files


def entry_problem(entry: object) -> str | None:
    """Why a lock entry cannot be trusted (its shape, not its bytes), or None."""
    if not isinstance(entry, dict):
        return "is not an object"
    size, sha256, url = entry.get("bytes"), entry.get("sha256"), entry.get("url")
    if not isinstance(sha256, str) or not isinstance(size, int) or isinstance(size, bool):
        return "lacks bytes or sha256"
    if size < 0 or len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return "has a negative size or a sha256 that is not 64 hex digits"
    if url is not None and not isinstance(url, str):
        return "has a url that is not a string"
    return None


class Lock:
    """``<data-dir>/lima-curate.lock.json``: canonical JSON, one entry per file, sorted by path.

    Changes are kept apart from what was read (``record``, ``forget``) and merged into the file as it
    is on disk when saved, under the lock file's own lock, so concurrent pulls keep each other's entries.
    """

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LOCK_NAME
        self.files = read_lock(self.path)
        self._changes: dict[str, dict | None] = {}  # rel -> new entry, or None when forgotten

    def refresh(self) -> None:
        """Read the file again (another pull may have written it), keeping this run's unsaved changes."""
        self.files = self._merged(read_lock(self.path))

    def _merged(self, on_disk: dict[str, dict]) -> dict[str, dict]:
        files = dict(on_disk)
        for rel, entry in self._changes.items():
            if entry is None:
                files.pop(rel, None)
            else:
                files[rel] = entry
        return files

    @contextmanager
    def claim(self, rel: str, note: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold one file of the data directory (``rel``) against other pulls; the entries are read
        again once held, so a file another pull finished meanwhile counts as complete."""
        with file_lock(self.data_dir / rel, note, rel):
            self.refresh()
            yield

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
        self._changes[rel] = entry
        if old is not None and not same:
            fetched = old.get("fetched", "its last pull")
            return f"{rel} changed since {fetched} (sha256 {old['sha256'][:12]} -> {sha256[:12]})"
        return None

    def forget(self, rel: str) -> None:
        """Drop an entry (a bad download that was deleted, so the next pull fetches it again)."""
        self.files.pop(rel, None)
        self._changes[rel] = None

    def save(self) -> None:
        """Merge this run's changes into the file as it is now and replace it at once (sorted keys,
        one-space indent), under its own lock, so a reader never sees half of it and no entry is lost."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with file_lock(self.path):
            files = dict(sorted(self._merged(read_lock(self.path)).items()))
            text = json.dumps({"schema": LOCK_SCHEMA, "files": files}, sort_keys=True, indent=1, ensure_ascii=False)
            try:
                write_atomic(self.path, (text + "\n").encode("utf-8"))
            except OSError as error:
                hint = "free some space" if error.errno in (errno.ENOSPC, errno.EDQUOT) else "check its folder"
                raise InputError(self.path, f"cannot write the lock file ({error.strerror or error}); {hint}") from None
        self.files = files
        self._changes.clear()


def data_dir_of(path: Path) -> tuple[Path, str] | None:
    """(the data directory, the path relative to it) for a path under one of pull's source folders,
    or None: the data directory is the folder holding the nearest such folder, never one further up."""
    path = Path(path).resolve()
    for folder in (path, *path.parents):
        if folder.name in PULL_FOLDERS and folder.parent != folder:
            return folder.parent, path.relative_to(folder.parent).as_posix()
    return None


def lock_urls(paths: Iterable[Path]) -> dict[str, str]:
    """sha256 -> URL for the entries of the data directory's own lock file that lie under the given paths.

    A path's data directory is the folder holding its source folder (``DATA/stackexchange/x.7z`` ->
    ``DATA``, as ``pull`` lays it out); only ``DATA/lima-curate.lock.json`` is read, never a lock file
    further up, and only its entries for files at or under the path count. A file extracted from an
    archive maps to ``ARCHIVE_URL#MEMBER``. When the same bytes came from several URLs the smallest
    URL wins, so the answer does not depend on the order of ``paths``.
    """
    wanted: dict[Path, set[str]] = {}
    for path in paths:
        found = data_dir_of(path)
        if found is not None:
            wanted.setdefault(found[0], set()).add(found[1])
    urls: dict[str, str] = {}
    for data_dir in sorted(wanted):
        prefixes = wanted[data_dir]
        for rel, entry in read_lock(data_dir / LOCK_NAME).items():
            if not any(rel == p or rel.startswith(p + "/") for p in prefixes):
                continue
            url = entry.get("url")
            if url and (entry["sha256"] not in urls or url < urls[entry["sha256"]]):
                urls[entry["sha256"]] = url
    return urls
