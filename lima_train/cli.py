"""`lima-train`: fine-tune a LLaMA-architecture model on a LIMA manifest, and sample from it.

Only arguments and output live here; the work is in config, data, model, launch, run (with trainer,
callbacks, checkpoints), export and generate. torch, transformers, deepspeed and pydantic (the
settings) load inside the commands, so `--help` is instant.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from .cli_eval import eval_app
from .data import canonical_json, dev_set_path, file_sha256, read_manifest, read_prompts
from .errors import InputError, reports_input_errors

if TYPE_CHECKING:
    from .config import RunConfig

app = typer.Typer(
    help="Fine-tune a LLaMA-architecture model on a LIMA manifest (DeepSpeed ZeRO-3) and sample from it.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",  # rich markup would drop bracketed help text such as "[default: ...]"
)
console = Console(stderr=True)

BASE_MODEL_DIR = "base-model"


@app.command()
@reports_input_errors
def run(
    manifest: Annotated[Path, typer.Argument(help="manifest.jsonl (dev.jsonl beside it is the dev set).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory: settings, checkpoints, generations.")],
    model: Annotated[
        str | None,
        typer.Option(
            help="Local Hugging Face LLaMA-architecture model directory, or "
            "'tiny' for a tiny random model with a tokenizer trained on the "
            "manifest [default: the config's model, else tiny]."
        ),
    ] = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="JSON or TOML file of settings (names as in train_config.json).")
    ] = None,
    assignments: Annotated[
        list[str] | None, typer.Option("--set", help="Any setting as KEY=VALUE (repeatable), e.g. --set gen_max_new_tokens=256.")
    ] = None,
    dev: Annotated[
        Path | None, typer.Option(help="Dev prompts for per-epoch generations [default: dev.jsonl beside the manifest, if any].")
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs [LIMA: 15].")] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="Peak learning rate [LIMA: 1e-5].")] = None,
    lr_end: Annotated[float | None, typer.Option(help="Final learning rate [LIMA: 1e-6].")] = None,
    weight_decay: Annotated[float | None, typer.Option(help="AdamW weight decay [LIMA: 0.1].")] = None,
    global_batch: Annotated[int | None, typer.Option(help="Examples per optimizer step over all processes [LIMA: 32].")] = None,
    micro_batch: Annotated[
        int | None,
        typer.Option(
            help="Examples per process per forward pass, packed into rows no longer than the longest; an epoch's "
            "short last step deals fewer [default: largest of 8/4/2/1 that divides]."
        ),
    ] = None,
    max_length: Annotated[int | None, typer.Option(help="Trim sequences to this many tokens [LIMA: 2048].")] = None,
    top_dropout: Annotated[
        float | None, typer.Option(help="Residual dropout at the top layer [LIMA: 0.3 for >= 30B parameters, else 0.2].")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for data order, dropout and sampling [42].")] = None,
    lora: Annotated[
        bool | None, typer.Option("--lora/--full", help="Train a LoRA adapter (merged on export) instead of every weight.")
    ] = None,
    nproc: Annotated[int | None, typer.Option(help="Processes per node (GPUs, or CPU processes).")] = None,
    hostfile: Annotated[Path | None, typer.Option(help="DeepSpeed hostfile for several nodes.")] = None,
    launcher: Annotated[str | None, typer.Option(help="deepspeed or torchrun (one node only).")] = None,
    deepspeed_config: Annotated[
        Path | None, typer.Option(help="Your own DeepSpeed JSON config instead of the generated one.")
    ] = None,
    zero_stage: Annotated[int | None, typer.Option(help="ZeRO stage of the generated config [3].")] = None,
    use_deepspeed: Annotated[
        bool | None, typer.Option("--deepspeed/--no-deepspeed", help="Train through DeepSpeed [on].")
    ] = None,
    report_to: Annotated[
        str | None,
        typer.Option(
            help="Where the Trainer also logs: none, tensorboard (event files in OUT/tensorboard/) or wandb "
            "(its WANDB_* environment applies) [default: none]; metrics.jsonl is written either way."
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue the run in --out from its last checkpoint, with its saved settings.")
    ] = False,
) -> None:
    """Fine-tune on MANIFEST with LIMA's recipe; every setting lands in OUT/train_config.json."""
    flags = {
        "dev": str(dev.resolve()) if dev else None,
        "epochs": epochs,
        "learning_rate": lr,
        "lr_end": lr_end,
        "weight_decay": weight_decay,
        "global_batch": global_batch,
        "micro_batch": micro_batch,
        "max_length": max_length,
        "top_dropout": top_dropout,
        "seed": seed,
        "lora": lora,
        "nproc": nproc,
        "hostfile": str(hostfile.resolve()) if hostfile else None,
        "launcher": launcher,
        "deepspeed_config": str(deepspeed_config.resolve()) if deepspeed_config else None,
        "zero_stage": zero_stage,
        "deepspeed": use_deepspeed,
        "model": model,
        "report_to": report_to,
    }
    manifest = manifest.resolve()
    out = out.resolve()
    if resume:
        config = _resumed_config(manifest, out, flags, config_file, assignments)
    else:
        config = _new_run(manifest, out, flags, config_file, assignments)
    from .checkpoints import checkpoints
    from .config import CONFIG_NAME
    from .export import FINAL, export_checkpoint
    from .launch import run_training

    console.print(f"training on {config.nproc} process(es) per node; settings in {out / CONFIG_NAME}")
    run_training(config, out / CONFIG_NAME, resume=resume)
    saved = checkpoints(out)
    if not saved:
        raise InputError(f"{out}: training ended without a checkpoint")
    final = export_checkpoint(saved[-1], out / FINAL)
    _print_summary(out, saved, final)


