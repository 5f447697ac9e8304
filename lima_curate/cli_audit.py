"""``lima-curate audit FILE``: the recipe's filters over any set, per source and per filter (docs/audit.md).

The work is ``audit.audit``; this module holds the command and draws its report: a table per source
(pass, fail, not measurable, the words most often found), then up to ``--show`` failing ids per filter
with the reason and the words or values that failed. ``--json`` prints the same report for machines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .cli_options import DEFAULT_RECIPE, RecipeOption, fails_cleanly, recipe_with_seed
from .render import console


@fails_cleanly
def audit_command(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A manifest (or its folder), a GAIR/lima train.jsonl, ShareGPT, Alpaca, Parquet or a Hugging Face dataset folder.",
        ),
    ],
    recipe: RecipeOption = DEFAULT_RECIPE,
    as_source: Annotated[
        str | None,
        typer.Option(
            "--as", help="Judge every example with this source's chain (for a set whose source is unknown, e.g. ShareGPT)."
        ),
    ] = None,
    show: Annotated[int, typer.Option("--show", min=0, help="Failing ids listed per filter.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON (docs/audit.md) instead of tables.")] = False,
) -> None:
    """Run the recipe's filters over a set and say, per source and per filter, how many examples pass and which fail."""
    from .audit import audit

    report = audit(path, recipe_with_seed(recipe, None), as_source, show)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return
    console.print(f"{escape(str(report.path))}: {report.format}, judged with {escape(report.recipe)}", highlight=False)
    for source in report.sources:
        print_source(source)


def print_source(source) -> None:
    """One source: a line with the totals, a table of its filters, then the failures listed."""
    if not source.chain:
        console.print(
            f"\n[bold]{escape(source.source)}[/]: {source.examples} examples; the recipe has no filters for it", highlight=False
        )
        return
    share = f"{source.all_passed / source.examples:.1%}" if source.examples else "-"
    console.print(
        f"\n[bold]{escape(source.source)}[/]: {source.examples} examples, {source.all_passed} ({share}) pass every measurable filter",
        highlight=False,
    )
    table = Table(show_edge=False, pad_edge=False)
    for column in ("filter", "pass", "fail", "not measurable", "pass %", "found most in failures"):
        left = column in ("filter", "found most in failures")
        table.add_column(column, justify="left" if left else "right", no_wrap=column == "filter")
    for tally in source.filters:
        measured = tally.passed + tally.failed
        unmeasured = f"{tally.not_measurable} (no {', '.join(sorted(tally.missing))})" if tally.not_measurable else "0"
        words = ", ".join(f"{word} ({n})" for word, n in tally.top_words(5))
        rate = f"{tally.passed / measured:.1%}" if measured else "-"
        table.add_row(tally.name, str(tally.passed), str(tally.failed), unmeasured, rate, escape(words))
    console.print(table)
    for tally in source.filters:
        for example_id, reason, found in tally.failures:
            words = f" [{escape(', '.join(found))}]" if found else ""
            console.print(f"  {tally.name}: {escape(example_id)}: {escape(reason)}{words}", highlight=False, soft_wrap=True)
