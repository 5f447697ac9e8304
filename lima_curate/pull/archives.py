"""Archives: list and check a zip or tar before anything is extracted, extract the files a source
needs, and pull one (fetch into ``archives/``, then extract into the source's folder).

An archive is extracted only when none of its entries could land outside the data directory: no
links, no special files, no absolute paths, no ``..``. Extraction stops at ``Limits.max_extracted``
bytes and at ``Limits.max_ratio`` extracted bytes per archive byte (zip and tar bombs), checked on the
sizes the archive declares and again on the bytes written. It is all or nothing: every member goes
into a staging folder beside the source's folder and is moved into place only when all of them were
read and checked; on any failure the staging folder goes, and the lock file records nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import struct
import tarfile
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator
from urllib.parse import unquote, urlsplit

from ..download import RATIO_FLOOR, Fetcher, Limits, human
from ..errors import InputError
from ..lockfile import Lock
from ..manifest import file_sha256
from .local import Outcome, already_complete, note_change

ARCHIVES = "archives"  # downloaded archives, kept apart from the extracted files a build reads


@dataclass(frozen=True)
class Entry:
    """One entry of an archive, as listed before extraction: enough to judge whether it is safe."""

    name: str
    kind: str  # "file", "dir", "link", "other"
    size: int = 0  # the uncompressed size the archive declares


def archive_entries(archive: Path) -> list[Entry]:
    """Every entry of a zip or tar archive, with its kind, without extracting anything."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                return [Entry(i.filename, zip_kind(i), i.file_size) for i in zf.infolist()]
        with tarfile.open(archive, "r:*") as tf:
            return [Entry(m.name, tar_kind(m), m.size if m.isfile() else 0) for m in tf.getmembers()]
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise InputError(archive, f"not a readable zip or tar archive ({error})") from None


def zip_kind(info: zipfile.ZipInfo) -> str:
    """A zip entry's kind; a symbolic link shows only in the Unix mode bits."""
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "link"
    return "dir" if info.is_dir() else "file"


def tar_kind(member: tarfile.TarInfo) -> str:
    """A tar member's kind: hard and symbolic links are both links."""
    if member.issym() or member.islnk():
        return "link"
    return "file" if member.isfile() else "dir" if member.isdir() else "other"


def unsafe(entry: Entry) -> str | None:
    """Why an entry could write outside the target folder, or None."""
    name = entry.name.replace("\\", "/")
    if entry.kind == "link":
        return "is a link"
    if entry.kind == "other":
        return "is a device, pipe or other special file"
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return "has an absolute path"
    if ".." in PurePosixPath(name).parts:
        return "climbs out of the folder with '..'"
    return None


def check_archive(archive: Path, entries: list[Entry]) -> None:
    """Refuse the whole archive when any entry is :func:`unsafe`, before a single file is written."""
    for entry in entries:
        reason = unsafe(entry)
        if reason:
            raise InputError(archive, f"entry {entry.name!r} {reason}: refusing to extract this archive")


class Budget:
    """What one archive may still extract: ``Limits.max_extracted`` in all, and past the first
    ``RATIO_FLOOR`` bytes no more than ``Limits.max_ratio`` times the archive's own size."""

    def __init__(self, archive: Path, limits: Limits):
        self.archive = archive
        self.limits = limits
        self.packed = max(archive.stat().st_size, 1)
        self.used = 0

    def check(self, total: int, declared: bool = False) -> None:
        """Refuse the archive, naming it, when ``total`` bytes extracted would break a cap."""
        said = " (as its entries declare)" if declared else ""
        if total > self.limits.max_extracted:
            cap = human(self.limits.max_extracted)
            raise InputError(
                self.archive, f"would extract more than {cap}{said}: refusing it (raise the cap with --max-extracted)"
            )
        if total > RATIO_FLOOR and total > self.limits.max_ratio * self.packed:
            ratio = total / self.packed
            raise InputError(
                self.archive,
                f"expands {ratio:,.0f} times ({human(total)} from {human(self.packed)}){said}, over the "
                f"{self.limits.max_ratio:g}x cap on zip and tar bombs: refusing it (raise --max-ratio if you trust it)",
            )

    def add(self, n: int) -> None:
        """Count ``n`` more bytes written, and check the caps."""
        self.used += n
        self.check(self.used)


