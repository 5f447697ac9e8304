"""One member of a .7z archive as a stream of bounded blocks, decompressed while the caller consumes them.

Stack Exchange dumps are BZip2 .7z archives, and BZip2 decoding costs more CPU than parsing the XML it
yields. So the two run side by side: the 7-Zip binary in its own process (or, when there is none, py7zr
in a thread) decompresses, the caller parses, and only a few blocks wait between them, so memory stays flat
whatever the member's size or compression ratio, and no block is large enough to trip libxml2's limits.

``LIMA_7Z=py7zr`` forces py7zr; ``LIMA_7Z=/path/to/7z`` forces that binary.
"""

from __future__ import annotations

import io
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import py7zr

from .errors import InputError

BLOCK = 1 << 20
QUEUE_BLOCKS = 4  # blocks buffered between the decompressor and the caller
# 7-Zip's own name for its Linux build first: `7zz` is all that Debian bookworm's `7zip` package installs;
# `7z` comes from p7zip-full (the old p7zip 16.02 on older systems) or newer 7zip packages; `7za` is the
# standalone build, which still reads BZip2 (`7zr` does not: LZMA only).
BINARIES = ("7zz", "7z", "7za")
JOIN_SECONDS = 5.0


def member_names(archive: Path) -> list[str]:
    """The archive's file members, from its headers alone (nothing is decompressed)."""
    return list(_sizes(archive))


def find_member(archive: Path, basename: str) -> str | None:
    """The first member whose last path component is ``basename`` (case-sensitive), or None."""
    return next((name for name in _sizes(archive) if name.rsplit("/", 1)[-1] == basename), None)


def decompressor() -> str:
    """Which decompressor open_member() uses, for logs and benchmarks."""
    binary = _binary()
    return f"7z binary ({binary})" if binary else "py7zr"


@contextmanager
def open_member(archive: Path, member: str, block: int = BLOCK) -> Iterator[Iterator[bytes]]:
    """Yields an iterator over ``member``'s decompressed bytes in blocks of at most ``block`` bytes.

    Leaving the with-block, consumed or not, stops the decompressor. Damage of any kind (not a 7z, truncated,
    CRC error, missing member, 7-Zip failing) raises InputError naming the archive, from here or the iterator.
    """
    if block < 1:
        raise ValueError(f"block must be positive, not {block}")
    archive = Path(archive)
    sizes = _sizes(archive)
    if member not in sizes:
        raise InputError(archive, f"cannot read 7z archive (no member {member})")
    binary = _binary()
    stream = _Process(binary, archive, member, block) if binary else _Py7zrThread(archive, member, block)
    try:
        yield _counted(stream.blocks(), archive, member, sizes[member])
    finally:
        stream.close()


def _binary() -> str | None:
    forced = os.environ.get("LIMA_7Z", "").strip()
    if forced == "py7zr":
        return None
    if forced:
        path = shutil.which(forced)
        if path is None:
            raise InputError(forced, "LIMA_7Z names no executable 7-Zip binary")
        return path
    return next((path for name in BINARIES if (path := shutil.which(name))), None)


def _sizes(archive: Path) -> dict[str, int]:
    """Each file member's decompressed size, by name, in archive order."""
    try:
        with py7zr.SevenZipFile(archive, mode="r") as z:
            return {info.filename: info.uncompressed for info in z.list() if not info.is_directory}
    except Exception as error:  # py7zr raises assorted types on damaged archives
        raise _damaged(archive, error) from None


def _counted(blocks: Iterator[bytes], archive: Path, member: str, size: int) -> Iterator[bytes]:
    """The blocks, checked against the size in the headers: 7-Zip exits 0 on some member mismatches."""
    seen = 0
    for data in blocks:
        seen += len(data)
        yield data
    if seen != size:
        raise InputError(archive, f"cannot read 7z archive ({member}: {seen} bytes decompressed, headers say {size})")


def _damaged(archive: Path, error: BaseException) -> InputError:
    detail = " ".join(str(error).split()) or "truncated"
    return InputError(archive, f"cannot read 7z archive ({type(error).__name__}: {detail})")


