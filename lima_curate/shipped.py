"""Where the files shipped with the package live: the recipes, the Stack Exchange site list and the
wikiHow category map, installed or in a checkout (one lookup for every layer that needs them)."""

from __future__ import annotations

from pathlib import Path

# ``lima_curate/recipes/`` in an installed package (pyproject maps ``filters/`` there), ``filters/``
# beside the package in a checkout or an editable install. Installed first: a folder named
# ``filters`` beside an installed package (in site-packages) is someone else's.
_PACKAGE = Path(__file__).resolve().parent
SHIPPED_DIRS = (_PACKAGE / "recipes", _PACKAGE.parent / "filters")


def shipped_dir() -> Path:
    """The folder of the shipped recipes, site list and category map, installed or in a checkout."""
    return next((folder for folder in SHIPPED_DIRS if folder.is_dir()), SHIPPED_DIRS[-1])


def shipped_file(name: str) -> Path | None:
    """The shipped file a bare file name means (``stackexchange_sites.toml``), None if none is shipped."""
    path = shipped_dir() / name
    return path if len(Path(name).parts) == 1 and path.is_file() else None
