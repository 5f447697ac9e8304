"""`lima-train eval`: pairwise preference, 1-6 helpfulness ratings, and ablation figures, as LIMA measured them.

A Typer sub-app: `lima_train/cli.py` mounts it with `app.add_typer(eval_app, name="eval")`. Only
arguments, progress and files live here; the work is in evaluate.py, the figures in eval_plots.py,
the judges in judges.py. Every input is read and checked before a judge is asked anything, and the
reports are written only once every number is known: an error leaves DIR as it was (the judge cache
aside, which keeps each reply as it arrives so that a re-run asks only what is missing). summary.json
is written last and lists the sha256 of every file written with it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from .errors import InputError, reports_input_errors

eval_app = typer.Typer(
    help="Score answers files the way LIMA did: pairwise preference against baselines, 1-6 helpfulness ratings, "
    "and the ablation figure from rated runs (docs/evaluation.md).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",  # rich markup would drop bracketed help text such as "[default: ...]"
)
console = Console(stderr=True)

SUMMARY = "summary.json"
CACHE_NAME = "judge-cache.sqlite"


# ---- options shared by pairwise and rate ---------------------------------------------------------

Out = Annotated[Path, typer.Option("--out", "-o", help="Folder for the reports (created if missing).")]
JudgeUrl = Annotated[
    str | None, typer.Option("--judge-url", help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 (vLLM, llama.cpp).")
]
JudgeModel = Annotated[str | None, typer.Option("--judge-model", help="The model name the server serves (with --judge-url).")]
JudgeKeyEnv = Annotated[
    str, typer.Option("--judge-key-env", help="NAME of the environment variable holding the API key (never logged).")
]
JudgeHf = Annotated[Path | None, typer.Option("--judge-hf", help="A local Hugging Face model folder as the judge, in process.")]
JudgeCache = Annotated[
    Path | None, typer.Option("--judge-cache", help="sqlite file of the judge's replies [default: DIR/judge-cache.sqlite].")
]
NoJudgeCache = Annotated[bool, typer.Option("--no-judge-cache", help="Ask the judge everything again; keep no replies.")]
Concurrency = Annotated[int, typer.Option(help="Judge requests in flight at once.")]
Resamples = Annotated[int, typer.Option(help="Bootstrap resamples for the 95% intervals.")]
Seed = Annotated[int, typer.Option(help="Bootstrap seed.")]


def _judge(out: Path, url, model, key_env, hf, cache, no_cache, concurrency):
    from . import judges

    if no_cache and cache is not None:
        raise InputError("--judge-cache and --no-judge-cache contradict each other; give one")
    return judges.open_judge(url, model, key_env, hf, None if no_cache else (cache or out / CACHE_NAME), concurrency)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a directory (--out)")


def _check_bootstrap(resamples: int) -> None:
    if resamples < 100:
        raise InputError(f"--resamples {resamples}: at least 100 are needed for a 95% interval (10,000 is usual)")


def _ask(judge, requests: list, what: str) -> list:
    """All replies in one ask, with a progress bar on stderr advanced as each reply lands."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .evaluate import ask_all

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(what, total=len(requests))
        return ask_all(judge, requests, lambda index, reply: progress.advance(task))


def _close(judge) -> None:
    getattr(judge, "close", lambda: None)()


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    from .data import canonical_json

    return "".join(canonical_json(record) + "\n" for record in records).encode("utf-8")


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def write_reports(out: Path, files: dict[str, bytes], summary: dict[str, Any]) -> None:
    """Each file whole or absent (a temporary name renamed over it), summary.json last, listing every file's sha256."""
    import hashlib

    from .atomic import replaced, write_atomic

    summary["files"] = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
    for name, data in files.items():
        with replaced(out / name) as tmp:
            tmp.write_bytes(data)
    write_atomic(out / SUMMARY, _json(summary).decode("utf-8"))


def _interval(entry: dict[str, Any]) -> str:
    if entry["rate"] is None:
        return "-"
    low, high = entry["ci95"]
    return f"{entry['rate']:.1%} [{low:.1%}, {high:.1%}]"


# ---- pairwise ------------------------------------------------------------------------------------


