"""Start the training processes: in this process for one, DeepSpeed's launcher or torchrun for more.

Multi-node runs go through DeepSpeed's launcher and its hostfile (`host slots=N` per line); it starts
`python -m lima_train.run RUN_DIR/train_config.json` on every slot of every host. `check_start` runs
before the run folder is written: whatever it can know before a process starts (the batch split for
the process count, the model's architecture, the libraries the settings need, the encoded data)
fails there, in seconds, not after the folder exists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .atomic import write_atomic
from .config import BatchPlan, RunConfig, plan_batches
from .errors import InputError

LAUNCH_NOTE = "launch.json"
SHM_DIR = Path("/dev/shm")


def hostfile_slots(hostfile: Path) -> dict[str, int]:
    """The hosts of a DeepSpeed hostfile (`hostname slots=N` per line, `#` comments) and their slots."""
    if not hostfile.is_file():
        raise InputError(f"{hostfile}: hostfile not found")
    hosts: dict[str, int] = {}
    for line_no, line in enumerate(hostfile.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        host, _, slots = line.partition(" ")
        count = slots.strip().removeprefix("slots=")
        if not slots.strip().startswith("slots=") or not count.isdigit() or int(count) < 1 or host in hosts:
            raise InputError(f"{hostfile}:{line_no}: expected 'hostname slots=N' (N >= 1, each host once), got {line!r}")
        hosts[host] = int(count)
    if not hosts:
        raise InputError(f"{hostfile}: lists no host")
    return hosts


def world_size(config: RunConfig) -> int:
    """How many training processes the launch will start: `nproc`, or the hostfile's slots.

    With a hostfile, `nproc` above 1 becomes DeepSpeed's `--num_gpus`, which gives every host that
    many processes whatever its slots (deepspeed.launcher.runner.apply_num_nodes_and_gpus).
    """
    if not config.hostfile:
        return config.nproc
    hosts = hostfile_slots(Path(config.hostfile))
    return len(hosts) * config.nproc if config.nproc > 1 else sum(hosts.values())


def check_start(config: RunConfig) -> BatchPlan:
    """Check everything a run can check before its folder is written or a process starts; returns the batch split.

    Raises InputError naming the setting or the file: a global batch that does not split over the
    processes, a hostfile, DeepSpeed or a logger that is missing, the user's DeepSpeed config, a base
    model that is no causal LM or whose decoder layers the residual dropout cannot find, a
    max_length beyond its positions, LoRA targets it lacks, and the manifest as it encodes for it.
    """
    from .run import encoded_dataset

    plan = check_settings(config)
    check_model(Path(config.base_model or config.model), config)
    encoded_dataset(config)  # an EOT that clashes, or nothing left to train on, fails here, not in every process
    return plan


def check_settings(config: RunConfig) -> BatchPlan:
    """The part of `check_start` that needs no base model: run first, before a tiny one is built."""
    plan = plan_batches(config.global_batch, world_size(config), config.micro_batch)
    import torch

    if not torch.cuda.is_available():  # the checks below may import DeepSpeed: tell it what the workers will
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
    from transformers.integrations import is_tensorboard_available, is_wandb_available

    if config.deepspeed:
        import importlib.util

        from .trainer import deepspeed_config

        if importlib.util.find_spec("deepspeed") is None:
            raise InputError("deepspeed is not installed: pip install deepspeed, or train without it (--no-deepspeed)")
        deepspeed_config(config, torch.cuda.is_available())  # the user's file: found, valid JSON, a stage that fits
    installed = {"tensorboard": is_tensorboard_available, "wandb": is_wandb_available}
    if config.report_to in installed and not installed[config.report_to]():
        package = "tensorboard" if config.report_to == "tensorboard" else "wandb"
        raise InputError(f"--report-to {config.report_to} needs {package} installed (pip install {package})")
    return plan


def check_model(model_dir: Path, config: RunConfig) -> None:
    """Refuse a base model lima-train cannot train, from its config alone (built on the meta device, no weights).

    It must be a causal LM (AutoModelForCausalLM has a class for it), have at least `max_length`
    positions, decoder layers with `self_attn` and `mlp` for LIMA's residual dropout, the LoRA
    target modules of a LoRA run, and an attention implementation transformers can use.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    from .model import apply_residual_dropout

    where = model_dir / "config.json"
    if not where.is_file():
        raise InputError(
            f"{model_dir}: not a local Hugging Face model directory (no config.json); lima-train never downloads models"
        )
    try:
        model_config = AutoConfig.from_pretrained(model_dir)
    except (OSError, ValueError, KeyError) as error:
        raise InputError(f"{where}: not a model config transformers can read: {_first_line(error)}") from None
    if model_config.model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        raise InputError(
            f"{where}: model_type {model_config.model_type!r} is not a causal language model "
            "(AutoModelForCausalLM has no class for it); lima-train trains decoder-only LMs"
        )
    limit = getattr(model_config, "max_position_embeddings", None)
    if isinstance(limit, int) and config.max_length > limit:
        raise InputError(
            f"{where}: the model has {limit} positions (max_position_embeddings); "
            f"max_length {config.max_length} exceeds them (--max-length)"
        )
    try:
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(model_config, attn_implementation=config.attn_implementation)
    except (ImportError, ValueError) as error:
        raise InputError(f"{where}: attn_implementation {config.attn_implementation!r}: {_first_line(error)}") from None
    try:
        apply_residual_dropout(model, 0.0)
    except InputError as error:
        raise InputError(f"{where}: {error}") from None
    except AttributeError:
        raise InputError(
            f"{where}: {type(model).__name__}'s decoder layers have no self_attn and mlp for LIMA's residual dropout"
        ) from None
    if config.lora:
        names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
        missing = [target for target in config.lora_targets if target not in names]
        if missing:
            raise InputError(f"{where}: {type(model).__name__} has no module named {', '.join(missing)} (lora_targets)")


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def launch_command(config: RunConfig, config_path: Path, resume: bool, port: int) -> list[str]:
    """The launcher command line for a multi-process run."""
    worker = ["lima_train.run", str(config_path)] + (["--resume"] if resume else [])
    if config.launcher == "torchrun" and not config.hostfile:
        return [
            sys.executable,
            "-m",
            "torch.distributed.run",
            f"--nproc_per_node={config.nproc}",
            "--master_addr=127.0.0.1",
            f"--master_port={port}",
            "-m",
        ] + worker
    command = [sys.executable, "-m", "deepspeed.launcher.runner", f"--master_port={port}", "--no_local_rank", "--module"]
    if config.hostfile:
        hostfile_slots(Path(config.hostfile))
        command.append(f"--hostfile={config.hostfile}")
        if config.nproc > 1:
            command.append(f"--num_gpus={config.nproc}")
    else:
        command.append(f"--num_gpus={config.nproc}")
    return command + worker


