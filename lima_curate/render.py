"""What the command line shows: rich tables, lines and progress bars drawn from the library's results.

Nothing here decides anything; each function takes what a command got back and prints it. Tables and
results go to ``console`` (stdout), warnings, errors and progress to ``errors`` (stderr), so a
command's stdout can be piped while its progress stays on the terminal.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


# -- progress --------------------------------------------------------------------------------------


def extraction_progress() -> Progress:
    """A bar over input units on stderr, shown only on a terminal and cleared when done."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    )


def with_progress(run: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a build-like function (``build.run_build``, ``ablate.run_ablation``) with a progress bar
    over its input units: it reports the units once, then each unit as its shards are done."""
    with extraction_progress() as progress:
        task = progress.add_task("extracting", total=None, unit="")
        return run(
            on_units=lambda units: progress.update(task, total=len(units)),
            on_done=lambda shards: progress.update(task, advance=1, unit=f"{shards.unit.source}: {shards.unit.path.name}"),
            **kwargs,
        )


def warn(label: str, message: str) -> None:
    """One yellow ``label: message`` line on stderr (a warning, a shortfall, a skipped count)."""
    errors.print(f"[yellow]{label}:[/] {message}", highlight=False, soft_wrap=True)


# -- build, verify, ablate -------------------------------------------------------------------------


def print_built(result: Any, manifest: Path, unapplied_review: Path | None = None) -> None:
    """What ``build`` made: its warnings, the card's table, the review applied (counts per action and
    any stale edit), where it went, and any subset left short."""
    for warning in result.warnings:
        warn("warning", escape(warning))
    card = result.outputs.card
    print_summary(card)
    if "review" in card:
        counts, stale = card["review"]["counts"], card["review"]["stale"]
        said = ", ".join(f"{n} {action.replace('_', ' ')}" for action, n in counts.items())
        also = f" (stale, not applied: {', '.join(stale)})" if stale else ""
        console.print(f"review {escape(card['review']['file']['path'])}: {said}{escape(also)}", highlight=False)
    elif unapplied_review is not None:
        warn(
            "review", f"{escape(str(unapplied_review))} is not applied: pass --review {escape(str(unapplied_review))} to apply it"
        )
    console.print(f"wrote [bold]{manifest}[/] ({card['total']} examples), digest {card['digest'][:16]}")
    for subset, (quota, have) in result.shortfalls.items():
        warn("short", f"{subset} has {have} of {quota} (--allow-short)")


def print_summary(card: dict[str, Any]) -> None:
    """A built set's card as tables: per subset its quota, pool, draw and spread, then the drops by filter."""
    table = Table(title=f"{card['name']} {card['version']}", show_footer=True)
    table.add_column("subset", footer="total")
    table.add_column("quota", justify="right", footer=str(sum(s["quota"] for s in card["subsets"].values())))
    table.add_column("eligible", justify="right")
    table.add_column("chosen", justify="right", footer=str(card["total"]))
    table.add_column("groups", justify="right")
    table.add_column("mean response chars", justify="right")
    for subset, s in card["subsets"].items():
        mean = s.get("response_chars", {}).get("mean", "")
        table.add_row(subset, str(s["quota"]), str(s["eligible"]), str(s["chosen"]), str(len(s["groups"])), str(mean))
    console.print(table)
    if card["rejects"]:
        rejects = Table(title="dropped by filter")
        rejects.add_column("source/filter")
        rejects.add_column("dropped", justify="right")
        for key, n in card["rejects"].items():
            rejects.add_row(key, str(n))
        console.print(rejects)