def common_top(entries: list[Entry]) -> str:
    """The one folder every entry sits in (GitHub archives: ``repo-ref/``), or ""."""
    tops = {PurePosixPath(e.name).parts[0] for e in entries if PurePosixPath(e.name).parts}
    only = next(iter(tops)) if len(tops) == 1 else ""
    return only if only and all(len(PurePosixPath(e.name).parts) > 1 or e.kind == "dir" for e in entries) else ""


def extract(
    archive: Path, dest_dir: Path, choose: Callable[[str], str | None], limits: Limits = Limits()
) -> Iterator[tuple[str, str, int, str]]:
    """Extract the chosen files of a checked archive into ``dest_dir``: (target relative to dest_dir,
    member, bytes, sha256), all or nothing.

    ``choose(member name)`` gives the target path (posix, relative) or None to leave it out. Every file
    is written into a staging folder beside ``dest_dir`` and moved into place only after the last one
    was read (its CRC checked) within the caps; on any failure the staging folder is removed and
    nothing under ``dest_dir`` has changed.
    """
    root = dest_dir.resolve()
    budget = Budget(archive, limits)
    dest_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest_dir.name}.staging-", dir=dest_dir.parent))

    def target_of(name: str) -> str | None:
        rel = choose(name)
        if rel is None:
            return None
        if root not in (dest_dir / rel).resolve().parents:
            raise InputError(archive, f"entry {name!r} would be written outside {dest_dir}: refusing it")
        return PurePosixPath(rel).as_posix()

    def write(stream, rel: str) -> tuple[int, str]:
        target = staging / rel  # a name met twice (an appended tar member): the later one wins
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as handle:
            while block := stream.read(1 << 20):
                budget.add(len(block))
                handle.write(block)
        return file_sha256(target)

    done: dict[str, tuple[str, str, int, str]] = {}
    try:
        try:
            if zipfile.is_zipfile(archive):
                with zipfile.ZipFile(archive) as zf:
                    chosen = [(info, target_of(info.filename)) for info in zf.infolist() if not info.is_dir()]
                    chosen = [(info, rel) for info, rel in chosen if rel is not None]
                    budget.check(sum(info.file_size for info, _ in chosen), declared=True)
                    for info, rel in chosen:
                        with zf.open(info) as stream:
                            done[rel] = (rel, info.filename, *write(stream, rel))
            else:
                with tarfile.open(archive, "r:*") as tf:
                    members = [(m, target_of(m.name)) for m in tf.getmembers() if m.isfile()]
                    members = [(m, rel) for m, rel in members if rel is not None]
                    budget.check(sum(m.size for m, _ in members), declared=True)
                    for member, rel in members:
                        with tf.extractfile(member) as stream:  # type: ignore[union-attr]
                            done[rel] = (rel, member.name, *write(stream, rel))
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
            raise InputError(archive, f"cannot extract ({error}); nothing was extracted") from None
        try:
            for rel in done:
                (dest_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / rel, dest_dir / rel)
        except OSError as error:
            raise InputError(dest_dir, f"cannot move the extracted files into place ({error.strerror or error})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    yield from done.values()


def pull_archive(
    source: str,
    url: str | None,
    archive: Path,
    choose_for: Callable[[list[Entry]], Callable[[str], str | None]],
    data_dir: Path,
    fetcher: Fetcher,
    lock: Lock,
) -> list[Outcome]:
    """Fetch an archive into ``archives/`` (unless ``url`` is None: a local one), then extract into ``source/``.

    The source's folder is held against other pulls meanwhile (a second one waits, then finds the
    files complete); a refused or broken archive leaves the folder and the lock file as they were,
    and a downloaded one is deleted so the next pull fetches it again.
    """
    with lock.claim(source, fetcher.note):
        return _pull_archive(source, url, archive, choose_for, data_dir, fetcher, lock)


def _pull_archive(
    source: str,
    url: str | None,
    archive: Path,
    choose_for: Callable[[list[Entry]], Callable[[str], str | None]],
    data_dir: Path,
    fetcher: Fetcher,
    lock: Lock,
) -> list[Outcome]:
    local = url is None
    archive_rel = archive.relative_to(data_dir).as_posix() if not local else None
    if archive_rel is not None:
        members = lock.members_of(archive_rel)
        if members and all(lock.complete(rel) for rel in members):
            fetcher.note(f"{source}: the {len(members)} files from {archive.name} are complete; nothing to do")
            return [already_complete(lock, rel) for rel in members]
        if not lock.complete(archive_rel):
            got = fetcher.fetch(url, archive)  # type: ignore[arg-type]
            note_change(fetcher, lock.record(archive_rel, url, got.bytes, got.sha256, source, checked=list(got.checked) or None))
            lock.save()
    try:
        entries = archive_entries(archive)
        check_archive(archive, entries)
        choose = choose_for(entries)
        extracted = list(extract(archive, data_dir / source, choose, fetcher.limits))
        if not extracted:
            raise InputError(archive, f"has none of the files {source} needs")
    except InputError:
        if archive_rel is not None:  # a bad download goes, so the next pull fetches it again
            archive.unlink(missing_ok=True)
            lock.forget(archive_rel)
            lock.save()
        raise
    outcomes = []
    from_local = True if local else None
    for rel, member, size, sha in extracted:
        rel = f"{source}/{rel}"
        member_url = f"{url}#{member}" if url else None
        changed = lock.record(rel, member_url, size, sha, source, archive=archive_rel, member=member, local=from_local)
        note_change(fetcher, changed)
        outcomes.append(Outcome(rel, "extracted", size, sha, member_url))
    lock.save()
    fetcher.note(f"{source}: extracted {len(outcomes)} files from {archive.name} into {data_dir / source}")
    return outcomes


SEVEN_ZIP_SIGNATURE = b"7z\xbc\xaf\x27\x1c"
MAX_7Z_HEADER = 256 << 20  # the end header of a .7z (its file list) is kilobytes, a few MB for Stack Overflow


def seven_zip_problem(path: Path) -> str | None:
    """Why a file is not a whole .7z archive, or None; read from its two headers, nothing decompressed.

    A .7z starts with a 32-byte signature header that says where its end header lies and how long it
    is, each guarded by a CRC-32: a file that is not a 7z, a truncated download (a browser's cut, a
    copy stopped short) or one with bytes changed in its headers is told apart here in milliseconds,
    before a 68 GB archive is hashed or a build finds it broken.
    """
    size = Path(path).stat().st_size
    with open(path, "rb") as handle:
        start = handle.read(32)
        if size == 0:
            return "is empty (0 bytes): the download did not finish"
        if not start.startswith(SEVEN_ZIP_SIGNATURE):
            what = (
                "an HTML page (a login or error page saved instead of the archive?)" if b"<" in start[:16] else "not a 7z archive"
            )
            return f"is {what}: it lacks the 7z signature"
        if len(start) < 32:
            return f"is truncated: {size} bytes, shorter than a 7z signature header"
        crc, offset, length, next_crc = struct.unpack("<I QQ I", start[8:32])
        if zlib.crc32(start[12:32]) != crc:
            return "has a damaged 7z signature header (CRC mismatch)"
        announced = 32 + offset + length
        if size < announced:
            return f"is truncated: {size:,} bytes of the {announced:,} its header announces (download it again)"
        if size > announced:
            return f"has {size - announced:,} bytes after the end its header announces ({announced:,})"
        if length > MAX_7Z_HEADER:
            return f"announces a {length:,}-byte file list, far larger than any dump's"
        handle.seek(32 + offset)
        if zlib.crc32(handle.read(length)) != next_crc:
            return "has a damaged file list (the CRC of its end header does not match)"
    return None


def archive_name(url: str, fallback: str) -> str:
    """The file name an archive is kept under in ``archives/``: the URL's last part, made safe."""
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or fallback
