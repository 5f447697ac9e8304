"""Recipes: the TOML files under ``filters/`` that say what a build takes, read into typed settings.

A recipe may ``extends = "lima.toml"`` another one and override only what differs (the shipped
``sample.toml`` shrinks the quotas). The *resolved* recipe, every table merged and the site list
inlined, is what the card records and digests, so a rebuild can be checked against it.

The shipped files travel with the package (``filters/`` is installed as ``lima_curate/recipes/``,
pyproject's ``package-dir``), so ``--recipe lima`` means the same file from any folder, installed
or in a checkout; a path that is a file is read as given.

About 510 lines, one concern: a recipe from its files to validated settings, every mistake one line
naming the file and the key (types by pydantic, ranges in ``RANGES``), kept together so that no
number reaches a build unchecked.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import os
import stat
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from . import sources
from .errors import InputError
from .filters import FILTERS, Chain
from .records import canonical_json
from .shipped import shipped_dir, shipped_file

SCHEMA = 2  # 2: each filter's settings in its own [filters.SOURCE.NAME] table; no [words]
TABLES = {"schema", "name", "version", "seed", "extends", "quotas", "sampling", "filters", "dedup", "decontam", "review"}
SAMPLING_WITHIN = ("rank", "random")

# The lowest temperature a subset may be drawn at. Weights are ``n ** (1 / temperature)``: at 0.001 a
# group of 2 already weighs 2**1000, past a float (OverflowError). At 0.1 a group of 2**63 weighs
# about 1e190, so no count can overflow, and the draw is already "the largest group first".
MIN_TEMPERATURE = 0.1

# The ranges of the numbers a recipe gives, checked once the types are right (pydantic, strict). The
# readers' and filters' modules declare only the types; outside these ranges a number would raise
# far from the recipe (``random.sample`` with k = -3), hang a build (``num_perm = 200000000``) or
# make one that can only come up empty. Keys: (table, setting), where table is ``dedup``,
# ``decontam``, a source's name or ``filters.NAME`` (any source's chain); None is an open end.
RANGES: dict[tuple[str, str], tuple[float | None, float | None]] = {
    ("dedup", "near_threshold"): (0, 1),
    ("dedup", "shingle_words"): (1, 1000),
    ("dedup", "num_perm"): (16, 4096),
    ("decontam", "ngram"): (1, 1000),
    ("decontam", "threshold"): (0, 1),
    ("review", "reserve"): (0, 100_000),
    ("stackexchange", "title_prompt_share"): (0, 1),
    ("stackexchange", "chain_min_chars"): (0, None),
    ("stackexchange", "chain_min_words"): (0, None),
    ("stackexchange", "chain_max_follow_ups"): (0, None),
    ("superni", "instances_per_task"): (1, None),
    ("writingprompts", "min_story_chars"): (0, None),
    ("writingprompts", "max_story_chars"): (0, None),
    ("writingprompts", "max_selftext_chars"): (0, None),
    ("filters.length", "min_chars"): (0, None),
    ("filters.length", "max_chars"): (0, None),
    ("filters.self_contained_title", "min_words"): (0, None),
}
# Pairs of settings of one table where the first may not exceed the second.
ORDERED = {
    "filters.length": ("min_chars", "max_chars"),
    "writingprompts": ("min_story_chars", "max_story_chars"),
}


@dataclass(frozen=True)
class Sampling:
    """How one subset is drawn: groups weighted by n^(1/temperature), then ``within`` each group.

    ``temperature = inf`` (written ``"inf"``) gives every group the same chance (wikiHow categories);
    ``within = "rank"`` takes the best-ranked first (Stack Exchange: highest-scoring questions),
    ``"random"`` takes them in a seeded random order.

    ``counts`` (group -> n) replaces the weighted draw by a fixed number from each group, taken in
    the same within-group order; their sum must be the quota. The quality ablation uses it to give
    an unfiltered set exactly the site mix of a filtered one.
    """

    temperature: float = 1.0
    within: str = "rank"
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Dedup:
    """Duplicates across the whole build: exact and normalised always, near duplicates by MinHash."""

    near_threshold: float = 0.0  # estimated Jaccard similarity of word shingles that makes a near duplicate; 0 turns it off
    shingle_words: int = 5  # words per shingle
    num_perm: int = 128  # MinHash permutations (more: a closer estimate, slower)


@dataclass(frozen=True)
class Decontam:
    """No training example may contain a dev or test prompt (word n-gram overlap, see dedup.py)."""

    ngram: int = 8  # words per n-gram
    threshold: float = 0.0  # share of a held-out prompt's n-grams found in an example that drops it; 0 turns it off


@dataclass(frozen=True)
class Review:
    """Review by hand (docs/review.md): how many draws beyond each quota the set publishes as its
    reserve (``reserve.jsonl``: a rejected example's replacements), and a review file to apply."""

    reserve: int = 20
    file: str = ""  # relative to the recipe file that names it; "" applies none (``build --review`` may)


@dataclass(frozen=True)
class Recipe:
    """A validated recipe: every number a build uses, plus the merged tables the card records."""

    path: Path
    name: str
    version: str
    seed: int
    quotas: dict[str, int]
    sampling: dict[str, Sampling]
    filters: dict[str, Chain]  # source name -> its filter chain
    sources: dict[str, Any]  # source name -> that reader's Settings
    dedup: Dedup
    decontam: Decontam
    resolved: dict[str, Any]  # the merged tables, as recorded in the card
    review: Review = Review()

    @property
    def sha256(self) -> str:
        """The digest of the resolved tables: what the card's ``recipe_sha256`` records."""
        return hashlib.sha256(canonical_json(self.resolved).encode("utf-8")).hexdigest()


def load_recipe(path: str | Path, overrides: dict[str, Any] | None = None) -> Recipe:
    """Read, merge and validate a recipe (a path, or a shipped one by name: ``find_recipe``);
    ``overrides`` are dotted keys (``{"seed": 7}``)."""
    path = find_recipe(path)
    tables = _read_merged(path, seen=())
    for key, value in (overrides or {}).items():
        _set_dotted(tables, key, value)
    return _validate(path, tables)


def recipe_from_tables(path: Path, tables: dict[str, Any]) -> Recipe:
    """A recipe from already-resolved tables, as a card records them (the site list inlined)."""
    return _validate(Path(path), upgraded(tables))


def variant(recipe: Recipe, name: str, changes: dict[str, Any]) -> Recipe:
    """The same recipe under another name with some entries replaced (dotted keys, e.g.
    ``{"quotas": {...}, "filters.stackexchange.chain": [...]}``): an ablation's recipe. Its resolved
    tables say everything the variant is, so its card alone is enough to rebuild it."""
    tables = copy.deepcopy(recipe.resolved)
    tables["name"] = name
    for key, value in changes.items():
        _set_dotted(tables, key, copy.deepcopy(value))
    return _validate(recipe.path, tables)


def review_file(recipe: Recipe) -> Path | None:
    """The review file the recipe names (``[review] file``), read relative to the recipe file, or None."""
    return recipe.path.parent / recipe.review.file if recipe.review.file else None


def read_data_file(path: Path) -> dict[str, Any]:
    """A TOML data file a recipe names (the wikiHow category map), read as is, to be inlined."""
    return _read_toml(path, DATA_FILE_MISSING)


def read_site_list(path: Path) -> dict[str, Any]:
    """``filters/stackexchange_sites.toml``: site -> stem / other / excluded, plus excluded patterns."""
    data = _read_toml(path, DATA_FILE_MISSING)
    sites = data.get("sites", {})
    if not isinstance(sites, dict) or not isinstance(data.get("excluded_patterns", []), list):
        raise InputError(path, "expected a [sites] table (site = class) and excluded_patterns = [...]")
    bad = sorted(site for site, kind in sites.items() if kind not in ("stem", "other", "excluded"))
    if bad:
        raise InputError(path, f"site {bad[0]!r} has class {sites[bad[0]]!r}; expected stem, other or excluded")
    return {"sites": dict(sorted(sites.items())), "excluded_patterns": list(data.get("excluded_patterns", []))}


# Data files a recipe names by path: read relative to that recipe (a bare name it does not have
# beside it: the shipped file of that name) and inlined into the resolved recipe, so the card
# records their content, the recipe digest covers them, and so does the extraction cache key
# (which hashes the reader's settings).
INLINED_FILES = {
    ("stackexchange", "site_list"): read_site_list,
    ("wikihow", "category_map"): read_data_file,
}


# -- finding ---------------------------------------------------------------------------------------

DATA_FILE_MISSING = "file not found (a relative name is read beside the recipe that names it)"


def shipped_recipes() -> list[str]:
    """The shipped recipes' names (``lima``, ``sample``): the shipped TOML files with a ``name`` (the
    site list and the category map have none)."""
    names = []
    for path in sorted(shipped_dir().glob("*.toml")):
        try:
            if "name" in tomllib.loads(path.read_text(encoding="utf-8")):
                names.append(path.stem)
        except (OSError, ValueError):  # not a recipe of ours then; loading it by path says why
            continue
    return names


def find_recipe(value: str | Path, beside: Path | None = None) -> Path:
    """The file a recipe reference means: a path that is a file (a relative one from ``beside``, the
    folder of the recipe that extends it, else from the working folder); else a bare name of a
    shipped recipe (``lima``, ``sample.toml``); else the path as given, whose error says what it is."""
    given = (beside or Path()) / value
    name = Path(value).name.removesuffix(".toml")
    if given.is_file() or len(Path(value).parts) != 1 or name not in shipped_recipes():
        return given
    return shipped_dir() / f"{name}.toml"


def find_data_file(value: str, beside: Path) -> Path:
    """The data file a recipe names (``site_list``, ``category_map``): beside that recipe, else the
    shipped file of that bare name (a recipe of one's own, anywhere, may name the shipped site list)."""
    given = beside / value
    return given if given.is_file() else shipped_file(value) or given


def _missing_recipe() -> str:
    names = shipped_recipes()
    shipped = f"; shipped recipes, by name from any folder: {', '.join(names)}" if names else ""
    return f"recipe file not found (give a recipe's name or the path of a .toml file{shipped})"


# -- reading ---------------------------------------------------------------------------------------


def _read_toml(path: Path, missing: str | None = None) -> dict[str, Any]:
    """A TOML file as tables; whatever keeps it from being read (missing, a folder, a FIFO, binary,
    not TOML, unreadable) is one line naming it. Only a regular file is opened: a FIFO would block."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            kind = "a folder" if path.is_dir() else "not a regular file"
            raise InputError(path, f"is {kind}, not a recipe file (give the path of a .toml file)")
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise InputError(path, missing or _missing_recipe()) from None
    except OSError as error:
        raise InputError(path, f"cannot read the recipe file ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise InputError(path, f"not a TOML text file (not valid UTF-8 at byte {error.start + 1})") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, f"not valid TOML ({error})") from None


def _read_merged(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    if path.resolve() in seen:
        raise InputError(path, "recipe extends itself")
    data = upgraded(_read_toml(path))
    for (table, key), read in INLINED_FILES.items():
        value = data.get(table, {}).get(key) if isinstance(data.get(table), dict) else None
        if isinstance(value, str):  # a file named relative to the recipe that names it
            data[table][key] = read(find_data_file(value, path.parent))
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    if not isinstance(base_name, str) or not base_name:
        raise InputError(path, f"'extends' must name a recipe file (a string), found {base_name!r}")
    base = _read_merged(find_recipe(base_name, path.parent), seen + (path.resolve(),))
    return _deep_merge(base, data)


# Schema 1 kept every filter's number flat in [filters.SOURCE] and the word lists in [words].
SCHEMA_1_FILTER_KEYS = {
    "min_answer_score": ("answer_score", "min_score"),
    "min_chars": ("length", "min_chars"),
    "max_chars": ("length", "max_chars"),
    "min_title_words": ("self_contained_title", "min_words"),
}
SCHEMA_1_WORDS = {
    "first_person": ("first_person", "words"),
    "other_answers": ("other_answers", "phrases"),
    "title_needs_body": ("self_contained_title", "phrases"),
}


def upgraded(data: dict[str, Any]) -> dict[str, Any]:
    """One recipe file in schema 2: a schema 1 file's flat filter keys and ``[words]`` are moved
    into the filter tables that use them (before merging, so a file and its base may differ)."""
    if data.get("schema") != 1 or isinstance(data.get("schema"), bool):
        return data
    data = copy.deepcopy(data)
    words = data.pop("words", {})
    if words and not data.get("filters"):  # the lists alone: schema 1 gave them to every chain, and only SE has one
        data["filters"] = {"stackexchange": {}}
    for table in data["filters"].values() if isinstance(data.get("filters"), dict) else ():
        if not isinstance(table, dict):
            continue  # named by validation
        for old, (name, key) in SCHEMA_1_FILTER_KEYS.items():
            if old in table:
                table.setdefault(name, {})[key] = table.pop(old)
        if isinstance(words, dict):
            for old, (name, key) in SCHEMA_1_WORDS.items():
                if old in words:
                    table.setdefault(name, {})[key] = words[old]
    data["schema"] = SCHEMA
    return data


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _set_dotted(tables: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    node = tables
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


# -- validating ------------------------------------------------------------------------------------


def _validate(path: Path, t: dict[str, Any]) -> Recipe:
    source_names = sources.names()
    unknown = sorted(set(t) - TABLES - set(source_names))
    if unknown:
        raise InputError(path, f"unknown recipe table or key {unknown[0]!r} (registered sources: {', '.join(source_names)})")
    if t.get("schema") != SCHEMA:
        raise InputError(path, f"schema must be {SCHEMA}, found {t.get('schema')!r}")
    for key, kind in (("name", str), ("version", str), ("seed", int)):
        if not isinstance(t.get(key), kind) or isinstance(t.get(key), bool):
            raise InputError(path, f"{key!r} must be a {kind.__name__}")
    for key in ("quotas", "sampling", "filters", "dedup", "decontam", "review", *source_names):
        if not isinstance(t.get(key, {}), dict):
            raise InputError(path, f"{key!r} must be a table ([{key}])")

    subsets = sources.subsets()
    quotas = t.get("quotas", {})
    for subset, n in quotas.items():
        if subset not in subsets:
            raise InputError(path, f"[quotas] unknown subset {subset!r}; known: {', '.join(subsets)}")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise InputError(path, f"[quotas] {subset} must be a whole number >= 0")

    sampling = {}
    for subset, table in t.get("sampling", {}).items():
        if subset not in subsets:
            raise InputError(path, f"[sampling.{subset}] unknown subset")
        if not isinstance(table, dict):
            raise InputError(path, f"[sampling.{subset}] must be a table, found {table!r}")
        within = table.get("within", "rank")
        if within not in SAMPLING_WITHIN:
            raise InputError(path, f"[sampling.{subset}] within must be one of {SAMPLING_WITHIN}")
        temperature = table.get("temperature", 1.0)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature >= MIN_TEMPERATURE:
            raise InputError(
                path,
                f'[sampling.{subset}] temperature must be a number >= {MIN_TEMPERATURE} (or "inf"; lower, '
                f"n^(1/temperature) overflows), found {temperature!r}",
            )
        sampling[subset] = settings_from(path, f"sampling.{subset}", Sampling, {**table, "temperature": float(temperature)})
        counts = sampling[subset].counts
        if counts and (not all(n >= 0 for n in counts.values()) or sum(counts.values()) != quotas.get(subset, 0)):
            raise InputError(
                path, f"[sampling.{subset}.counts] must be whole numbers >= 0 adding up to the quota ({quotas.get(subset, 0)})"
            )

    filters = {}
    for source, table in t.get("filters", {}).items():
        if source not in source_names:
            raise InputError(path, f"[filters.{source}] unknown source")
        filters[source] = _chain(path, source, table)

    settings = {}
    for name in source_names:
        if name not in t:
            continue  # a source without a table is not part of this recipe
        table = dict(t[name])
        if name == "stackexchange":
            table = _stackexchange_table(path, table, filters.get(name))
        settings[name] = _source_settings(path, name, sources.get(name).Settings, table)
        check_ranges(path, name, name, settings[name])

    dedup = settings_from(path, "dedup", Dedup, t.get("dedup", {}))
    decontam = settings_from(path, "decontam", Decontam, t.get("decontam", {}))
    check_ranges(path, "dedup", "dedup", dedup)
    check_ranges(path, "decontam", "decontam", decontam)
    review = settings_from(path, "review", Review, t.get("review", {}))
    check_ranges(path, "review", "review", review)

    return Recipe(
        path=path,
        name=t["name"],
        version=t["version"],
        seed=t["seed"],
        quotas=dict(quotas),
        sampling=sampling,
        filters=filters,
        sources=settings,
        dedup=dedup,
        decontam=decontam,
        resolved=t,
        review=review,
    )


def _chain(path: Path, source: str, table: Any) -> Chain:
    """``[filters.SOURCE]``: ``chain`` names filters in order; ``[filters.SOURCE.NAME]`` holds one's settings."""
    if not isinstance(table, dict):
        raise InputError(path, f"[filters.{source}] must be a table")
    names = table.get("chain", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(path, f"[filters.{source}] chain must be a list of filter names")
    for key, value in table.items():
        if key != "chain" and (key not in FILTERS or not isinstance(value, dict)):
            raise InputError(
                path,
                f"[filters.{source}] unknown key {key!r}: give chain = [...] and one table per filter; "
                f"known filters: {', '.join(FILTERS)}",
            )
    for name in names:
        if name not in FILTERS:
            raise InputError(path, f"[filters.{source}] unknown filter {name!r}; known: {', '.join(FILTERS)}")
    chain = []
    for name in names:
        settings = settings_from(path, f"filters.{source}.{name}", FILTERS[name], table.get(name, {}))
        check_ranges(path, f"filters.{source}.{name}", f"filters.{name}", settings)
        chain.append(settings)
    return Chain(tuple(chain))


def check_ranges(path: Path, where: str, kind: str, settings: Any) -> None:
    """The numbers of one table against ``RANGES`` and ``ORDERED`` (``kind`` is the table's key
    there), the first one outside as one line naming the recipe, the table and the setting."""
    for (table, key), (low, high) in RANGES.items():
        if table != kind or not hasattr(settings, key):
            continue
        value = getattr(settings, key)
        if (
            isinstance(value, float)
            and math.isnan(value)
            or (low is not None and value < low)
            or (high is not None and value > high)
        ):
            rule = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise InputError(path, f"[{where}] {key} must be {rule}, found {value!r}")
    if kind in ORDERED:
        first, second = ORDERED[kind]
        if getattr(settings, first) > getattr(settings, second):
            raise InputError(
                path,
                f"[{where}] {first} ({getattr(settings, first)}) is above {second} ({getattr(settings, second)}): nothing could pass",
            )


def _stackexchange_table(path: Path, table: dict[str, Any], chain: Chain | None) -> dict[str, Any]:
    """The reader converts only answers that can pass the score filter, so it needs that threshold."""
    site_list = table.pop("site_list", {"sites": {}, "excluded_patterns": []})
    if not isinstance(site_list, dict) or not isinstance(site_list.get("sites", {}), dict):
        raise InputError(path, f"[stackexchange] site_list must name a site list file, found {site_list!r}")
    table["site_list"] = site_list.get("sites", {})
    table.setdefault("excluded_patterns", site_list.get("excluded_patterns", []))
    gate = chain.get("answer_score") if chain is not None else None
    table["min_answer_score"] = gate.min_score if gate is not None else -(2**63)
    return table


def _source_settings(path: Path, name: str, cls: type, table: dict[str, Any]) -> Any:
    """A reader's settings; a data file the recipe names (INLINED_FILES) arrives already read."""
    inlined = {key: table.pop(key) for (source, key) in INLINED_FILES if source == name and isinstance(table.get(key), dict)}
    settings = settings_from(path, name, cls, table)
    return dataclasses.replace(settings, **inlined) if inlined else settings


def settings_from(path: Path, where: str, cls: type, table: dict[str, Any]) -> Any:
    """A settings dataclass from a TOML table, validated by pydantic in strict mode (an int is not
    read from "10", a list of strings must be strings; unknown and missing keys are named), with
    the first problem as one line naming the recipe and the table."""
    known = [f.name for f in dataclasses.fields(cls) if f.init]
    unknown = [key for key in table if key not in known]
    if unknown:
        raise InputError(path, f"[{where}] unknown setting {unknown[0]!r}; known: {', '.join(known) or 'none'}")
    try:
        return _adapter(cls).validate_json(json.dumps(table, default=str), strict=True)
    except ValidationError as error:
        problem = error.errors()[0]
        key = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "missing":
            raise InputError(path, f"[{where}] missing setting {key!r}") from None
        found = problem.get("input")
        raise InputError(path, f"[{where}] {key}: {problem['msg'][0].lower()}{problem['msg'][1:]}, found {found!r}") from None


@cache
def _adapter(cls: type) -> TypeAdapter:
    return TypeAdapter(cls)