def print_verified(report: Any, manifest: Path, show: int) -> None:
    """``verify``'s verdict: OK with the digest, or DRIFT with up to ``show`` ids per kind of difference."""
    for line in report.input_problems:
        errors.print(f"[bold red]input changed:[/] {escape(line)}", highlight=False, soft_wrap=True)
    if report.ok:
        console.print(f"[green]OK[/] {manifest}: rebuilt byte for byte, digest {report.digest[:16]}")
        return
    errors.print(f"[bold red]DRIFT[/] {manifest}: the set differs from its card or its rebuild", highlight=False)
    for label, ids in (
        ("only in the rebuild (added)", report.drift.added),
        ("only in the file (removed)", report.drift.removed),
        ("different content (changed)", report.drift.changed),
    ):
        if ids:
            errors.print(f"  {label}: {len(ids)}", highlight=False)
            for example_id in ids[:show]:
                errors.print(f"    {example_id}", highlight=False)
    for line in report.other:
        errors.print(f"  {escape(line)}", highlight=False)


def print_ablation(study: str, variants: list, out: Path) -> None:
    """One row per variant of a study (size, subsets, groups, digest), and any subset left short."""
    table = Table(title=f"ablation: {study}")
    for column in ("variant", "examples", "per subset", "groups", "digest"):
        table.add_column(column, justify="right" if column in ("examples", "groups") else "left")
    for v in variants:
        card = v.build.outputs.card
        per_subset = ", ".join(f"{subset} {s['chosen']}" for subset, s in card["subsets"].items() if s["quota"])
        groups = len({g for s in card["subsets"].values() for g in s["groups"]})
        table.add_row(v.name, str(card["total"]), per_subset, str(groups), card["digest"][:16])
        for subset, (quota, have) in v.build.shortfalls.items():
            warn("short", f"{v.name}: {subset} has {have} of {quota} (--allow-short)")
    console.print(table)
    console.print(f"wrote {len(variants)} manifests with their cards under [bold]{out}[/] (check one with `lima-curate verify`)")


# -- stats -----------------------------------------------------------------------------------------


def print_stats(report: dict[str, Any]) -> None:
    """``stats.Stats.to_json``'s report as three tables: lengths in tokens, in characters, and diversity and form."""
    from .stats import display_name  # stats brings numpy: imported when a report is drawn, not at start-up

    tokens = "tokens, estimated" if report["tokens"]["estimated"] else f"tokens, {report['tokens']['name']}"
    rows = [*report["subsets"].items(), ("total", report["total"])]
    where = f"{display_name(report['input']['path'])} ({report['input']['format']})"
    for unit, key in ((tokens, "tokens"), ("characters", "chars")):
        table = Table(title=f"{where}: lengths in {unit}")
        table.add_column("\nsubset", no_wrap=True)
        table.add_column("\nexamples", justify="right")
        for part in ("prompt", "response"):
            for column in ("mean", "median", "p10-p90", "max"):
                table.add_column(f"{part}\n{column}", justify="right", no_wrap=True)
        for name, s in rows:
            cells = []
            for part in ("prompt", "response"):
                d = s[f"{part}_{key}"]
                cells += [f"{d['mean']:,.1f}", f"{d['median']:,.0f}", f"{d['p10']:,.0f}-{d['p90']:,.0f}", f"{d['max']:,}"]
            table.add_row(name, f"{s['examples']:,}", *cells, end_section=name == rows[-2][0])
        console.print(table)
    table = Table(title=f"{where}: diversity and form")
    for column in ("subset", "examples", "unit", "distinct", "entropy (bits)", "code blocks", "lists", "multi-turn", tokens):
        table.add_column(column, justify="left" if column in ("subset", "unit") else "right", no_wrap=column == "subset")
    for name, s in rows:
        d = s["diversity"]
        table.add_row(
            name,
            f"{s['examples']:,}",
            d["unit"],
            str(d["distinct"]),
            f"{d['entropy_bits']:.2f}",
            f"{s['code_share']:.0%}",
            f"{s['list_share']:.0%}",
            str(s["multi_turn"]),
            f"{s['tokens']:,}",
            end_section=name == rows[-2][0],
        )
    console.print(table)
    if report["tokens"]["estimated"]:
        console.print("[dim]tokens are estimated (about LLaMA's count, see docs/stats.md); --tokenizer PATH counts exactly[/]")


