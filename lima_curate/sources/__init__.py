"""Source readers (raw local files -> candidates) and the one registry that names them.

A source is a module that satisfies :class:`Source`; the build, the recipe, ``import``/``export``
and the command line find sources here and nowhere else. Adding one is a module with this surface,
its ``[NAME]`` recipe table, docs, tests and a sample (docs/architecture.md walks through it):

- the five shipped readers are registered below, in the order that also orders manifest lines;
- a package registers its own under the ``lima_curate.sources`` entry point group (the value is
  the module's import path), which every process of a build reads, pool workers and Ray included;
- :func:`register` adds a module for the current process only (tests, notebooks, ``-j 1``).
"""

from __future__ import annotations

import importlib
from collections import Counter
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator, Protocol, cast, runtime_checkable

from ..errors import InputError
from ..records import Candidate

ENTRY_POINT_GROUP = "lima_curate.sources"
BUILTIN = ("stackexchange", "wikihow", "writingprompts", "superni", "authored")


@runtime_checkable
class Source(Protocol):
    """What a source module defines (module attributes and functions; no class to subclass)."""

    NAME: str  # in ``--input NAME=PATH`` and the recipe's ``[NAME]`` table
    VERSION: int  # bumped whenever the output for the same input changes: part of the cache key
    SUBSETS: tuple[str, ...]  # the subsets its candidates fall in, in manifest line order
    GROUP_FIELD: str | None  # the meta field naming a candidate's group (site, category, ...) on import
    GAIR_NAMES: tuple[str, ...]  # its names in GAIR/lima's "source" field, the first used on export
    Settings: type  # frozen dataclass built from the recipe's ``[NAME]`` table

    def units(self, path: Path) -> list[Path]:
        """What the user passed (a file or folder) -> the units read independently, sorted;
        ``InputError`` when there is nothing to read."""
        ...

    def files(self, unit: Path, settings: Any) -> list[Path]:
        """Every file a unit's candidates depend on under these settings: the cache key and the
        card's inputs cover exactly these."""
        ...

    def read(self, unit: Path, settings: Any, seed: int, skipped: Counter) -> Iterator[Candidate]:
        """Stream candidates; records with a missing or invalid field are counted in ``skipped``
        by a short reason, anything unreadable raises ``InputError`` naming the file and line."""
        ...


# Optional, and so not in the protocol: ``why_empty(unit, counts[, settings]) -> str | None``, the one
# console line (why, and what to do) for a unit that gave no eligible candidate, from the counts the
# extraction recorded ("skipped", "dropped", "unknown", "excluded"); without it (or on None) the build
# says what the unit's records went to. A ``Settings`` with a ``site_name`` field takes
# ``--input NAME:SITE=PATH``.


_registry: dict[str, Source | str] = {}  # a name -> its module, or its import path until first used
_loaded = False

REQUIRED = ("NAME", "VERSION", "SUBSETS", "GROUP_FIELD", "GAIR_NAMES", "Settings", "units", "files", "read")


def register(module: ModuleType | Source) -> Source:
    """Add a source module (checked against :class:`Source`); a name already taken is an error."""
    missing = [name for name in REQUIRED if not hasattr(module, name)]
    if missing:
        raise TypeError(f"source module {getattr(module, '__name__', module)!r} lacks {', '.join(missing)}")
    source = cast(Source, module)
    known = _sources()
    if source.NAME in known and _resolved(source.NAME) is not source:
        raise ValueError(f"a source named {source.NAME!r} is already registered ({known[source.NAME]!r})")
    known[source.NAME] = source
    return source


def unregister(name: str) -> None:
    """Remove a source added with :func:`register` (tests)."""
    _sources().pop(name, None)


def get(name: str) -> Source:
    """The source called ``name`` (imported on first use); an unknown name is an ``InputError``
    listing the known ones."""
    if name not in _sources():
        raise InputError("--input", f"unknown source {name!r}; known: {', '.join(_sources())}")
    return _resolved(name)


def names() -> tuple[str, ...]:
    """Registered sources in registration order (the order of inputs and of manifest lines). No
    reader is imported for this: ``--help`` and ``--version`` work whatever a reader needs."""
    return tuple(_sources())


def subsets() -> tuple[str, ...]:
    """Every subset in manifest line order: each source's subsets in turn, a subset two sources
    fill (``dialogue``: Stack Exchange and authored) where the last of them lists it."""
    ordered: dict[str, None] = {}
    for name in _sources():
        for subset in _resolved(name).SUBSETS:
            ordered.pop(subset, None)
            ordered[subset] = None
    return tuple(ordered)


def _resolved(name: str) -> Source:
    known = _sources()
    entry = known[name]
    if isinstance(entry, str):
        module = importlib.import_module(entry)
        missing = [attr for attr in REQUIRED if not hasattr(module, attr)]
        if missing or module.NAME != name:
            raise TypeError(
                f"source module {entry!r} lacks {', '.join(missing)}"
                if missing
                else f"source module {entry!r} is registered as {name!r} but its NAME is {module.NAME!r}"
            )
        entry = known[name] = cast(Source, module)
    return entry


def _sources() -> dict[str, Source | str]:
    global _loaded
    if not _loaded:
        _loaded = True
        for name in BUILTIN:
            _registry.setdefault(name, f"{__name__}.{name}")
        for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
            if point.name in _registry:
                raise ValueError(f"entry point {point.value!r} names the source {point.name!r}, which is already registered")
            _registry[point.name] = point.value
    return _registry
