"""``lima-curate ablate STUDY``: the paper's three ablation studies, one command each, all made from
one definition: a study differs only in its help and in how its sets are sized (``--sizes`` for
nested sets of growing size, ``--size`` for two sets of one size)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable

import typer

from .cli_options import (
    DEFAULT_RECIPE,
    AllowShortOption,
    CacheDirOption,
    ExecutorOption,
    InputsOption,
    NoCacheOption,
    RayAddressOption,
    RecipeOption,
    SeedOption,
    WorkersOption,
    cache_location,
    execution,
    fails_cleanly,
    parse_inputs,
    recipe_with_seed,
)
from .render import print_ablation, with_progress

ablate_app = typer.Typer(
    help="The LIMA paper's ablation sets from the same dumps: quantity, quality, diversity (docs/ablations.md).",
    no_args_is_help=True,
)

AblateOutOption = Annotated[
    Path, typer.Option("--out", "-o", help="Folder that receives one folder per variant, each a manifest with its card.")
]


def parse_sizes(text: str) -> list[int]:
    """``2000,4000,8000`` as whole numbers > 0, or a usage error naming what was given."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"{text!r}: expected whole numbers separated by commas, e.g. 2000,4000,8000") from None
    if not sizes or any(size <= 0 for size in sizes):
        raise typer.BadParameter(f"{text!r}: sizes must be whole numbers > 0")
    return sizes


@dataclass(frozen=True)
class Study:
    """One study's command: its name (``ablate.run_ablation``'s study), its help, and its size option
    (an ``Annotated`` Typer option, its default, and how its value becomes the list of sizes)."""

    name: str
    summary: str
    size_option: Any
    size_default: Any
    sizes: Callable[[Any], list[int]]


OneSizeOption = Annotated[int, typer.Option("--size", min=1, help="Size of both sets.")]

STUDIES = (
    Study(
        name="quantity",
        summary="Filtered Stack Exchange sets of each size (quantity-N/), the smaller nested in the larger.",
        size_option=Annotated[str, typer.Option("--sizes", help="Set sizes, comma-separated; smaller sets nest in larger ones.")],
        size_default="2000,4000,8000,16000,32000",
        sizes=parse_sizes,
    ),
    Study(
        name="quality",
        summary="Filtered and unfiltered Stack Exchange sets of one size with the same per-site counts.",
        size_option=OneSizeOption,
        size_default=2000,
        sizes=lambda size: [size],
    ),
    Study(
        name="diversity",
        summary="Stack Exchange against wikiHow at the same size (needs both sources' inputs).",
        size_option=OneSizeOption,
        size_default=2000,
        sizes=lambda size: [size],
    ),
)


def add_study(study: Study) -> None:
    """Register ``ablate <study.name>``: extract once, select every variant, write them, show a table."""

    def command(
        input: InputsOption,
        out: AblateOutOption,
        sizes: Any = study.size_default,
        recipe: RecipeOption = DEFAULT_RECIPE,
        seed: SeedOption = None,
        workers: WorkersOption = None,
        executor: ExecutorOption = "local",
        ray_address: RayAddressOption = None,
        cache_dir: CacheDirOption = None,
        no_cache: NoCacheOption = False,
        allow_short: AllowShortOption = False,
    ) -> None:
        from .ablate import run_ablation

        variants = with_progress(
            run_ablation,
            study=study.name,
            recipe=recipe_with_seed(recipe, seed),
            inputs=parse_inputs(input),
            out_dir=out,
            sizes=study.sizes(sizes),
            execution=execution(executor, workers, ray_address, cache_location(cache_dir, no_cache)),
            allow_short=allow_short,
        )
        print_ablation(study.name, variants, out)

    # The one option that differs: its annotation is the study's (``--sizes TEXT`` or ``--size INT``);
    # the other annotations are names in this module, which Typer resolves here.
    command.__annotations__["sizes"] = study.size_option
    ablate_app.command(study.name, help=study.summary)(fails_cleanly(command))


for study in STUDIES:
    add_study(study)
