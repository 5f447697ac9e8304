"""The ``lima-curate`` command line: arguments in, rich output out; the work happens elsewhere."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Callable, List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .errors import InputError

app = typer.Typer(
    name="lima-curate",
    help="Rebuild the LIMA instruction-tuning set (Zhou et al. 2023) from public dumps, reproducibly.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

DEFAULT_RECIPE = Path("filters/lima.toml")

# Options shared by the commands that build manifests (build, ablate ...).
InputsOption = Annotated[List[str], typer.Option(
    "--input", "-i", metavar="SOURCE=PATH",
    help="A source and its local dump: stackexchange, wikihow, writingprompts, superni or authored. "
    "Repeat for several; a folder expands to every dump in it.",
)]
RecipeOption = Annotated[Path, typer.Option("--recipe", "-r", help="Recipe TOML (quotas, filters, seed).")]
SeedOption = Annotated[Optional[int], typer.Option(help="Override the recipe's seed.")]
WorkersOption = Annotated[Optional[int], typer.Option(
    "--workers", "-j", min=1, show_default=False,
    help="Processes (or Ray CPUs) for extraction. Default: one per input that is not cached yet, at most one per "
    "core, and none beside this process for small inputs.")]
ExecutorOption = Annotated[str, typer.Option(
    "--executor", help="Where units are extracted: local (a process pool) or ray (Ray tasks; pip install 'lima-curate[ray]').")]
RayAddressOption = Annotated[Optional[str], typer.Option(
    "--ray-address", help="A running Ray cluster (auto, or HOST:PORT; docs/scale.md). Default: start a local Ray for this build.")]
CacheDirOption = Annotated[Optional[Path], typer.Option(
    help="Extraction cache (Parquet per input). Default: $LIMA_DATA/cache or ./data/cache.")]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Extract everything afresh, and cache nothing.")]
AllowShortOption = Annotated[bool, typer.Option(
    "--allow-short", help="Write even when a subset has fewer eligible examples than its quota (recorded in the card).")]


def main() -> None:
    app()


def fails_cleanly(command: Callable) -> Callable:
    """Bad input becomes one red line naming the file and place, and exit status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .build import ShortfallError

        try:
            return command(*args, **kwargs)
        except InputError as error:
            errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except ShortfallError as error:
            errors.print(f"[bold red]shortfall:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            raise typer.Exit(3) from None

    return wrapper


def version_callback(value: bool) -> None:
    if value:
        console.print(f"lima-curate {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True, help="Print the version."),
) -> None:
    """Rebuild the LIMA instruction-tuning set (Zhou et al. 2023) from public dumps, reproducibly."""


def parse_inputs(values: list[str]) -> list[tuple[str, Path]]:
    inputs = []
    for value in values:
        source, sep, path = value.partition("=")
        if not sep or not path:
            raise typer.BadParameter(f"{value!r}: expected SOURCE=PATH, e.g. stackexchange=dumps/cooking.stackexchange.com.7z")
        inputs.append((source.strip(), Path(path)))
    return inputs


def extraction_progress(total_label: str = "extracting"):
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
    """Run a build-like function with a progress bar over its input units."""
    with extraction_progress() as progress:
        task = progress.add_task("extracting", total=None, unit="")
        return run(
            on_units=lambda units: progress.update(task, total=len(units)),
            on_done=lambda shards: progress.update(task, advance=1, unit=f"{shards.unit.source}: {shards.unit.path.name}"),
            **kwargs,
        )


def cache_location(cache_dir: Optional[Path], no_cache: bool) -> Optional[Path]:
    if no_cache:
        return None
    return cache_dir or Path(os.environ.get("LIMA_DATA", "data")) / "cache"


def execution(executor: str, workers: Optional[int], ray_address: Optional[str], cache_dir: Optional[Path] = None):
    from .build import Execution
    from .executors import EXECUTORS

    if executor not in EXECUTORS:
        raise typer.BadParameter(f"{executor!r}: expected one of {', '.join(EXECUTORS)}", param_hint="--executor")
    if ray_address and executor != "ray":
        raise typer.BadParameter("--ray-address goes with --executor ray", param_hint="--ray-address")
    return Execution(executor=executor, workers=workers, ray_address=ray_address, cache_dir=cache_dir)


def recipe_with_seed(recipe: Path, seed: Optional[int]):
    from .recipe import load_recipe

    return load_recipe(recipe, {"seed": seed} if seed is not None else None)


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
) -> None:
    """Build a manifest from local dumps with a recipe.

    The set (manifest, card, rejects, eligible, dev, test) is published into --out all at once,
    replacing the previous one only when everything is written.
    """
    from .build import run_build
    from .manifest import MANIFEST

    result = with_progress(
        run_build, recipe=recipe_with_seed(recipe, seed), inputs=parse_inputs(input), out_dir=out,
        execution=execution(executor, workers, ray_address, cache_location(cache_dir, no_cache)), allow_short=allow_short,
    )
    for warning in result.warnings:
        errors.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    print_summary(result.outputs.card)
    console.print(f"wrote [bold]{out / MANIFEST}[/] ({result.outputs.card['total']} examples), digest {result.outputs.card['digest'][:16]}")
    for subset, (quota, have) in result.shortfalls.items():
        errors.print(f"[yellow]short:[/] {subset} has {have} of {quota} (--allow-short)", highlight=False)