class _Process:
    """7-Zip writes the member to a pipe widened to a few blocks (1 MiB where the kernel allows no more), so it
    keeps decoding while the caller parses the block before."""

    def __init__(self, binary: str, archive: Path, member: str, block: int):
        self.archive = archive
        self.block = block
        self.stderr = tempfile.TemporaryFile()  # a file, not a pipe: a chatty 7-Zip can never block on it
        command = [binary, "e", "-so", "-bd", "-spd", "-ssc", "--", str(archive), member]
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr)
        except OSError as error:
            self.stderr.close()
            raise InputError(archive, f"cannot read 7z archive (cannot run {binary}: {error.strerror})") from None
        _widen(self.process.stdout, QUEUE_BLOCKS * block)

    def blocks(self) -> Iterator[bytes]:
        """The member's bytes in blocks; a non-zero exit is an ``InputError`` quoting 7-Zip, after the last block."""
        read = self.process.stdout.read
        while data := read(self.block):
            yield data
        status = self.process.wait()
        if status != 0:
            raise InputError(self.archive, f"cannot read 7z archive ({self._complaint(status)})")

    def _complaint(self, status: int) -> str:
        """7-Zip's stderr on one line, less the lines that only repeat the archive's name or head a list."""
        self.stderr.seek(0)
        lines = self.stderr.read().decode("utf-8", "replace").splitlines()
        kept = [line.strip() for line in lines if line.strip() and not line.rstrip().endswith(":")]
        kept = [line for line in dict.fromkeys(kept) if str(self.archive) not in line]
        return "; ".join([*kept, f"7z exit status {status}"])[-500:]

    def close(self) -> None:
        """Kill 7-Zip if the caller left early, and reap it (no zombie, no open pipe)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self.stderr.close()


def _widen(pipe, size: int) -> None:
    """Give the pipe room for ``size`` bytes, or the 1 MiB an unprivileged process may ask for (Linux only)."""
    try:
        import fcntl

        setsize, getsize = fcntl.F_SETPIPE_SZ, fcntl.F_GETPIPE_SZ
    except (ImportError, AttributeError):
        return
    for candidate in (size, 1 << 20):
        if candidate <= fcntl.fcntl(pipe.fileno(), getsize):
            return
        try:
            fcntl.fcntl(pipe.fileno(), setsize, candidate)
            return
        except OSError:
            continue


class _Stopped(Exception):
    """Raised inside py7zr's extraction once the caller has left, to end it early."""


_END = object()


class _Py7zrThread:
    """py7zr extracts in a daemon thread into a writer that cuts its output into blocks on a bounded queue.

    py7zr decodes about 1 MiB of compressed input per step and hands the writer the whole output of that
    step (up to 128 MB on very compressible data), so its own peak is one step; the queue adds a few blocks.
    On close, the thread ends at its next read of the archive or write of output, whichever comes first, so
    within one step, even while py7zr is decoding and discarding the members before ``member`` in a solid
    archive; close waits up to JOIN_SECONDS for that, after which the daemon thread finishes on its own.
    """

    def __init__(self, archive: Path, member: str, block: int):
        self.archive = archive
        self.stop = threading.Event()
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_BLOCKS)
        self.thread = threading.Thread(target=self._extract, args=(member, block), name=f"py7zr {archive.name}", daemon=True)
        self.thread.start()

    def _extract(self, member: str, block: int) -> None:
        outcome: object = _END
        try:
            # A file object rather than a path also keeps py7zr from starting threads of its own.
            with _StoppableFile(self.archive, self.stop) as handle, py7zr.SevenZipFile(handle, mode="r") as z:
                z.extract(targets=[member], factory=_Factory(_QueueWriter(self.queue, block, self.stop)))
        except _Stopped:
            return
        except BaseException as error:  # handed to the caller's thread, which raises it as an InputError
            outcome = error
        self.queue.put(outcome)

    def blocks(self) -> Iterator[bytes]:
        """The member's bytes in blocks, as the thread queues them; its failure is raised here, in the caller's thread."""
        while (item := self.queue.get()) is not _END:
            if isinstance(item, BaseException):
                raise _damaged(self.archive, item)
            yield item

    def close(self) -> None:
        """Stop the thread at its next read or write, waiting at most ``JOIN_SECONDS`` for it."""
        self.stop.set()
        # Emptying the queue once frees a writer blocked on it; it then sees the stop before its next put.
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                break
        self.thread.join(JOIN_SECONDS)


class _StoppableFile(io.FileIO):
    """The archive as py7zr reads it, with a stop flag checked before every read."""

    def __init__(self, path: Path, stop: threading.Event):
        super().__init__(path, "rb")
        self.stop = stop

    def read(self, size: int = -1) -> bytes:
        """Read on, or raise ``_Stopped`` once the caller has left (py7zr's extraction then ends)."""
        if self.stop.is_set():
            raise _Stopped
        return super().read(size)


class _QueueWriter(py7zr.io.Py7zIO):
    """The write-only file py7zr extracts into: its output goes to the queue in blocks."""

    def __init__(self, blocks: queue.Queue, block: int, stop: threading.Event):
        self.blocks = blocks
        self.block = block
        self.stop = stop
        self.length = 0

    def write(self, data: bytes | bytearray) -> int:
        """Queue ``data`` in blocks, waiting while the queue is full; raises ``_Stopped`` once the caller has left."""
        view = memoryview(data)
        for start in range(0, len(view), self.block):
            if self.stop.is_set():
                raise _Stopped
            self.blocks.put(bytes(view[start : start + self.block]))
        self.length += len(data)
        return len(data)

    def read(self, size: int | None = None) -> bytes:
        """Nothing: what was written is already on the queue (py7zr's abstract interface asks for it)."""
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        """A no-op: the output is a stream, written once from the start."""
        return 0

    def flush(self) -> None:
        """A no-op: every block is on the queue as soon as it is written."""

    def size(self) -> int:
        """Bytes written so far."""
        return self.length


class _Factory(py7zr.io.WriterFactory):
    """Extraction targets only the one member, so every writer py7zr asks for is the queue's."""

    def __init__(self, writer: _QueueWriter):
        self.writer = writer

    def create(self, filename: str) -> py7zr.io.Py7zIO:
        """The queue's writer, whatever the name."""
        return self.writer
