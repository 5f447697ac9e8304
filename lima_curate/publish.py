"""Publishing an output set: manifest, card, rejects, reserve, dev and test appear together or not at all.

The set is written into a staging folder beside ``--out`` and swapped in with one rename (an
atomic exchange of the two folders where the kernel has it, ``renameat2(RENAME_EXCHANGE)``), so a
reader sees the previous set or the new one, never files of two builds. A kill, a full disk or any
error before the swap leaves the previous set as it was. A lock file beside ``--out`` keeps a
second build from writing the same folder at the same time. Files in ``--out`` that are not part
of a set (a README, a review file a page is appending to) are carried over to the new folder, as hard
links made before the swap, so nothing written to them while the set is swapped is lost.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .contract import digest
from .errors import InputError, write_fault
from .manifest import CARD, DEV, ELIGIBLE, MANIFEST, REJECTS, RESERVE, SAMPLED, TEST, Outputs, _umask, card_bytes, file_sha256

SET_FILES = (MANIFEST, CARD, REJECTS, ELIGIBLE, RESERVE, SAMPLED, DEV, TEST)
FORMER_SET_FILES = ("rejects.jsonl",)  # written by earlier versions in place of rejects.parquet


def lock_path(out_dir: Path) -> Path:
    """The lock sits beside ``--out``, not in it: the folder itself is swapped out under a build."""
    return out_dir.parent / f".{out_dir.name}.lock"


@contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """Hold ``--out`` for one build (an advisory lock the kernel drops if the build dies)."""
    path = lock_path(out_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise write_fault(error, path.parent) or InputError(
            out_dir, f"cannot create the output folder's lock ({error.strerror})"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise InputError(
                out_dir, f"another build is writing this folder (pid {holder}); wait for it or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        for stale in out_dir.parent.glob(f".{out_dir.name}.staging-*"):  # left by a killed build
            remove_set_folder(stale, out_dir)
        yield
    finally:
        os.close(fd)


def write_set(out_dir: Path, outputs: Outputs) -> Path:
    """Write the set into a staging folder, then swap it in; returns the manifest's path."""
    with staged(out_dir) as staging:
        files: dict[str, Any] = {MANIFEST: write_file(staging / MANIFEST, outputs.manifest)}
        for name, data in ((RESERVE, outputs.reserve), (DEV, outputs.dev), (TEST, outputs.test)):
            files[name] = write_file(staging / name, data) if data else None
        if outputs.sampled:  # a reviewed set's draw before the review; not listed at all without a review
            files[SAMPLED] = write_file(staging / SAMPLED, outputs.sampled)
        files[REJECTS] = write_rejects(staging / REJECTS, outputs)
        files[ELIGIBLE] = write_eligible(staging / ELIGIBLE, outputs)
        outputs.card["files"] = files
        write_file(staging / CARD, card_bytes(outputs.card))
    return out_dir / MANIFEST


def write_files(out_dir: Path, files: dict[str, bytes]) -> None:
    """A set of whole files (an imported manifest and its card) published like a build's: all of
    them or, on any failure, none."""
    with staged(out_dir) as staging:
        for name, data in files.items():
            write_file(staging / name, data)


@contextmanager
def staged(out_dir: Path) -> Iterator[Path]:
    """A staging folder beside ``out_dir`` for the block to fill; swapped in when the block ends
    without error, removed in every case. A write fault is one line naming the folder."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(out_dir, "exists and is not a folder")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    except OSError as error:
        raise write_fault(error, out_dir.parent) or InputError(
            out_dir.parent, f"cannot write the output set ({error.strerror})"
        ) from None
    try:
        yield staging
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; a manifest is for sharing
        sync_folder(staging)
        swap_in(staging, out_dir)
    except OSError as error:
        kept = "the previous set is left as it was"
        fault = write_fault(error, out_dir, done=kept)
        what = f"{error.strerror} ({Path(error.filename).name})" if error.filename else str(error.strerror or error)
        raise fault or InputError(out_dir, f"cannot write the output set: {what}; {kept}") from None
    finally:
        remove_set_folder(staging, out_dir)


def write_file(path: Path, data: bytes) -> str:
    """One file of the staging folder, on disk before the swap (the swap, not this write, is atomic);
    returns its sha256."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return digest(data)


def write_rejects(path: Path, outputs: Outputs) -> str:
    """Every unit's rejects shard in unit order, then the rejects of the steps across units:
    streamed batch by batch, whatever the number of rows. With a cache folder the file is kept
    there too, named by what it is made of, and a warm rebuild copies it instead of re-encoding
    every dropped candidate again (most of a Stack Overflow build's rows)."""
    from .extract import REJECT_COLUMNS

    memo = rejects_memo(outputs)
    if memo is not None:
        found = copied_memo(memo, path)
        if found is not None:
            return found
    found = write_parquet(path, REJECT_COLUMNS, outputs.reject_shards, outputs.rejects)
    if memo is not None:
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            temp = memo.with_name(f"{memo.name}.{os.getpid()}.tmp")
            shutil.copyfile(path, temp)
            os.replace(temp, memo.with_name(f"{memo.stem}.{found}.parquet"))
        except OSError:
            pass  # a read-only or full cache only costs the encoding next time
    return found