def print_summary(card: dict[str, Any]) -> None:
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
    from .manifest import MANIFEST
    from .verify import verify_manifest

    if manifest.is_dir():
        manifest = manifest / MANIFEST
    report = verify_manifest(manifest, execution(executor, workers, ray_address))
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
    raise typer.Exit(1)


@app.command()
@fails_cleanly
def why(
    example_id: str = typer.Argument(..., metavar="ID", help="An example id, e.g. stackexchange/cooking.stackexchange.com/q12-a34."),
    folder: Path = typer.Argument(..., metavar="DIR", help="A folder written by `build` (or its manifest.jsonl)."),
) -> None:
    """Why a candidate is or is not in a set: the filter, score and reason that dropped it, or where it stood in the draw."""
    from .explain import explain

    answer = explain(example_id, folder)
    console.print(answer.text, highlight=False, markup=False, soft_wrap=True)
    if answer.verdict == "unknown":
        raise typer.Exit(1)


# -- pull ------------------------------------------------------------------------------------------

pull_app = typer.Typer(
    help="Fetch a source's raw files into the data directory: resumable, checked, recorded in "
    "lima-curate.lock.json (docs/pull.md). Every source takes --from PATH instead of a download.",
    no_args_is_help=True,
)
app.add_typer(pull_app, name="pull")


def data_dir_option() -> Any:
    return typer.Option(None, "--data-dir", "-d", help="Where files go. Default: $LIMA_DATA, else ./data.", show_default=False)


def from_option(what: str) -> Any:
    return typer.Option(None, "--from", help=f"Register local files instead of downloading: {what}.")


def offline_option() -> Any:
    return typer.Option(False, "--offline", help="Fail before any network use (also LIMA_OFFLINE=1).")


def retries_option() -> Any:
    return typer.Option(6, "--retries", min=1, help="Tries per request (backoff 1 s, doubling, up to 60 s).")


def pull_fetcher(offline: bool, retries: int, delay: float = 0.0):
    from .download import Fetcher, Limits, offline_requested

    return Fetcher(Limits(attempts=retries, delay=delay), offline=offline_requested(offline), console=errors)


def print_pulled(outcomes: list, data_dir: Path, source: str) -> None:
    from collections import Counter

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