@eval_app.command()
@reports_input_errors
def pairwise(
    model: Annotated[
        Path, typer.Argument(metavar="A.jsonl", help="Answers of the model under test (A), e.g. from lima-train generate.")
    ],
    baselines: Annotated[
        list[Path], typer.Argument(metavar="B.jsonl...", help="Answers of one or more baselines (B), to the same prompts.")
    ],
    out: Out,
    judge_url: JudgeUrl = None,
    judge_model: JudgeModel = None,
    judge_key_env: JudgeKeyEnv = "OPENAI_API_KEY",
    judge_hf: JudgeHf = None,
    judge_cache: JudgeCache = None,
    no_judge_cache: NoJudgeCache = False,
    concurrency: Concurrency = 4,
    judge_prompt: Annotated[str, typer.Option(help="A shipped judge prompt by name, or your own .toml file.")] = "pairwise-v1",
    resamples: Resamples = 10_000,
    seed: Seed = 0,
) -> None:
    """Compare A with each baseline on every prompt, LIMA's way: both answers in both orders; orders that disagree tie.

    Writes DIR/pairwise-NAME.jsonl per baseline (both verdicts with the judge's reasons), DIR/summary.json
    (A's win, tie and loss rates with bootstrap 95% intervals, unparsable and failed counts, provenance)
    and DIR/pairwise.png with DIR/pairwise.json, the numbers it draws. Exit 1 if no prompt got a verdict.
    """
    from .evaluate import (
        PAIRWISE_FIELDS,
        bootstrap_record,
        check_same_prompts,
        load_judge_prompt,
        pairwise_records,
        pairwise_requests,
        provenance,
        read_answers,
    )

    ours = read_answers(model)
    theirs = [read_answers(path) for path in baselines]
    names = [b.name for b in theirs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(f"baselines share a file name ({', '.join(repeated)}): reports are named after it; rename one")
    for baseline in theirs:
        check_same_prompts(ours, baseline)
    _check_bootstrap(resamples)
    prompt = load_judge_prompt(judge_prompt, PAIRWISE_FIELDS)
    _check_out(out)
    judge = _judge(out, judge_url, judge_model, judge_key_env, judge_hf, judge_cache, no_judge_cache, concurrency)
    try:
        all_records = []
        for baseline in theirs:
            replies = _ask(judge, pairwise_requests(prompt, ours, baseline), f"{ours.name} vs {baseline.name}")
            all_records.append(pairwise_records(prompt, ours, replies))
    finally:
        _close(judge)
    trace = {**provenance(judge, prompt), "bootstrap": bootstrap_record(resamples, seed)}
    _write_pairwise(out, ours, theirs, all_records, resamples, seed, trace)


def _write_pairwise(out: Path, ours, theirs, all_records, resamples: int, seed: int, trace: dict[str, Any]) -> None:
    from .eval_plots import pairwise_png
    from .evaluate import pairwise_summary

    files, entries, rows = {}, [], []
    for baseline, records in zip(theirs, all_records):
        report = f"pairwise-{baseline.name}.jsonl"
        files[report] = _jsonl(records)
        entry = {
            "name": baseline.name,
            "answers": baseline.record(),
            "report": report,
            **pairwise_summary(records, resamples, seed),
        }
        entries.append(entry)
        rows.append({"baseline": baseline.name, "n": entry["n"], **{k: entry[k]["rate"] for k in ("win", "tie", "loss")}})
    plotted = {"model": ours.name, "rows": rows, "png": "pairwise.png"}
    files["pairwise.png"] = pairwise_png(ours.name, rows)
    files["pairwise.json"] = _json(plotted)
    summary = {"kind": "pairwise", "model": {"name": ours.name, "answers": ours.record()}, "baselines": entries, **trace}
    out.mkdir(parents=True, exist_ok=True)
    write_reports(out, files, summary)
    from rich.table import Table

    table = Table(title=f"{ours.name} against each baseline (A's side; 95% bootstrap intervals)")
    for column in ("baseline", "n", "A wins", "tie", "A loses", "unparsable", "failed"):
        table.add_column(column, justify="left" if column == "baseline" else "right")
    for e in entries:
        table.add_row(
            e["name"], str(e["n"]), *(_interval(e[k]) for k in ("win", "tie", "loss")), str(e["unparsable"]), str(e["failed"])
        )
    Console().print(table)
    console.print(f"reports in {out}: {', '.join(sorted(files))}, {SUMMARY}")
    empty = [e["name"] for e in entries if e["n"] == 0]
    if empty:
        console.print(f"[bold red]error:[/] no prompt got a verdict in both orders against {', '.join(empty)}; see the reports")
        raise typer.Exit(1)


# ---- rate ----------------------------------------------------------------------------------------


@eval_app.command()
@reports_input_errors
def rate(
    answers_file: Annotated[Path, typer.Argument(metavar="ANSWERS", help="Answers to rate, e.g. from lima-train generate.")],
    out: Out,
    judge_url: JudgeUrl = None,
    judge_model: JudgeModel = None,
    judge_key_env: JudgeKeyEnv = "OPENAI_API_KEY",
    judge_hf: JudgeHf = None,
    judge_cache: JudgeCache = None,
    no_judge_cache: NoJudgeCache = False,
    concurrency: Concurrency = 4,
    judge_prompt: Annotated[str, typer.Option(help="A shipped judge prompt by name, or your own .toml file.")] = "rating-v1",
    resamples: Resamples = 10_000,
    seed: Seed = 0,
) -> None:
    """Rate every answer's helpfulness from 1 to 6 with LIMA's grading prompt (its ablations' measure).

    Writes DIR/ratings.jsonl (score, status and the judge's reasoning per prompt) and DIR/summary.json
    (mean with its bootstrap 95% interval, the distribution of scores, unparsable and failed counts,
    provenance). Exit 1 if no answer got a score.
    """
    from .evaluate import (
        RATING_FIELDS,
        bootstrap_record,
        ids_sha256,
        load_judge_prompt,
        provenance,
        rating_records,
        rating_requests,
        rating_summary,
        read_answers,
    )

    answers = read_answers(answers_file)
    _check_bootstrap(resamples)
    prompt = load_judge_prompt(judge_prompt, RATING_FIELDS)
    _check_out(out)
    judge = _judge(out, judge_url, judge_model, judge_key_env, judge_hf, judge_cache, no_judge_cache, concurrency)
    try:
        replies = _ask(judge, rating_requests(prompt, answers), f"rating {answers.name}")
    finally:
        _close(judge)
    records = rating_records(prompt, answers, replies)
    summary = {
        "kind": "rating",
        "answers": answers.record(),
        "ids_sha256": ids_sha256(answers),
        **rating_summary(records, resamples, seed),
        **provenance(judge, prompt),
        "bootstrap": bootstrap_record(resamples, seed),
    }
    out.mkdir(parents=True, exist_ok=True)
    write_reports(out, {"ratings.jsonl": _jsonl(records)}, summary)
    shares = ", ".join(f"{score}: {count}" for score, count in summary["distribution"].items())
    if summary["mean"] is not None:
        low, high = summary["ci95"]
        Console().print(
            f"{answers.name}: mean helpfulness {summary['mean']:.2f} [{low:.2f}, {high:.2f}] over n={summary['n']} ({shares})"
        )
    console.print(f"unparsable {summary['unparsable']}, failed {summary['failed']}; reports in {out}")
    if summary["mean"] is None:
        console.print(f"[bold red]error:[/] no answer got a score; see {out / 'ratings.jsonl'}")
        raise typer.Exit(1)


# ---- ablation ------------------------------------------------------------------------------------


@eval_app.command()
@reports_input_errors
def ablation(
    rated: Annotated[list[Path], typer.Argument(metavar="RATED_DIR", help="Folders written by `lima-train eval rate`.")],
    x: Annotated[str, typer.Option("--x", help="size: mean against set size (log axis); variant: one bar per set.")] = "size",
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The figure, a .png; the numbers it draws go beside it as .json.")
    ] = Path("ablation.png"),
    labels: Annotated[
        list[str] | None,
        typer.Option("--label", help="One per RATED_DIR, in order, instead of the card's total (size) or variant name."),
    ] = None,
    title: Annotated[
        str | None, typer.Option(help="Figure title [default: the judge, its prompt file and the prompts every run rated].")
    ] = None,
) -> None:
    """Plot rated runs' mean helpfulness with 95% intervals against set size or per variant (LIMA's ablation figures).

    Labels come from the card of the manifest each run trained on (its total, or its ablation variant),
    checked against the manifest's sha256 the answers record. Every run must have been rated by the same
    judge and prompt file over the same prompts.
    """
    from .atomic import replaced, write_atomic
    from .eval_plots import ablation_png
    from .evaluate import ablation_points, ablation_title, provenance_tool, read_rated_runs

    if x not in ("size", "variant"):
        raise InputError(f"--x {x!r}: expected size or variant")
    if out.suffix.lower() != ".png":
        raise InputError(f"{out}: --out names the figure, a .png file (its numbers go beside it as .json)")
    runs = read_rated_runs(rated)
    points = ablation_points(runs, x, labels or [])
    judge = runs[0].summary.get("judge", {})
    title = title or ablation_title(runs)
    png = ablation_png(points, x, title)
    data = out.with_suffix(".json")
    plotted = {"kind": "ablation", "x": x, "title": title, "points": points, "judge": judge, "png": out.name, **provenance_tool()}
    out.parent.mkdir(parents=True, exist_ok=True)
    with replaced(out) as tmp:
        tmp.write_bytes(png)
    write_atomic(data, _json(plotted).decode("utf-8"))
    for p in points:
        console.print(f"{p['label']}: {p['mean']:.2f} [{p['ci95'][0]:.2f}, {p['ci95'][1]:.2f}] (n={p['n']})", highlight=False)
    console.print(f"figure {out}, its numbers {data}")
