"""The one error type the command line turns into a clean one-line message and a non-zero exit."""

from __future__ import annotations

from pathlib import Path


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
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")

    def __reduce__(self):
        return type(self), (self.path, self.message, self.line)


def decode_utf8(data: bytes, path: str | Path, line: int | None = None) -> str:
    """UTF-8 text, or an InputError naming the file and the line of the first bad byte (``line``
    when ``data`` is a single line the caller has already counted)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        where = line if line is not None else data.count(b"\n", 0, error.start) + 1
        raise InputError(path, f"not valid UTF-8 ({error.reason} at byte {error.start + 1})", where) from None
