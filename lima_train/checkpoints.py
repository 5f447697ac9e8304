"""A run's checkpoints on disk: which are complete, which keep the optimizer state, where a resume starts.

Every epoch's checkpoint keeps its weights (any epoch can be exported); only the newest keeps the
optimizer state a resume needs. A resume starts from the newest complete checkpoint and drops the
metric lines logged after it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .atomic import write_atomic
from .errors import InputError
from .model import has_full_weights, is_adapter

CHECKPOINTS = "checkpoints"
METRICS = "metrics.jsonl"
# What only a resume needs: DeepSpeed's optimizer and parameter shards, or the Trainer's optimizer.
RESUME_STATE_FILES = ("latest", "zero_to_fp32.py", "optimizer.pt")


def checkpoints(run_dir: Path) -> list[Path]:
    """Complete checkpoints (their trainer state written last), oldest first."""
    found = []
    for path in (run_dir / CHECKPOINTS).glob("checkpoint-*"):
        step = path.name.removeprefix("checkpoint-")
        if step.isdigit() and (path / "trainer_state.json").is_file():
            found.append((int(step), path))
    return [path for _, path in sorted(found)]


def checkpoint_step(checkpoint: Path) -> int:
    """The optimizer step a checkpoint was saved at, from its name."""
    return int(checkpoint.name.removeprefix("checkpoint-"))


def has_resume_state(checkpoint: Path) -> bool:
    """Whether the checkpoint still holds optimizer state (DeepSpeed's shards or the Trainer's) to resume from."""
    return any(path.is_dir() for path in checkpoint.glob("global_step*")) or (checkpoint / "optimizer.pt").is_file()


def drop_resume_state(checkpoint: Path) -> bool:
    """Delete a checkpoint's optimizer state and keep its weights, so it can still be exported.

    A checkpoint whose weights live only in DeepSpeed's shards (a ZeRO-3 config without 16-bit
    gathering) keeps everything; returns whether anything was dropped.
    """
    if not (has_full_weights(checkpoint) or is_adapter(checkpoint)):
        return False
    for path in checkpoint.glob("global_step*"):
        if path.is_dir():
            shutil.rmtree(path)
    for name in RESUME_STATE_FILES:
        (checkpoint / name).unlink(missing_ok=True)
    return True


def prune_resume_state(run_dir: Path) -> None:
    """Keep the optimizer state of the newest complete checkpoint only: a resume needs no other."""
    for checkpoint in checkpoints(run_dir)[:-1]:
        if has_resume_state(checkpoint):
            drop_resume_state(checkpoint)


def resume_start(run_dir: Path, trim: bool) -> Path | None:
    """The checkpoint a resumed run continues from; None when it was killed before the first.

    With `trim` (process 0), metric lines past that checkpoint are dropped (all of them when there
    is none): the resumed run logs those steps again.
    """
    saved = checkpoints(run_dir)
    start = saved[-1] if saved else None
    if start is not None and not has_resume_state(start):
        raise InputError(f"{start}: holds weights but no optimizer state to resume from; export it or start a new run")
    if trim:
        trim_metrics(run_dir, checkpoint_step(start) if start else 0)
    return start


def trim_metrics(run_dir: Path, last_step: int) -> None:
    """Drop metric lines past `last_step`, and a last line cut short by a kill."""
    path = run_dir / METRICS
    if not path.is_file():
        return
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = []
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            if line_no == len(lines) and not line.endswith("\n"):
                continue  # the process was killed while writing it
            raise InputError(f"{path}:{line_no}: not valid JSON") from None
        if record.get("step", 0) <= last_step:
            kept.append(line)
    write_atomic(path, "".join(kept))
