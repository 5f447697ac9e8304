"""wikiHow's category names -> its 19 top-level categories, the groups LIMA samples over (a category
uniformly, then an article in it).

A page's group is the first breadcrumb entry that maps to a top-level category, else the first
``wgCategories`` entry that does. The mapping is data (``filters/wikihow_categories.toml``: the top
level, aliases and subcategories), read from a path or inlined in the recipe.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..shipped import shipped_dir


@dataclass(frozen=True)
class Categories:
    """Category names as wikiHow shows them -> one of the top-level categories."""

    top_level: tuple[str, ...]
    names: Mapping[str, str]  # top-level names, aliases and subcategories, each -> its top level

    def top_of(self, name: str) -> str | None:
        """The top-level category a name maps to, None for a name the map does not know."""
        return self.names.get(normal_name(name))


def category_table(source: str | Mapping[str, Any]) -> Categories:
    """The mapping from a TOML file (a path, relative ones among the shipped files) or an inlined table."""
    if isinstance(source, Mapping):
        return categories_from(dict(source), "[wikihow] category_map")
    return load_categories(str(source))


@functools.lru_cache(maxsize=8)
def load_categories(path_text: str) -> Categories:
    """The mapping in a TOML file, read once per process (every page of a unit asks for it)."""
    path = Path(path_text)
    if not path.is_absolute():
        path = shipped_dir() / path
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise InputError(path, "wikiHow category map not found") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, f"not valid TOML ({error})") from None
    return categories_from(data, path)


def categories_from(data: dict[str, Any], where: str | Path) -> Categories:
    """A checked mapping: every alias and subcategory points at a listed top-level category."""
    top_level = data.get("top_level")
    if not top_level or not all(isinstance(name, str) and name.strip() for name in top_level):
        raise InputError(where, "top_level must be a non-empty list of category names")
    names = {normal_name(name): name for name in top_level}
    for table in ("aliases", "subcategories"):
        for name, top in sorted(data.get(table, {}).items()):
            if top not in top_level:
                raise InputError(where, f"[{table}] {name!r} maps to {top!r}, which is not in top_level")
            names.setdefault(normal_name(name), top)
    return Categories(tuple(top_level), names)


def normal_name(name: str) -> str:
    """Names compare without case, hyphens, curly quotes or extra spaces (URL and label forms agree);
    so do section headings with the recipe's pruned sections."""
    return " ".join(name.replace("-", " ").replace("\u2019", "'").split()).casefold()


def resolve_category(crumbs: list[str], wg_categories: list[str], categories: Categories) -> tuple[str | None, str]:
    """The top-level category and where it came from: the breadcrumb first, then ``wgCategories``.

    The breadcrumb runs from the top level down, so its first mapped entry is the article's own top
    level; ``wgCategories`` lists each category followed by its parents, the article's primary one
    first, so its first mapped entry agrees with the breadcrumb.
    """
    for source, names in (("breadcrumb", crumbs), ("wgCategories", wg_categories)):
        for name in names:
            top = categories.top_of(name)
            if top is not None:
                return top, source
    return None, "none"
