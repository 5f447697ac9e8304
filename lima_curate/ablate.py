"""The LIMA paper's ablation sets (section 5): controlled variants of the data, built like ``build``.

- **quantity**: filtered Stack Exchange sets of growing size (the paper: 2k, 4k, ... 32k). Each size
  is the recipe with its Stack Exchange quotas set to the size (half STEM, half Other, the odd one
  to STEM) and every other quota 0. Sampling draws one example at a time from a generator derived
  from (seed, subset), so a smaller set is exactly the first draws of a larger one: the sets nest
  and only quantity changes.
- **quality**: a filtered and an unfiltered set of one size with the same site mix. The filtered
  set is the quantity set of that size. The unfiltered one drops the length, first-person and
  other-answer filters (the score gate and the rest stay) and takes, from each site, as many
  examples as the filtered set has there, the first in the same order (highest-scoring questions
  first): only quality changes.
- **diversity**: Stack Exchange against wikiHow at one size (the Stack Exchange set is the quantity
  set of that size, the wikiHow one the recipe with only the wikiHow quota).

Every variant is an ordinary recipe (``recipe.variant``): its card records the resolved recipe,
per-site counts included, so ``lima-curate verify`` rebuilds it like any manifest. Extraction runs
once for all variants that judge candidates alike (the filters run in the extraction workers, so
the unfiltered quality variant has an extraction of its own, cached like any other), and nothing
is written until every variant has been selected, so a shortfall in the largest size leaves no
half study behind. A recipe that names a ``[review] file`` is refused: a review is made on one draw.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import sources
from .build import Build, Execution, ShortfallError, expand_inputs, extracted, inputs_record, select
from .errors import InputError
from .extract import Shards, Unit
from .publish import locked, write_set
from .recipe import Recipe, variant

STUDIES = ("quantity", "quality", "diversity")
STACK_EXCHANGE = ("se_stem", "se_other")
# What "unfiltered" leaves out: the paper's length, first-person and reference filters (references to
# other answers, and to the question a title-only prompt does not show).
QUALITY_FILTERS = ("length", "first_person", "other_answers", "question_reference")


@dataclass
class Variant:
    """One set of a study, selected but not yet written."""

    name: str  # the folder under the output folder, e.g. quantity-2000
    build: Build
    notes: dict[str, Any]  # recorded in the card under "ablation"
    shards: list[Shards]  # the extraction it was selected from


ShardsFor = Callable[[Recipe], list[Shards]]


def no_quotas() -> dict[str, int]:
    """Every registered subset at 0: a variant's quotas start from nothing, so no subset is left at the base recipe's."""
    return dict.fromkeys(sources.subsets(), 0)


def stack_exchange_quotas(size: int) -> dict[str, int]:
    """Every subset 0 but Stack Exchange: half STEM, half Other (LIMA's 200/200), the odd one to STEM."""
    quotas = no_quotas()
    quotas["se_stem"], quotas["se_other"] = size - size // 2, size // 2
    return quotas


def only_quota(subset: str, size: int) -> dict[str, int]:
    """Every subset 0 but ``subset``, which gets ``size``."""
    return {**no_quotas(), subset: size}


def selected(
    base: Recipe, name: str, changes: dict[str, Any], shards_for: ShardsFor, allow_short: bool, notes: dict[str, Any]
) -> Variant:
    """``build.select`` for one variant of the base recipe, named ``<base name>-<variant>``; a
    shortfall names the variant, then says what ``build`` says."""
    recipe = variant(base, f"{base.name}-{name}", changes)
    if recipe.sources != base.sources:  # the readers read what the base recipe reads
        raise ValueError(f"{name}: an ablation variant may not change what the readers read")
    shards = shards_for(recipe)
    try:
        return Variant(name, select(recipe, shards, allow_short), notes, shards)
    except ShortfallError as error:
        raise ShortfallError(f"{name}: {error}") from None


def quantity(recipe: Recipe, shards_for: ShardsFor, sizes: list[int], allow_short: bool) -> list[Variant]:
    """One filtered Stack Exchange set per size, smallest first; each nests in the next."""
    return [
        selected(
            recipe,
            f"quantity-{size}",
            {"quotas": stack_exchange_quotas(size)},
            shards_for,
            allow_short,
            {"study": "quantity", "size": size},
        )
        for size in sorted(set(sizes))
    ]


def quality(recipe: Recipe, shards_for: ShardsFor, sizes: list[int], allow_short: bool) -> list[Variant]:
    """Per size, the filtered set and an unfiltered one with its per-site counts."""
    variants = []
    for size in sorted(set(sizes)):
        filtered_name, unfiltered_name = f"quality-filtered-{size}", f"quality-unfiltered-{size}"
        filtered = selected(
            recipe,
            filtered_name,
            {"quotas": stack_exchange_quotas(size)},
            shards_for,
            allow_short,
            {"study": "quality", "size": size, "filtered": True},
        )
        kept = filtered.build
        chain = (
            [name for name in recipe.filters["stackexchange"].names if name not in QUALITY_FILTERS]
            if "stackexchange" in recipe.filters
            else []
        )
        changes: dict[str, Any] = {
            "quotas": {**no_quotas(), **{s: len(kept.chosen.get(s, [])) for s in STACK_EXCHANGE}},
            "filters.stackexchange.chain": chain,
        }
        for subset in STACK_EXCHANGE:
            changes[f"sampling.{subset}.counts"] = site_counts(kept, subset)
        variants.append(filtered)
        variants.append(
            selected(
                recipe,
                unfiltered_name,
                changes,
                shards_for,
                allow_short,
                {
                    "study": "quality",
                    "size": size,
                    "filtered": False,
                    "site_mix_of": filtered_name,
                    "filters_left_out": list(QUALITY_FILTERS),
                },
            )
        )
    return variants


def site_counts(build: Build, subset: str) -> dict[str, int]:
    """How many of a subset's chosen examples each site gave, by site name."""
    counts: dict[str, int] = {}
    for candidate in build.chosen.get(subset, []):
        counts[candidate.group] = counts.get(candidate.group, 0) + 1
    return dict(sorted(counts.items()))


def diversity(recipe: Recipe, shards_for: ShardsFor, sizes: list[int], allow_short: bool) -> list[Variant]:
    """Per size, a Stack Exchange set and a wikiHow set of that size."""
    return [
        selected(
            recipe,
            f"diversity-{source}-{size}",
            {"quotas": quotas},
            shards_for,
            allow_short,
            {"study": "diversity", "size": size, "source": source},
        )
        for size in sorted(set(sizes))
        for source, quotas in (("stackexchange", stack_exchange_quotas(size)), ("wikihow", only_quota("wikihow", size)))
    ]


PLANS: dict[str, Callable[[Recipe, ShardsFor, list[int], bool], list[Variant]]] = {
    "quantity": quantity,
    "quality": quality,
    "diversity": diversity,
}


def run_ablation(
    study: str,
    recipe: Recipe,
    inputs: list[tuple[str, Path]],
    out_dir: Path,
    sizes: list[int],
    execution: Execution = Execution(),
    allow_short: bool = False,
    on_units: Callable[[list[Unit]], None] = lambda units: None,
    on_done: Callable[[Shards], None] = lambda shards: None,
) -> list[Variant]:
    """Extract once per way of judging, select every variant, then write each to ``out_dir/<variant>/``."""
    if study not in PLANS:
        raise ValueError(f"unknown study {study!r}; known: {', '.join(STUDIES)}")
    if not sizes or any(size <= 0 for size in sizes):
        raise ValueError("sizes must be whole numbers > 0")
    if recipe.review.file:
        raise InputError(
            recipe.path,
            f"[review] file = {recipe.review.file!r}: an ablation applies no review (its variants are drawn afresh, "
            f"so the decisions name examples they may not hold); ablate a recipe without [review] file",
        )
    units = expand_inputs(inputs)
    on_units(units)
    with locked(out_dir), ExitStack() as stack:
        extractions: dict[str, list[Shards]] = {}

        def shards_for(variant_recipe: Recipe) -> list[Shards]:
            key = repr((sorted(variant_recipe.filters.items()), variant_recipe.seed))  # what the workers judge by
            if key not in extractions:
                extractions[key] = stack.enter_context(extracted(variant_recipe, units, execution, out_dir, on_done))
            return extractions[key]

        variants = PLANS[study](recipe, shards_for, sizes, allow_short)
        for v in variants:
            card = v.build.outputs.card
            card["ablation"] = {"variant": v.name, **v.notes}
            card["inputs"] = inputs_record(v.shards, out_dir / v.name)
        for v in variants:
            write_set(out_dir / v.name, v.build.outputs)
    return variants