@pull_app.command("stackexchange")
@fails_cleanly
def pull_stackexchange(
    site: List[str] = typer.Option([], "--site", "-s", help="A dump's site name, e.g. cooking.stackexchange.com; repeat for several."),
    all_sites: bool = typer.Option(False, "--all", help="Every site in the site list that is not excluded (asks first)."),
    list_sites: bool = typer.Option(False, "--list", help="Show the known sites with their STEM / Other / excluded class."),
    item: str = typer.Option("stackexchange", help="Internet Archive item, e.g. stackexchange_20240930 for a dated release."),
    mirror: Optional[str] = typer.Option(None, help="Base URL of another copy serving SITE.7z (no checksums: what arrives is recorded)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before an --all download."),
    from_path: Optional[Path] = from_option("a site .7z, a site folder with Posts.xml, or a folder of them"),
    data_dir: Optional[Path] = data_dir_option(),
    offline: bool = offline_option(),
    retries: int = retries_option(),
) -> None:
    """Stack Exchange dumps from the Internet Archive (to 2024); newer dumps sit behind each site's login: download them yourself and pass --from PATH, or serve them and use --mirror."""
    from .pull import Lock, default_data_dir, fetch_planned, known_sites, se_plan, se_register

    data_dir = data_dir or default_data_dir()
    if list_sites:
        lock = Lock(data_dir)
        table = Table(title="Stack Exchange sites (filters/stackexchange_sites.toml)")
        for column in ("site", "class", "archive", "here"):
            table.add_column(column)
        for name, kind in known_sites().items():
            archive = "stackoverflow.com-Posts.7z" if name == "stackoverflow.com" else f"{name}.7z"
            table.add_row(name, kind, archive, "yes" if lock.complete(f"stackexchange/{archive}") else "")
        console.print(table)
        return
    if from_path is not None:
        print_pulled(se_register(from_path, Lock(data_dir), errors.print), data_dir, "stackexchange")
        return
    if not site and not all_sites:
        raise typer.BadParameter("name a --site (or pass --all, --list or --from PATH)")
    sites = list(site) + ([name for name, kind in known_sites().items() if kind != "excluded"] if all_sites else [])
    with pull_fetcher(offline, retries) as fetcher:
        lock = Lock(data_dir)
        plan = se_plan(sites, data_dir, fetcher, lock, item=item, mirror=mirror)
        if all_sites and not yes:
            todo = [p for p in plan if not p.done]
            known = [p.expected.size for p in todo if p.expected.size is not None]
            total = f"{sum(known) / 1e9:,.1f} GB" if len(known) == len(todo) else "sizes unknown (a mirror publishes none)"
            console.print(f"{len(todo)} of {len(plan)} site archives to fetch, {total}, into {data_dir / 'stackexchange'}")
            typer.confirm("Fetch them?", abort=True, err=True)
        outcomes = fetch_planned(plan, "stackexchange", data_dir, fetcher, lock)
    print_pulled(outcomes, data_dir, "stackexchange")


@pull_app.command("wikihow")
@fails_cleanly
def pull_wikihow(
    titles: Optional[Path] = typer.Option(None, help="A file with one article title or URL a line."),
    category: Optional[str] = typer.Option(None, help='A category, e.g. "Food and Entertaining": its articles, then its subcategories\'.'),
    limit: int = typer.Option(200, min=1, help="How many articles to take from --category."),
    delay: float = typer.Option(1.0, min=0.0, help="Seconds between requests (robots.txt may ask for more)."),
    base_url: str = typer.Option("https://www.wikihow.com", help="The site (a mirror, or a test server)."),
    from_path: Optional[Path] = from_option("saved pages (*.html) or the wikiHow CSV, or a folder of them"),
    data_dir: Optional[Path] = data_dir_option(),
    offline: bool = offline_option(),
    retries: int = retries_option(),
) -> None:
    """wikiHow article pages, one file each, stored as served; polite (user agent, delay, robots.txt)."""
    from .pull import Lock, category_articles, default_data_dir, pull_wikihow as fetch_pages, read_titles, wikihow_register

    data_dir = data_dir or default_data_dir()
    if from_path is not None:
        print_pulled(wikihow_register(from_path, Lock(data_dir), errors.print), data_dir, "wikihow")
        return
    if (titles is None) == (category is None):
        raise typer.BadParameter("pass either --titles FILE or --category NAME (or --from PATH)")
    with pull_fetcher(offline, retries, delay) as fetcher:
        robots: dict = {}
        if titles is not None:
            urls = read_titles(titles, base_url)
        else:
            urls = category_articles(fetcher, category, limit, base_url, robots)
        outcomes = fetch_pages(urls, data_dir, fetcher, Lock(data_dir), str(titles or category), robots)
    print_pulled(outcomes, data_dir, "wikihow")