def print_comparison(compared: dict[str, Any]) -> None:
    """Two sets side by side, A and B, row by row: examples and mean prompt and response tokens."""
    left, right = compared["left"]["name"], compared["right"]["name"]
    table = Table(title=f"A: {left} vs B: {right}")
    table.add_column("subset", no_wrap=True)
    for what in ("examples", "mean prompt tokens", "mean response tokens"):
        table.add_column(f"{what}\nA", justify="right")
        table.add_column(f"{what}\nB", justify="right")

    def cells(row: dict[str, Any] | None) -> list[str]:
        if row is None:
            return ["-", "-", "-"]
        return [f"{row['examples']:,}", f"{row['prompt_tokens_mean']:,.0f}", f"{row['response_tokens_mean']:,.0f}"]

    for row in compared["rows"]:
        ours, theirs = cells(row["left"]), cells(row["right"])
        table.add_row(row["label"], *[cell for pair in zip(ours, theirs) for cell in pair])
    total = compared["total"]
    table.add_section()
    table.add_row(
        "total",
        f"{total['left']['examples']:,}",
        f"{total['right']['examples']:,}",
        "",
        "",
        f"{total['left']['tokens']:,} tokens",
        f"{total['right']['tokens']:,} tokens",
    )
    console.print(table)
    for letter, side in zip("AB", (compared["left"], compared["right"])):
        console.print(f"[dim]{letter}: {side['name']}: {side['note']}[/]", highlight=False)


# -- export, import --------------------------------------------------------------------------------


def print_exported(written: Any) -> None:
    """Where ``export`` wrote and how many examples, then what it had to leave out and why."""
    console.print(f"wrote [bold]{written.path}[/] ({written.written:,} examples, {written.format})")
    if written.card is not None:
        console.print(f"dataset card [bold]{written.card}[/]")
    for reason, count in sorted(written.skipped.items()):
        warn(f"skipped {count:,}", escape(reason))
    for note in written.notes:
        warn("note", escape(note))


def print_imported(imported: Any) -> None:
    """An imported set's subsets and groups, and the reminder that its card records no provenance."""
    for warning in imported.warnings:
        warn("warning", escape(warning))
    card = imported.card
    table = Table(title=f"{card['name']} (imported from {imported.format})")
    for column in ("subset", "examples", "groups"):
        table.add_column(column, justify="left" if column == "subset" else "right")
    for subset, s in card["subsets"].items():
        table.add_row(subset, f"{s['chosen']:,}", str(len(s["groups"])))
    console.print(table)
    console.print(
        f"wrote [bold]{imported.manifest}[/] ({card['total']:,} examples), digest {card['digest'][:16]}; "
        "recipe, seed, quotas and provenance are marked unknown in the card"
    )


# -- pull ------------------------------------------------------------------------------------------


def print_pulled(outcomes: list, data_dir: Path, source: str) -> None:
    """What a pull did per file (a table up to 20 files, counts per action beyond), and the
    ``--input`` that builds from it."""
    from .pull import LOCK_NAME

    if len(outcomes) <= 20:
        table = Table(title=f"{source} in {data_dir}")
        for column in ("file", "status", "bytes", "sha256"):
            table.add_column(column, justify="right" if column == "bytes" else "left")
        for o in outcomes:
            table.add_row(o.path, o.action, f"{o.bytes:,}" if o.bytes is not None else "", (o.sha256 or "")[:16])
        console.print(table)
    else:
        counts = Counter(o.action for o in outcomes)
        console.print(f"{source}: " + ", ".join(f"{n} {action}" for action, n in sorted(counts.items())))
    console.print(f"recorded in {data_dir / LOCK_NAME}; build with --input {source}={data_dir / source}", highlight=False)


def print_sites(rows: list[tuple[str, str, str, bool]]) -> None:
    """The Stack Exchange site list: per site its class (stem, other, excluded), its archive, and
    whether that archive is already in the data directory."""
    table = Table(title="Stack Exchange sites (filters/stackexchange_sites.toml)")
    for column in ("site", "class", "archive", "here"):
        table.add_column(column)
    for site, kind, archive, here in rows:
        table.add_row(site, kind, archive, "yes" if here else "")
    console.print(table)
