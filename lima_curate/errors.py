"""The one error type the command line turns into a clean one-line message and a non-zero exit."""

from __future__ import annotations

import errno
import re
from pathlib import Path

LINE_BREAKS = re.compile(r"\s*[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+\s*")  # what str.splitlines() splits on


class InputError(Exception):
    """Bad input from the user: a file that cannot be read, parsed or trusted.

    The message always names the file and, where there is one, the line: ``path:line: what``.
    It pickles with its three parts, so an error raised in a worker process or a Ray task arrives
    in the parent as the same one line.
    """

    def __init__(self, path: str | Path, message: str, line: int | None = None):
        self.path = str(path)
        self.message = message
        self.line = line
        where = f"{one_line_path(self.path)}:{line}" if line is not None else one_line_path(self.path)
        super().__init__(f"{where}: {LINE_BREAKS.sub(' ', message).strip()}")

    def __reduce__(self):
        return type(self), (self.path, self.message, self.line)


def one_line_path(path: str) -> str:
    """A path as one printable line: a control character in a file name (a newline, from a hostile
    recipe or archive) is shown escaped, so the error stays one line."""
    return path if path.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in path)


def decode_utf8(data: bytes, path: str | Path, line: int | None = None) -> str:
    """UTF-8 text, or an InputError naming the file and the line of the first bad byte (``line``
    when ``data`` is a single line the caller has already counted)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        where = line if line is not None else data.count(b"\n", 0, error.start) + 1
        raise InputError(path, f"not valid UTF-8 ({error.reason} at byte {error.start + 1})", where) from None


# What the file system refused, said as a user can act on it: (what happened, what to do about it).
# Each is met when writing: a full disk, a quota, a file over the size limit, a read-only mount, a
# folder the user may not write to.
WRITE_FAULTS = {
    errno.ENOSPC: ("no space left on device", "free space"),
    errno.EDQUOT: ("disk quota exceeded", "free space"),
    errno.EFBIG: ("file too large for this file system or limit", "raise the limit (ulimit -f)"),
    errno.EROFS: ("read-only file system", "remount it read-write"),
    errno.EACCES: ("permission denied", "make it writable"),
    errno.EPERM: ("operation not permitted", "make it writable"),
}


def write_fault(error: OSError, path: str | Path, elsewhere: str = "pass --out elsewhere", done: str = "") -> InputError | None:
    """The one line for an ``OSError`` met while writing ``path`` (a full disk, EFBIG, a read-only
    or forbidden folder): ``PATH: no space left on device writing it: free space or pass --out
    elsewhere``, or None for any other error. ``done`` says what was kept (``the previous set is
    left as it was``). A refused file named by the error is named instead of ``path`` for EACCES/EPERM,
    where it may be a file the user can fix."""
    code = error.errno
    if code not in WRITE_FAULTS:
        return None
    what, fix = WRITE_FAULTS[code]
    where = error.filename if code in (errno.EACCES, errno.EPERM) and error.filename else path
    return InputError(where, f"{what} writing here: {fix} or {elsewhere}" + (f"; {done}" if done else ""))