@pull_app.command("superni")
@fails_cleanly
def pull_superni(
    ref: str = typer.Option("master", help="Branch, tag or commit of allenai/natural-instructions (pin a commit for a stable source)."),
    url: Optional[str] = typer.Option(None, help="The repository zip from a mirror instead of GitHub."),
    from_path: Optional[Path] = from_option("the repository zip, or a checkout folder with tasks/ and splits/"),
    data_dir: Optional[Path] = data_dir_option(),
    offline: bool = offline_option(),
    retries: int = retries_option(),
) -> None:
    """Super-NaturalInstructions: the repository archive, keeping only tasks/ and splits/."""
    from .pull import Lock, default_data_dir, pull_superni as fetch_superni, superni_register

    data_dir = data_dir or default_data_dir()
    with pull_fetcher(offline, retries) as fetcher:
        if from_path is not None:
            outcomes = superni_register(from_path, data_dir, fetcher, Lock(data_dir))
        else:
            outcomes = fetch_superni(data_dir, fetcher, Lock(data_dir), ref=ref, url=url)
    print_pulled(outcomes, data_dir, "superni")


@pull_app.command("writingprompts")
@fails_cleanly
def pull_writingprompts(
    url: str = typer.Option("https://dl.fbaipublicfiles.com/fairseq/data/writingPrompts.tar.gz", help="The Fan et al. 2018 archive."),
    pushshift: bool = typer.Option(False, "--pushshift", help="Explain where to get the Pushshift r/WritingPrompts files, then exit."),
    from_path: Optional[Path] = from_option("the Fan archive, Pushshift .zst files, .wp_source/.wp_target or .csv files, or a folder"),
    data_dir: Optional[Path] = data_dir_option(),
    offline: bool = offline_option(),
    retries: int = retries_option(),
) -> None:
    """r/WritingPrompts: the Fan et al. 2018 archive; Pushshift dumps (torrent only) via --from."""
    from .pull import PUSHSHIFT_HELP, Lock, default_data_dir, pull_writingprompts as fetch_fan, writingprompts_register

    if pushshift:
        console.print(PUSHSHIFT_HELP, highlight=False, markup=False, soft_wrap=True)
        return
    data_dir = data_dir or default_data_dir()
    with pull_fetcher(offline, retries) as fetcher:
        if from_path is not None:
            outcomes = writingprompts_register(from_path, data_dir, fetcher, Lock(data_dir))
        else:
            outcomes = fetch_fan(data_dir, fetcher, Lock(data_dir), url=url)
    print_pulled(outcomes, data_dir, "writingprompts")


# -- stats, export, import -------------------------------------------------------------------------


