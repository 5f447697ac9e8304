"""``pull superni``: GitHub's zip of allenai/natural-instructions at any branch, tag or commit (or a
mirror's, or the user's own zip or checkout), keeping only ``tasks/`` and ``splits/``."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Callable
from urllib.parse import quote

from ..download import Fetcher
from ..errors import InputError
from ..lockfile import Lock
from .archives import ARCHIVES, Entry, archive_name, common_top, pull_archive
from .local import Outcome, register

SUPERNI_REPO = "https://github.com/allenai/natural-instructions"
KEPT_FOLDERS = ("tasks", "splits")


def superni_url(ref: str = "master") -> str:
    """GitHub's archive of any branch, tag or commit of allenai/natural-instructions."""
    return f"{SUPERNI_REPO}/archive/{quote(ref, safe='')}.zip"


def superni_chooser(entries: list[Entry]) -> Callable[[str], str | None]:
    """Keep ``tasks/`` and ``splits/`` (under the archive's top folder, if it has one)."""
    top = common_top(entries)

    def choose(name: str) -> str | None:
        parts = PurePosixPath(name).parts[1 if top else 0 :]
        if len(parts) >= 2 and parts[0] in KEPT_FOLDERS:
            return PurePosixPath(*parts).as_posix()
        return None

    return choose


def pull_superni(data_dir: Path, fetcher: Fetcher, lock: Lock, ref: str = "master", url: str | None = None) -> list[Outcome]:
    """Fetch the repository's zip at ``ref`` (or from ``url``) and extract its tasks and splits."""
    url = url or superni_url(ref)
    name = f"natural-instructions-{ref}.zip" if url == superni_url(ref) else archive_name(url, "superni.zip")
    return pull_archive("superni", url, data_dir / ARCHIVES / "superni" / name, superni_chooser, data_dir, fetcher, lock)


def superni_register(path: Path, data_dir: Path, fetcher: Fetcher, lock: Lock) -> list[Outcome]:
    """``--from``: the repository's zip archive, or a checkout (a folder with ``tasks/``)."""
    path = Path(path)
    if path.is_file():
        return pull_archive("superni", None, path, superni_chooser, data_dir, fetcher, lock)
    if not (path / "tasks").is_dir():
        raise InputError(path, "expected the natural-instructions zip or a folder holding tasks/ and splits/")
    files = [
        (f, f"superni/{f.relative_to(path).as_posix()}")
        for sub in KEPT_FOLDERS
        for f in sorted((path / sub).rglob("*"))
        if f.is_file()
    ]
    return register(files, "superni", lock, fetcher.note)
