"""The one way lima_train replaces a file or a directory: a crash leaves the old one or the new one, never half.

Settings, notes, metrics trimmed on resume, generations and exports are all written under a hidden
temporary name beside their target and renamed over it in one step, through `replaced`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replaced(target: Path, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary file (or, with `directory`, folder) beside `target`; on success it becomes `target`.

    A file is renamed over the old one (os.replace). A folder cannot be renamed over a folder, so an
    old `target` is moved aside, the new one renamed in, and the old one deleted. On an error the
    temporary file or folder is removed and `target` is left as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_folder(target) if directory else _temporary_file(target)
    try:
        yield tmp
        if directory:
            _swap_folder(tmp, target)
        else:
            os.replace(tmp, target)
    except BaseException:
        if directory:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Write a UTF-8 text file (newlines as written) through `replaced`."""
    with replaced(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _temporary_file(target: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(name, 0o666 & ~_umask())  # as a plain open() would make it, not mkstemp's 0600
    return Path(name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary_folder(target: Path) -> Path:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)  # left by a killed write of this name and process id
    tmp.mkdir()
    return tmp


def _swap_folder(new: Path, target: Path) -> None:
    if not target.exists():
        new.rename(target)
        return
    aside = target.with_name(f".{target.name}.{os.getpid()}.old")
    target.rename(aside)
    new.rename(target)
    shutil.rmtree(aside)