def worker_env(on_gpu: bool) -> dict[str, str]:
    """The environment every training process starts with."""
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    if not on_gpu:
        env.setdefault("DS_ACCELERATOR", "cpu")
    package_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


def shm_buffers(port: int) -> list[Path]:
    """DeepSpeed's CPU all-reduce buffers of the processes that met on `port`.

    Its shared-memory comm op never unlinks them (66 MB per rank), so the launching process does.
    """
    return sorted(SHM_DIR.glob(f"deepspeed_allreduce_buffer_{os.getuid()}_*_{port}_*"))


def remove_shm_buffers(port: int) -> None:
    """Delete the buffers `shm_buffers` finds: after a run, and before one that follows a killed attempt."""
    for path in shm_buffers(port):
        path.unlink(missing_ok=True)


def previous_port(run_dir: Path) -> int | None:
    """The master port the last launch in `run_dir` used (its buffers may be left), or None."""
    path = run_dir / LAUNCH_NOTE
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["master_port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def run_training(config: RunConfig, config_path: Path, resume: bool) -> None:
    """Train to the end; raises InputError naming the exit status if a process failed."""
    from .run import free_port, train

    if config.nproc == 1 and not config.hostfile:
        train(config_path, resume=resume)
        return
    import torch

    run_dir = Path(config.out)
    stale = previous_port(run_dir)
    if stale is not None:  # left by an attempt that was killed
        remove_shm_buffers(stale)
    port = config.master_port or free_port()
    write_atomic(run_dir / LAUNCH_NOTE, json.dumps({"master_port": port}) + "\n")
    command = launch_command(config, config_path, resume, port)
    process = subprocess.Popen(command, env=worker_env(torch.cuda.is_available()))
    try:
        status = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()
        raise
    finally:
        remove_shm_buffers(port)
    if status != 0:
        raise InputError(f"training processes exited with status {status} (command: {' '.join(command)})")