def _new_run(manifest: Path, out: Path, flags: dict, config_file, assignments) -> RunConfig:
    """Check everything, then write the run folder: a start that fails leaves `out` as it was (or absent)."""
    from .config import CONFIG_NAME, build_config, load_config_file, parse_assignments, save_config
    from .launch import check_settings, check_start

    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a directory (--out)")
    if (out / CONFIG_NAME).exists():
        raise InputError(f"{out}: already holds a run ({CONFIG_NAME}); pass --resume to continue it, or choose another --out")
    file_settings = load_config_file(config_file) if config_file else {}
    config = build_config(
        file_settings, parse_assignments(assignments or []), flags, {"manifest": str(manifest), "out": str(out)}
    )
    examples = read_manifest(manifest)
    config.manifest_sha256 = file_sha256(manifest)
    check_card(manifest, len(examples), config.manifest_sha256)
    dev = dev_set_path(manifest, config.dev)
    if dev:
        config.dev = str(dev)
        read_prompts(dev)
    check_settings(config)
    with tempfile.TemporaryDirectory(prefix="lima-train-start-") as staging:
        # a tiny base is built aside and moved in only once every check has passed
        config.base_model = _base_model(config.model, examples, Path(staging) / BASE_MODEL_DIR, config)
        check_start(config)
        out.mkdir(parents=True, exist_ok=True)
        if config.model == "tiny":
            target = out / BASE_MODEL_DIR
            if target.exists():  # left by a start that failed before lima-train checked first
                shutil.rmtree(target)
            shutil.move(config.base_model, target)
            config.base_model = str(target)
        save_config(config, out)
    return config


def _base_model(model: str, examples, tiny_dir: Path, config: RunConfig) -> str:
    """The base model's directory: the user's (never downloaded), or a tiny one built into `tiny_dir`."""
    if model != "tiny":
        path = Path(model).resolve()
        if not (path / "config.json").is_file():
            raise InputError(
                f"{model}: not a local Hugging Face model directory (no config.json); lima-train never downloads models"
            )
        return str(path)
    from .model import build_tiny_model

    console.print("building a tiny random LLaMA and a tokenizer trained on the manifest")
    texts = [content for example in examples for _, content in example.messages]
    return str(build_tiny_model(texts, tiny_dir, config, config.seed))


def check_card(manifest: Path, examples: int, sha256: str) -> None:
    """A lima-curate card beside the manifest (manifest.card.json) must describe this manifest: its digest and total."""
    card_path = manifest.with_name(f"{manifest.stem}.card.json")
    if not card_path.is_file():
        return
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise InputError(f"{card_path}: not valid JSON: {error}") from None
    if not isinstance(card, dict):
        raise InputError(f"{card_path}: expected a JSON object (a lima-curate card)")
    if card.get("digest") not in (None, sha256):
        raise InputError(
            f"{card_path}: its digest is not {manifest.name}'s sha256 (the manifest changed after the card was written)"
        )
    if isinstance(card.get("total"), int) and card["total"] != examples:
        raise InputError(f"{card_path}: total {card['total']} but {manifest.name} holds {examples} examples")


def _resumed_config(manifest: Path, out: Path, flags: dict, config_file, assignments) -> RunConfig:
    from .config import CONFIG_NAME, read_run_config

    given = sorted(name for name, value in flags.items() if value is not None)
    if given or config_file or assignments:
        raise InputError(
            f"--resume continues with the settings in {out / CONFIG_NAME}; drop {', '.join(given) or '--config/--set'}"
        )
    config = read_run_config(out)
    if Path(config.manifest) != manifest:
        raise InputError(f"{manifest}: this run was trained on {config.manifest}")
    if file_sha256(manifest) != config.manifest_sha256:
        raise InputError(f"{manifest}: changed since the run started (sha256 differs); start a new run")
    from .launch import check_start

    check_start(config)  # e.g. a hostfile with other slots: refused before the metrics are trimmed
    return config  # the checkpoint itself is checked once, by process 0 in checkpoints.resume_start


