"""One training process: HF Trainer + DeepSpeed ZeRO-3 with LIMA's recipe.

`python -m lima_train.run RUN_DIR/train_config.json` is what the launcher starts in every process;
`lima-train run` with one process calls `train()` directly. The Trainer's setup is in trainer.py,
its callbacks in callbacks.py, checkpoints and resume in checkpoints.py, the export in export.py.
The run directory holds:

    train_config.json      every setting, as resolved (defaults, config file, flags)
    deepspeed_config.json  the DeepSpeed config in use (generated, or the user's own)
    base-model/            the tiny model and tokenizer, for `--model tiny`
    lima_train.json        the prompt format and EOT token of the run's checkpoints
    checkpoints/checkpoint-STEP/   one per epoch: full weights (or LoRA adapter); the newest also
                                   keeps the optimizer state a resume needs
    generations/epoch-NN.jsonl     dev-set answers after each epoch
    metrics.jsonl          loss, learning rate and grad norm per step
    partition.json         how many parameters each rank holds
    tensorboard/           the Trainer's event files, with `--report-to tensorboard`
    final/                 the last checkpoint as a plain model (LoRA merged)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .atomic import write_atomic
from .callbacks import make_callbacks
from .checkpoints import resume_start
from .config import RunConfig, plan_batches, read_run_config
from .data import char_cap, dev_set_path, encode_manifest, read_manifest, read_prompts
from .errors import InputError
from .model import add_eot, load_tokenizer, prepare_for_training, write_recipe_note
from .trainer import deepspeed_config, make_trainer, training_arguments, weights_dtype

DEEPSPEED_CONFIG = "deepspeed_config.json"
TENSORBOARD = "tensorboard"


# ---- environment ----------------------------------------------------------------------------------


def single_process_env(port: int) -> dict[str, str]:
    """What torch.distributed needs when no launcher started this process."""
    return {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}


def prepare_environment() -> None:
    """Settings that must be in place before torch threads start or DeepSpeed is imported."""
    import warnings

    # DeepSpeed calls torch.distributed functions that torch has renamed; the warning repeats per step.
    warnings.filterwarnings("ignore", message=r"`torch\.distributed\.\w+` is deprecated", category=FutureWarning)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if "RANK" not in os.environ:
        for key, value in single_process_env(free_port()).items():
            os.environ.setdefault(key, value)
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    if not torch.cuda.is_available():
        os.environ.setdefault("DS_ACCELERATOR", "cpu")


def free_port() -> int:
    """A TCP port no process listens on now, for torch.distributed's rendezvous."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- the training process -------------------------------------------------------------------------


def encoded_dataset(config: RunConfig):
    """The base model's tokenizer with EOT added, its EOT id, and the manifest encoded for training.

    Raises when trimming to max_length leaves no example with an answer token to learn from.
    Returns (tokenizer, eot_id, examples, how many were dropped). Examples longer than the character
    cap are cut before tokenizing (data.char_cap) and said once, by process 0.
    """
    tokenizer = load_tokenizer(config.base_model)
    eot_id = add_eot(tokenizer, config.eot_token)
    cut: list[str] = []
    dataset, dropped = encode_manifest(read_manifest(Path(config.manifest)), tokenizer, eot_id, config.max_length, cut_ids=cut)
    if cut and os.environ.get("RANK", "0") == "0":
        print(
            f"{len(cut)} example(s) longer than {char_cap(config.max_length):,} characters cut before tokenizing", file=sys.stderr
        )
    if not dataset:
        raise InputError(
            f"{config.manifest}: all {dropped} example(s) keep no answer token after trimming "
            f"to max_length {config.max_length}; raise --max-length"
        )
    return tokenizer, eot_id, dataset, dropped


def train(config_path: Path, resume: bool = False) -> None:
    """Train with the settings saved in `config_path`; every process of a run calls this."""
    prepare_environment()
    import torch
    from transformers import AutoModelForCausalLM

    config = read_run_config(config_path)
    run_dir = Path(config.out)
    tokenizer, eot_id, dataset, dropped = encoded_dataset(config)
    if dropped and os.environ.get("RANK", "0") == "0":
        print(f"{dropped} example(s) keep no answer token after trimming to {config.max_length} tokens; skipped", file=sys.stderr)
    dev = dev_set_path(Path(config.manifest), config.dev)
    prompts = read_prompts(dev) if dev else []

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    plan = plan_batches(config.global_batch, world_size, config.micro_batch)
    ds_config = deepspeed_config(config, torch.cuda.is_available()) if config.deepspeed else None
    args = training_arguments(config, run_dir, plan.micro_batch, plan.grad_accum, ds_config)
    args.report_to = [] if config.report_to == "none" else [config.report_to]  # metrics.jsonl is written either way
    if ds_config is not None:
        # On a CPU the Trainer starts torch.distributed (gloo) but not DeepSpeed's own comm layer,
        # which ZeRO-3's partitioned loading asks for the world size.
        import deepspeed

        deepspeed.init_distributed(dist_backend="nccl" if args.n_gpu else "gloo")
    if args.world_size != plan.world_size:
        raise InputError(f"the Trainer sees {args.world_size} processes, the launcher {plan.world_size}")
    start = resume_start(run_dir, trim=args.process_index == 0) if resume else None
    if args.process_index == 0:
        write_recipe_note(run_dir, config, eot_id)
        if ds_config is not None:
            write_atomic(run_dir / DEEPSPEED_CONFIG, json.dumps(ds_config, indent=2, sort_keys=True) + "\n")

    model = AutoModelForCausalLM.from_pretrained(
        config.base_model,
        dtype=weights_dtype(ds_config is not None, args.bf16 or args.fp16),
        attn_implementation=config.attn_implementation,
    )
    model = prepare_for_training(model, tokenizer, config, eot_id)
    trainer = make_trainer(
        model, args, dataset, tokenizer, config.lr_end, make_callbacks(run_dir, config, tokenizer, eot_id, prompts, plan)
    )

    log_tensorboard_in(trainer, run_dir / TENSORBOARD)
    trainer.train(resume_from_checkpoint=str(start) if start else None)
    if ds_config is not None:
        # ZeRO-3's registration is process-wide: models loaded after training (the export in a
        # one-process run) must be built whole, not partitioned.
        from transformers.integrations.deepspeed import unset_hf_deepspeed_config

        unset_hf_deepspeed_config()


def log_tensorboard_in(trainer, directory: Path) -> None:
    """Point transformers' TensorBoard callback at RUN/tensorboard/ (its default is inside checkpoints/).

    A TENSORBOARD_LOGGING_DIR in the environment, which the callback reads itself, still wins.
    """
    from transformers.integrations import TensorBoardCallback

    for callback in trainer.callback_handler.callbacks:
        if isinstance(callback, TensorBoardCallback) and callback.logging_dir is None:
            callback.logging_dir = str(directory)


def main(argv: list[str] | None = None) -> None:
    """`python -m lima_train.run RUN_DIR/train_config.json [--resume]`: what every launched process runs."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        raise SystemExit("usage: python -m lima_train.run RUN_DIR/train_config.json [--resume]")
    try:
        train(Path(argv[0]), resume="--resume" in argv[1:])
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
