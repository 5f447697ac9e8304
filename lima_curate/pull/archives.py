"""Archives: list and check a zip or tar before anything is extracted, extract the files a source
needs, and pull one (fetch into ``archives/``, then extract into the source's folder).

An archive is extracted only when none of its entries could land outside the data directory: no
links, no special files, no absolute paths, no ``..``.
"""

from __future__ import annotations

import re
import shutil
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator
from urllib.parse import unquote, urlsplit

from ..download import Fetcher
from ..errors import InputError
from ..lockfile import Lock
from ..manifest import atomic_file, file_sha256
from .local import Outcome, already_complete, note_change

ARCHIVES = "archives"  # downloaded archives, kept apart from the extracted files a build reads


@dataclass(frozen=True)
class Entry:
    """One entry of an archive, as listed before extraction: enough to judge whether it is safe."""

    name: str
    kind: str  # "file", "dir", "link", "other"


def archive_entries(archive: Path) -> list[Entry]:
    """Every entry of a zip or tar archive, with its kind, without extracting anything."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                return [Entry(i.filename, zip_kind(i)) for i in zf.infolist()]
        with tarfile.open(archive, "r:*") as tf:
            return [Entry(m.name, tar_kind(m)) for m in tf.getmembers()]
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
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


def common_top(entries: list[Entry]) -> str:
    """The one folder every entry sits in (GitHub archives: ``repo-ref/``), or ""."""
    tops = {PurePosixPath(e.name).parts[0] for e in entries if PurePosixPath(e.name).parts}
    only = next(iter(tops)) if len(tops) == 1 else ""
    return only if only and all(len(PurePosixPath(e.name).parts) > 1 or e.kind == "dir" for e in entries) else ""


def extract(archive: Path, dest_dir: Path, choose: Callable[[str], str | None]) -> Iterator[tuple[str, str, int, str]]:
    """Extract the chosen files of a checked archive: (target relative to dest_dir, member, bytes, sha256).

    ``choose(member name)`` gives the target path (posix, relative) or None to leave it out. Each
    file is written through ``manifest.atomic_file``, so a crash never leaves half a file under its name.
    """
    root = dest_dir.resolve()

    def target_of(name: str) -> Path | None:
        rel = choose(name)
        if rel is None:
            return None
        target = (dest_dir / rel).resolve()
        if root not in target.parents:
            raise InputError(archive, f"entry {name!r} would be written outside {dest_dir}: refusing it")
        return dest_dir / rel

    def write(stream, target: Path) -> tuple[int, str]:
        with atomic_file(target) as temp:
            with open(temp, "wb") as handle:
                shutil.copyfileobj(stream, handle, 1 << 20)
            size, sha256 = file_sha256(temp)
        return size, sha256

    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    target = None if info.is_dir() else target_of(info.filename)
                    if target is not None:
                        with zf.open(info) as stream:
                            yield (target.relative_to(dest_dir).as_posix(), info.filename, *write(stream, target))
        else:
            with tarfile.open(archive, "r:*") as tf:
                for member in tf:
                    target = target_of(member.name) if member.isfile() else None
                    if target is not None:
                        with tf.extractfile(member) as stream:  # type: ignore[union-attr]
                            yield (target.relative_to(dest_dir).as_posix(), member.name, *write(stream, target))
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
        raise InputError(archive, f"cannot extract ({error})") from None


def pull_archive(
    source: str,
    url: str | None,
    archive: Path,
    choose_for: Callable[[list[Entry]], Callable[[str], str | None]],
    data_dir: Path,
    fetcher: Fetcher,
    lock: Lock,
) -> list[Outcome]:
    """Fetch an archive into ``archives/`` (unless ``url`` is None: a local one), then extract into ``source/``."""
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
        extracted = list(extract(archive, data_dir / source, choose))
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


def archive_name(url: str, fallback: str) -> str:
    """The file name an archive is kept under in ``archives/``: the URL's last part, made safe."""
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or fallback