def _print_summary(out: Path, saved: list[Path], final: Path) -> None:
    from .callbacks import GENERATIONS
    from .checkpoints import METRICS

    metrics = out / METRICS
    lines = metrics.read_text(encoding="utf-8").splitlines() if metrics.is_file() else []
    losses = [record for record in map(json.loads, filter(str.strip, lines)) if "loss" in record]
    table = Table(title=f"lima-train run: {out}", show_header=False)
    if losses:
        table.add_row("steps", str(losses[-1]["step"]))
        table.add_row("loss (first -> last step)", f"{losses[0]['loss']:.4f} -> {losses[-1]['loss']:.4f}")
    table.add_row("checkpoints", ", ".join(path.name for path in saved))
    generations = sorted((out / GENERATIONS).glob("epoch-*.jsonl"))
    table.add_row("dev generations", f"{len(generations)} files in {out / GENERATIONS}" if generations else "none (no dev set)")
    table.add_row("final model", str(final))
    Console().print(table)


@app.command()
@reports_input_errors
def generate(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint or final/ directory of a lima-train run.")],
    prompts: Annotated[
        Path,
        typer.Option(
            help="JSONL prompts: manifest lines (test.jsonl, dev.jsonl; a trailing assistant message is a reference and "
            'is dropped), GAIR/lima lines ({"conversations": [...]}) or {"prompt": ...} / {"id": ..., "prompt": ...}.'
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write answers here, resumably: rerun the same command to continue a stopped run [default: stdout, "
            "not resumable].",
        ),
    ] = None,
    max_new_tokens: Annotated[int | None, typer.Option(help="Most tokens per answer.")] = None,
    top_p: Annotated[float | None, typer.Option(help="Nucleus sampling.")] = None,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
    repetition_penalty: Annotated[float | None, typer.Option(help="Repetition penalty.")] = None,
    greedy: Annotated[bool | None, typer.Option("--greedy/--sample", help="Greedy decoding instead of sampling.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Prompts per generate call.")] = None,
    seed: Annotated[int, typer.Option(help="Sampling seed (each batch draws from it and its prompt ids).")] = 0,
    restart: Annotated[
        bool, typer.Option("--restart", help="Discard the answers a stopped run left for --out (.OUT.partial) and start over.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
) -> None:
    """Answer every prompt in a file with a trained checkpoint; stops each answer at EOT.

    Decoding defaults to what the checkpoint was saved with (its generation_config.json, else its
    run's settings, else LIMA's: top-p 0.9, temperature 0.7, repetition penalty 1.2); flags override.
    With --out, answers are kept batch by batch in .OUT.partial beside it and OUT appears, in the
    prompt file's order, only once every prompt is answered; a rerun with other settings is refused
    (--restart starts over).
    """
    from dataclasses import replace

    from .generate import generate_answers, saved_decoding

    if not checkpoint.is_dir():
        raise InputError(f"{checkpoint}: checkpoint directory not found")
    examples = read_prompts(prompts)
    if out is not None and out.resolve() == prompts.resolve():
        raise InputError(f"{out}: is the prompt file; choose another --out")
    if out is not None and out.is_dir():
        raise InputError(f"{out}: is a directory; --out names the answers file")
    decoding, max_length = saved_decoding(checkpoint, seed)
    flags = {
        "max_new_tokens": max_new_tokens,
        "top_p": top_p,
        "temperature": temperature,
        "repetition_penalty": repetition_penalty,
        "greedy": greedy,
        "batch_size": batch_size,
    }
    decoding = replace(decoding, **{name: value for name, value in flags.items() if value is not None})
    if decoding.max_new_tokens < 1 or decoding.batch_size < 1:
        raise InputError("--max-new-tokens and --batch-size must be at least 1")
    records, resumed = generate_answers(checkpoint, prompts, examples, decoding, max_length, out, restart, quiet)
    if out and not quiet:
        fresh = len(records) - resumed
        console.print(f"{len(records)} answers written to {out}" + (f" ({fresh} answered in this run)" if resumed else ""))
    elif not out:
        for record in records:
            typer.echo(canonical_json(record))


@app.command()
@reports_input_errors
def export(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint directory of a lima-train run.")],
    out: Annotated[Path, typer.Argument(help="Directory for the plain Hugging Face model.")],
) -> None:
    """Write a checkpoint (e.g. the epoch you chose) as a plain model: LoRA merged, no optimizer state.

    OUT must be new, empty, or an earlier export (which is replaced); it may not hold the checkpoint.
    """
    from .export import export_checkpoint

    if not checkpoint.is_dir():
        raise InputError(f"{checkpoint}: checkpoint directory not found")
    console.print(f"exported to {export_checkpoint(checkpoint, out)}")


app.add_typer(eval_app, name="eval")


def main() -> None:
    """The `lima-train` console script."""
    app()


if __name__ == "__main__":
    main()
