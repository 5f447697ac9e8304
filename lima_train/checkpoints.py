"""A run's checkpoints on disk: which are complete, which keep the optimizer state, where a resume starts.

Every epoch's checkpoint keeps its weights (any epoch can be exported); only the newest keeps the
optimizer state a resume needs. A checkpoint is complete once its sha256 record is written (after the
Trainer's trainer_state.json, see safe_load.py). A resume starts from the newest complete checkpoint,
checks its files against the record and for code in its pickles, and only then drops the metric
lines logged after it.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from .atomic import write_atomic
from .errors import InputError
from .model import has_full_weights, is_adapter
from .safe_load import RECORD, enforce_weights_only, forget_missing, verify_checkpoint

CHECKPOINTS = "checkpoints"
METRICS = "metrics.jsonl"
# What only a resume needs: DeepSpeed's optimizer and parameter shards, or the Trainer's optimizer.
RESUME_STATE_FILES = ("latest", "zero_to_fp32.py", "zero_to_torch.py", "optimizer.pt")


def checkpoints(run_dir: Path) -> list[Path]:
    """Complete checkpoints (the Trainer's trainer state, then lima-train's sha256 record, written last), oldest first."""
    return [path for path in _saved(run_dir) if (path / RECORD).is_file()]


def unfinished(run_dir: Path) -> list[Path]:
    """Checkpoints the Trainer finished but whose sha256 record was never written (a kill in between)."""
    return [path for path in _saved(run_dir) if not (path / RECORD).is_file()]


def _saved(run_dir: Path) -> list[Path]:
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
    forget_missing(checkpoint)
    return True


def prune_resume_state(run_dir: Path) -> None:
    """Keep the optimizer state of the newest complete checkpoint only: a resume needs no other."""
    for checkpoint in checkpoints(run_dir)[:-1]:
        if has_resume_state(checkpoint):
            drop_resume_state(checkpoint)


def resume_start(run_dir: Path, trim: bool) -> Path | None:
    """The checkpoint a resumed run continues from, checked; None when it was killed before the first.

    Every process calls this; `trim` marks process 0. Process 0 (or a process on its own) checks
    the checkpoint (sha256 record, then every torch file weights-only: safe_load.verify_checkpoint),
    and only when that passes drops the metric lines past it (all of them when there is none): the
    resumed run logs those steps again. The other processes of a distributed run wait for its
    verdict and leave quietly (exit 2) when it refused. From here on every torch.load of the process
    is weights-only, DeepSpeed's too.
    """
    enforce_weights_only()
    saved = checkpoints(run_dir)
    start = saved[-1] if saved else None
    world = _world_size()
    checks = trim or world == 1
    problem = None
    if checks:
        try:
            _check_start(run_dir, start)
        except InputError as error:
            problem = str(error)
    if world > 1:
        problem = _shared_verdict(problem)
    if problem is not None:
        if checks:
            raise InputError(problem)
        raise SystemExit(2)  # process 0 reports it, once
    if trim:
        trim_metrics(run_dir, checkpoint_step(start) if start else 0)
    return start


def _check_start(run_dir: Path, start: Path | None) -> None:
    cut_short = [path for path in unfinished(run_dir) if start is None or checkpoint_step(path) > checkpoint_step(start)]
    if cut_short:
        resumes = f"resuming from {start.name}" if start else "starting over"
        print(f"{cut_short[-1]}: saved without its sha256 record ({RECORD}; cut short); {resumes}", file=sys.stderr)
    if start is None:
        return
    if not has_resume_state(start):
        raise InputError(f"{start}: holds weights but no optimizer state to resume from; export it or start a new run")
    verify_checkpoint(start)


def _world_size() -> int:
    try:
        import torch.distributed as dist
    except ImportError:
        return 1
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def _shared_verdict(problem: str | None) -> str | None:
    """Process 0's verdict, sent to every process of a distributed run."""
    import torch.distributed as dist

    verdict = [problem]
    dist.broadcast_object_list(verdict, src=0)
    return verdict[0]


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
