"""Start the training processes: in this process for one, DeepSpeed's launcher or torchrun for more.

Multi-node runs go through DeepSpeed's launcher and its hostfile (`host slots=N` per line); it starts
`python -m lima_train.run RUN_DIR/train_config.json` on every slot of every host.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .atomic import write_atomic
from .config import RunConfig
from .errors import InputError

LAUNCH_NOTE = "launch.json"
SHM_DIR = Path("/dev/shm")


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
        if not Path(config.hostfile).is_file():
            raise InputError(f"{config.hostfile}: hostfile not found")
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