REJECTS_MEMO = 1  # bump when the rejects file's layout changes


def rejects_memo(outputs: Outputs) -> Path | None:
    """Where this set's rejects.parquet is kept in the cache: a digest of its reject shards (named by
    their cache keys, so by everything they depend on), the rows of the steps across units and the
    pyarrow version that encodes them. The file found there is ``KEY.SHA256.parquet``."""
    if outputs.memo_dir is None:
        return None
    import pyarrow as pa

    from .contract import canonical_json

    material = canonical_json(
        [REJECTS_MEMO, pa.__version__, [f"{p.parent.name}/{p.name}" for p in outputs.reject_shards], outputs.rejects]
    )
    key = hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return Path(outputs.memo_dir) / "rejects" / f"{key}.parquet"


def copied_memo(memo: Path, path: Path) -> str | None:
    """The kept rejects file copied to ``path`` when one exists and still has the sha256 in its
    name (else None: it is written again, never trusted); returns that sha256."""
    for kept in sorted(memo.parent.glob(f"{memo.stem}.*.parquet")) if memo.parent.is_dir() else []:
        digest_named = kept.name[len(memo.stem) + 1 : -len(".parquet")]
        try:
            shutil.copyfile(kept, path)
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
            if file_sha256(path)[1] == digest_named:
                return digest_named
        except OSError:
            pass
    return None


def write_eligible(path: Path, outputs: Outputs) -> str:
    """Where every eligible candidate stood in its group's order (``why`` reads it); returns its sha256."""
    from .extract import ELIGIBLE_COLUMNS

    return write_parquet(path, ELIGIBLE_COLUMNS, [], outputs.eligible)


def write_parquet(path: Path, columns: tuple[tuple[str, str], ...], shards: list[Path], rows: list[dict[str, Any]]) -> str:
    """The shards' rows, then ``rows``, into one Parquet file; returns its sha256."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in columns])
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for shard in shards:
            for batch in pq.ParquetFile(shard).iter_batches(batch_size=65536):
                writer.write_batch(batch)
        if rows:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
    return file_sha256(path)[1]


def swap_in(staging: Path, out_dir: Path) -> None:
    """Make ``staging`` the folder ``out_dir``; afterwards ``staging`` holds the previous set. Files of
    ``out_dir`` that are not the set's (a review file a running page appends to) are carried over as
    hard links made before the swap, each under its flock (the lock ``review.append`` takes), so the
    folder swapped in already holds the very file: a decision appended at any moment lands in it."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
        os.mkdir(staging)  # an empty "previous set" for the caller to remove
        return
    linked = link_foreign_files(out_dir, staging)
    try:
        if not exchange(staging, out_dir):
            previous = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.previous-", dir=out_dir.parent))
            os.rmdir(previous)
            os.rename(out_dir, previous)  # between these two renames --out is briefly absent, never mixed
            os.rename(staging, out_dir)
            os.rename(previous, staging)
    except OSError:
        for entry in linked:
            (staging / entry).unlink(missing_ok=True)
        raise
    for entry in sorted(os.listdir(staging)):
        if entry in linked:
            os.unlink(staging / entry)  # the previous folder's name for a file the new one holds
        elif entry not in SET_FILES and entry not in FORMER_SET_FILES:
            os.rename(staging / entry, out_dir / entry)  # a folder, a link, or a file that came late: moved
    sync_folder(out_dir.parent)


def link_foreign_files(out_dir: Path, staging: Path) -> set[str]:
    """Hard-link each regular file of ``out_dir`` that is not a set file into ``staging``, under its
    exclusive flock (an append in progress finishes first); the names linked. A file system without
    hard links leaves the file to be moved after the swap."""
    linked = set()
    for entry in sorted(os.listdir(out_dir)):
        source = out_dir / entry
        if entry in SET_FILES or entry in FORMER_SET_FILES or source.is_symlink() or not source.is_file():
            continue
        try:
            fd = os.open(source, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.link(source, staging / entry)
            linked.add(entry)
        except OSError:
            pass
        finally:
            os.close(fd)
    return linked


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux ``renameat2`` with ``RENAME_EXCHANGE``); False where the
    system or file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def remove_set_folder(folder: Path, out_dir: Path | None = None) -> None:
    """Remove a staging or previous-set folder, but only if it holds nothing but set files (and links
    to the very files ``out_dir`` holds, which a killed build left before its swap)."""
    if not folder.is_dir():
        return

    def ours(entry: str) -> bool:
        if entry in SET_FILES or entry in FORMER_SET_FILES or entry.endswith(".tmp"):
            return True
        try:
            return out_dir is not None and os.path.samefile(folder / entry, out_dir / entry)
        except OSError:
            return False

    if all(ours(entry) for entry in os.listdir(folder)):
        shutil.rmtree(folder, ignore_errors=True)


def sync_folder(folder: Path) -> None:
    """fsync a folder, so that the renames in it survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
