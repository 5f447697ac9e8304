"""The ``lima-curate`` command line: arguments in, rich output out; the work happens elsewhere.

This module holds the app and its top-level commands; the options they share and the clean
failure are in ``cli_options``, ``pull`` and ``ablate`` in ``cli_pull`` and ``cli_ablate``, and
everything drawn on the terminal in ``render``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .cli_ablate import ablate_app
from .cli_audit import audit_command
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
from .cli_pull import pull_app
from .cli_review import review_command
from .render import (
    console,
    errors,
    print_built,
    print_comparison,
    print_exported,
    print_imported,
    print_stats,
    print_verified,
    with_progress,
)

# Help texts are read as Markdown, not as rich markup: rich markup takes any "[word ...]" for a
# style tag and drops it ("[default: ...]", "lima-curate[ray]"), Markdown keeps brackets as
# written. Typer passes the root's mode to every command and sub-app (pull, ablate): one place.
HELP_MARKUP = "markdown"

app = typer.Typer(
    name="lima-curate",
    help="Rebuild the LIMA instruction-tuning set (Zhou et al. 2023) from public dumps, reproducibly.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=HELP_MARKUP,
)


def main() -> None:
    """The ``lima-curate`` entry point."""
    app()


def version_callback(value: bool) -> None:
    """--version: print it and stop before any command runs."""
    if value:
        console.print(f"lima-curate {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True, help="Print the version."),
) -> None:
    """Rebuild the LIMA instruction-tuning set (Zhou et al. 2023) from public dumps, reproducibly."""


@app.command()
@fails_cleanly
def build(
    input: InputsOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for manifest.jsonl, its card, rejects and dev/test sets.")],
    recipe: RecipeOption = DEFAULT_RECIPE,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    allow_short: AllowShortOption = False,
    review: Annotated[
        Path | None,
        typer.Option(
            "--review",
            help="A review file (JSONL of decisions, e.g. OUT/review.jsonl written by `lima-curate review`) to apply "
            "after sampling. Default: the recipe's [review] file, if it names one (docs/review.md).",
        ),
    ] = None,
) -> None:
    """Build a manifest from local dumps with a recipe.

    The set (manifest, card, rejects, eligible, reserve, dev, test) is published into --out all at
    once, replacing the previous one only when everything is written.
    """
    from .build import run_build
    from .manifest import MANIFEST
    from .recipe import review_file
    from .review import REVIEW_FILE

    settings = recipe_with_seed(recipe, seed)
    result = with_progress(
        run_build,
        recipe=settings,
        inputs=parse_inputs(input),
        out_dir=out,
        execution=execution(executor, workers, ray_address, cache_location(cache_dir, no_cache)),
        allow_short=allow_short,
        review=review,
    )
    unapplied = out / REVIEW_FILE
    print_built(
        result, out / MANIFEST, unapplied if review is None and review_file(settings) is None and unapplied.is_file() else None
    )


@app.command()
@fails_cleanly
def verify(
    manifest: Path = typer.Argument(..., help="A manifest.jsonl written by `build` (or its folder), with its card beside it."),
    workers: WorkersOption = None,
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
    show: int = typer.Option(20, help="How many ids to list per kind of difference."),
) -> None:
    """Check a set against its card and rebuild it from scratch: every file must match (exit 1 if not)."""
    from .verify import manifest_of, verify_manifest

    report = verify_manifest(manifest, execution(executor, workers, ray_address))
    manifest = manifest_of(manifest)
    print_verified(report, manifest, show)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@fails_cleanly
def why(
    example_id: str = typer.Argument(
        ..., metavar="ID", help="An example id, e.g. stackexchange/cooking.stackexchange.com/q12-a34."
    ),
    folder: Path = typer.Argument(..., metavar="DIR", help="A folder written by `build` (or its manifest.jsonl)."),
) -> None:
    """Why a candidate is or is not in a set: the filter, score and reason that dropped it, or where it stood in the draw."""
    from .explain import explain

    answer = explain(example_id, folder)
    console.print(answer.text, highlight=False, markup=False, soft_wrap=True)
    if answer.verdict == "unknown":
        raise typer.Exit(1)


@app.command("stats")
@fails_cleanly
def stats_command(
    path: Path = typer.Argument(
        ...,
        help="A manifest (or its folder), a GAIR/lima train.jsonl, ShareGPT, Alpaca, Parquet or a "
        "Hugging Face dataset folder; told from the content.",
    ),
    tokenizer: Path | None = typer.Option(
        None,
        "--tokenizer",
        "-t",
        help="A local Hugging Face tokenizer folder or "
        "tokenizer.json for exact token counts. Default: an estimate, labelled as one.",
    ),
    compare: str | None = typer.Option(
        None, "--compare", "-c", help="'lima' (the paper's Table 1) or the path of another set, shown side by side."
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="Also draw length distributions and composition into this PNG (needs matplotlib)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the report as JSON (stable keys, docs/stats.md) instead of tables."
    ),
) -> None:
    """Composition, lengths, diversity, code and lists of a set, per subset and in total."""
    import json

    from .stats import compare_with, compute_stats
    from .stats_tokens import ESTIMATE, tokenizer_counter

    counter = tokenizer_counter(tokenizer) if tokenizer else ESTIMATE
    result = compute_stats(path, counter)
    compared = compare_with(result, compare, counter) if compare else None
    if plot:
        from . import stats_plot

        stats_plot.plot(result, plot, compared)
    report = result.to_json(compared)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_stats(report)
        if compared:
            print_comparison(compared)
    if plot:
        errors.print(f"plot written to {plot}", highlight=False)


@app.command("export")
@fails_cleanly
def export_command(
    path: Path = typer.Argument(..., help="A manifest or any format `stats` reads."),
    to: str = typer.Option(
        ...,
        "--to",
        help="gair (GAIR/lima train.jsonl), sharegpt, alpaca (dialogues as history), parquet or hf (a save_to_disk folder with a dataset card).",
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="The file to write (JSON lines; a .json name gives one JSON array), or the folder for hf."
    ),
) -> None:
    """Write a set in another format; the messages travel word for word (docs/formats.md)."""
    from .export import export

    print_exported(export(path, to, out))


@app.command("import")
@fails_cleanly
def import_command(
    path: Path = typer.Argument(..., help="A GAIR/lima train.jsonl, or any format `stats` reads."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for manifest.jsonl and manifest.card.json."),
    name: str | None = typer.Option(None, help="The card's name. Default: the input's file name."),
) -> None:
    """Turn a GAIR/lima file (or another format) into a manifest with a card; what the file does not record is marked unknown."""
    from .formats import import_file

    print_imported(import_file(path, out, name))


app.command("audit")(audit_command)
app.command("review")(review_command)
app.add_typer(pull_app, name="pull")
app.add_typer(ablate_app, name="ablate")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