@app.command("stats")
@fails_cleanly
def stats_command(
    path: Path = typer.Argument(..., help="A manifest (or its folder), a GAIR/lima train.jsonl, ShareGPT, Alpaca, Parquet or a Hugging Face dataset folder; told from the content."),
    tokenizer: Optional[Path] = typer.Option(None, "--tokenizer", "-t", help="A local Hugging Face tokenizer folder or tokenizer.json for exact token counts. Default: an estimate, labelled as one."),
    compare: Optional[str] = typer.Option(None, "--compare", "-c", help="'lima' (the paper's Table 1) or the path of another set, shown side by side."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw length distributions and composition into this PNG (needs matplotlib)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON (stable keys, docs/stats.md) instead of tables."),
) -> None:
    """Composition, lengths, diversity, code and lists of a set, per subset and in total."""
    import json

    from . import stats as statistics

    counter = statistics.tokenizer_counter(tokenizer) if tokenizer else statistics.ESTIMATE
    result = statistics.compute_stats(path, counter)
    compared = statistics.compare_with(result, compare, counter) if compare else None
    if plot:
        statistics.plot(result, plot, compared)
    report = result.to_json(compared)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_stats(report)
        if compared:
            print_comparison(compared)
    if plot:
        errors.print(f"plot written to {plot}", highlight=False)


def print_stats(report: dict[str, Any]) -> None:
    tokens = "tokens, estimated" if report["tokens"]["estimated"] else f"tokens, {report['tokens']['name']}"
    rows = [*report["subsets"].items(), ("total", report["total"])]
    from .stats import display_name

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
        table.add_row(name, f"{s['examples']:,}", d["unit"], str(d["distinct"]), f"{d['entropy_bits']:.2f}",
                      f"{s['code_share']:.0%}", f"{s['list_share']:.0%}", str(s["multi_turn"]), f"{s['tokens']:,}",
                      end_section=name == rows[-2][0])
    console.print(table)
    if report["tokens"]["estimated"]:
        console.print("[dim]tokens are estimated (about LLaMA's count, see docs/stats.md); --tokenizer PATH counts exactly[/]")


def print_comparison(compared: dict[str, Any]) -> None:
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
    table.add_row("total", f"{total['left']['examples']:,}", f"{total['right']['examples']:,}", "", "",
                  f"{total['left']['tokens']:,} tokens", f"{total['right']['tokens']:,} tokens")
    console.print(table)
    for letter, side in zip("AB", (compared["left"], compared["right"])):
        console.print(f"[dim]{letter}: {side['name']}: {side['note']}[/]", highlight=False)


@app.command("export")
@fails_cleanly
def export_command(
    path: Path = typer.Argument(..., help="A manifest or any format `stats` reads."),
    to: str = typer.Option(..., "--to", help="gair (GAIR/lima train.jsonl), sharegpt, alpaca (single-turn only), parquet or hf (a save_to_disk folder)."),
    out: Path = typer.Option(..., "--out", "-o", help="The file to write (JSON lines; a .json name gives one JSON array), or the folder for hf."),
) -> None:
    """Write a set in another format; the messages travel word for word (docs/formats.md)."""
    from .formats import export

    written = export(path, to, out)
    console.print(f"wrote [bold]{written.path}[/] ({written.written:,} examples, {written.format})")
    for reason, count in sorted(written.skipped.items()):
        errors.print(f"[yellow]skipped {count:,}:[/] {reason}", highlight=False)


@app.command("import")
@fails_cleanly
def import_command(
    path: Path = typer.Argument(..., help="A GAIR/lima train.jsonl, or any format `stats` reads."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for manifest.jsonl and manifest.card.json."),
    name: Optional[str] = typer.Option(None, help="The card's name. Default: the input's file name."),
) -> None:
    """Turn a GAIR/lima file (or another format) into a manifest with a card; what the file does not record is marked unknown."""
    from .formats import import_file

    imported = import_file(path, out, name)
    card = imported.card
    table = Table(title=f"{card['name']} (imported from {imported.format})")
    for column in ("subset", "examples", "groups"):
        table.add_column(column, justify="left" if column == "subset" else "right")
    for subset, s in card["subsets"].items():
        table.add_row(subset, f"{s['chosen']:,}", str(len(s["groups"])))
    console.print(table)
    console.print(f"wrote [bold]{imported.manifest}[/] ({card['total']:,} examples), digest {card['digest'][:16]}; "
                  "recipe, seed, quotas and provenance are marked unknown in the card")


ablate_app = typer.Typer(
    help="The LIMA paper's ablation sets from the same dumps: quantity, quality, diversity (docs/ablations.md).",
    no_args_is_help=True,
)
app.add_typer(ablate_app, name="ablate")


AblateOutOption = Annotated[Path, typer.Option(
    "--out", "-o", help="Folder that receives one folder per variant, each a manifest with its card.")]


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"{text!r}: expected whole numbers separated by commas, e.g. 2000,4000,8000") from None
    if not sizes or any(size <= 0 for size in sizes):
        raise typer.BadParameter(f"{text!r}: sizes must be whole numbers > 0")
    return sizes


def run_ablation_command(study: str, sizes: list[int], input: list[str], out: Path, recipe: Path, seed: Optional[int],
                         workers: Optional[int], cache_dir: Optional[Path], no_cache: bool, allow_short: bool) -> None:
    from .ablate import run_ablation

    variants = with_progress(
        run_ablation, study=study, recipe=recipe_with_seed(recipe, seed), inputs=parse_inputs(input), out_dir=out,
        sizes=sizes, execution=execution("local", workers, None, cache_location(cache_dir, no_cache)), allow_short=allow_short,
    )
    table = Table(title=f"ablation: {study}")
    for column in ("variant", "examples", "per subset", "groups", "digest"):
        table.add_column(column, justify="right" if column in ("examples", "groups") else "left")
    for v in variants:
        card = v.build.outputs.card
        per_subset = ", ".join(f"{subset} {s['chosen']}" for subset, s in card["subsets"].items() if s["quota"])
        groups = len({g for s in card["subsets"].values() for g in s["groups"]})
        table.add_row(v.name, str(card["total"]), per_subset, str(groups), card["digest"][:16])
        for subset, (quota, have) in v.build.shortfalls.items():
            errors.print(f"[yellow]short:[/] {v.name}: {subset} has {have} of {quota} (--allow-short)", highlight=False)
    console.print(table)
    console.print(f"wrote {len(variants)} manifests with their cards under [bold]{out}[/] (check one with `lima-curate verify`)")


@ablate_app.command("quantity")
@fails_cleanly
def ablate_quantity(
    input: InputsOption,
    out: AblateOutOption,
    sizes: str = typer.Option("2000,4000,8000,16000,32000", help="Set sizes, comma-separated; smaller sets nest in larger ones."),
    recipe: RecipeOption = DEFAULT_RECIPE,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    allow_short: AllowShortOption = False,
) -> None:
    """Filtered Stack Exchange sets of each size (quantity-N/), the smaller nested in the larger."""
    run_ablation_command("quantity", parse_sizes(sizes), input, out, recipe, seed, workers, cache_dir, no_cache, allow_short)


@ablate_app.command("quality")
@fails_cleanly
def ablate_quality(
    input: InputsOption,
    out: AblateOutOption,
    size: int = typer.Option(2000, min=1, help="Size of both sets."),
    recipe: RecipeOption = DEFAULT_RECIPE,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    allow_short: AllowShortOption = False,
) -> None:
    """Filtered and unfiltered Stack Exchange sets of one size with the same per-site counts."""
    run_ablation_command("quality", [size], input, out, recipe, seed, workers, cache_dir, no_cache, allow_short)


@ablate_app.command("diversity")
@fails_cleanly
def ablate_diversity(
    input: InputsOption,
    out: AblateOutOption,
    size: int = typer.Option(2000, min=1, help="Size of both sets."),
    recipe: RecipeOption = DEFAULT_RECIPE,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    allow_short: AllowShortOption = False,
) -> None:
    """Stack Exchange against wikiHow at the same size (needs both sources' inputs)."""
    run_ablation_command("diversity", [size], input, out, recipe, seed, workers, cache_dir, no_cache, allow_short)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
