"""Checkpoint files are data, never code: weights-only loading and a sha256 record of every file.

A pickle can name any Python callable, so `torch.load(weights_only=False)` on a crafted file runs
what it names. The Trainer already loads its own files weights-only; DeepSpeed does not (its
`*_states.pt` shards are opened with `weights_only=False`). Before a resume, lima-train therefore:

- checks every file of the checkpoint against the sha256 recorded when it was saved
  (`lima_train_sha256.json`, written after the checkpoint was complete);
- checks every torch file it will load for Python objects beyond tensors and the few types the
  Trainer's and DeepSpeed's states hold (`ALLOWED`), and reads it weights-only;
- makes every later `torch.load` of the process weights-only (`enforce_weights_only`), DeepSpeed's
  included, with those types allowed.

Each problem is an InputError naming the file. torch is imported inside the functions.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .atomic import write_atomic
from .errors import InputError

RECORD = "lima_train_sha256.json"
# Torch files a resume loads (the Trainer's RNG, optimizer, scheduler and scaler state; DeepSpeed's
# shards). training_args.bin is a pickled TrainingArguments that a resume never loads.
TORCH_SUFFIXES = (".pt", ".pth", ".bin")
NEVER_LOADED = ("training_args.bin",)
# Types beyond tensors that the states hold (found with torch.serialization.get_unsafe_globals_in_checkpoint
# on DeepSpeed's ZeRO shards and the Trainer's rng_state.pth): DeepSpeed's loss scalers and ZeRO stage
# enum, numpy's arrays and dtypes in the RNG state (as transformers' own safe_globals allows).
ALLOWED = (
    "deepspeed.runtime.fp16.loss_scaler.LossScaler",
    "deepspeed.runtime.fp16.loss_scaler.DynamicLossScaler",
    "deepspeed.runtime.zero.config.ZeroStageEnum",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.dtypes.UInt32DType",
    "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray._reconstruct",
)
_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def checkpoint_files(checkpoint: Path) -> list[Path]:
    """Every file of a checkpoint (sub-folders included) except its own record, sorted."""
    return sorted(path for path in checkpoint.rglob("*") if path.is_file() and path.name != RECORD)


def record_checksums(checkpoint: Path) -> Path:
    """Write the size and sha256 of every file of a complete checkpoint to its record, atomically.

    Files are hashed in threads (hashlib releases the GIL), so large optimizer shards take disk time, not one core's.
    """
    files = checkpoint_files(checkpoint)
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        digests = list(pool.map(sha256_of, files))
    entries = {
        path.relative_to(checkpoint).as_posix(): {"bytes": path.stat().st_size, "sha256": digest}
        for path, digest in zip(files, digests)
    }
    return _write_record(checkpoint, entries)


def forget_missing(checkpoint: Path) -> None:
    """Drop the record's entries for files deleted on purpose (older checkpoints' optimizer state)."""
    entries = read_record(checkpoint)
    if entries is not None:
        _write_record(checkpoint, {name: entry for name, entry in entries.items() if (checkpoint / name).is_file()})


def _write_record(checkpoint: Path, entries: dict) -> Path:
    path = checkpoint / RECORD
    write_atomic(path, json.dumps({"algorithm": "sha256", "files": entries}, indent=2, sort_keys=True) + "\n")
    return path


def read_record(checkpoint: Path) -> dict | None:
    """The recorded {relative path: {bytes, sha256}} of a checkpoint, or None when it has no record."""
    path = checkpoint / RECORD
    if not path.is_file():
        return None
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(f"{path}: damaged checksum record ({error.__class__.__name__}: {error})") from None
    if not isinstance(files, dict):
        raise InputError(f"{path}: damaged checksum record (no table of files)")
    return files


def verify_checksums(checkpoint: Path) -> None:
    """Refuse a checkpoint whose files differ from its record: missing, another size, another sha256."""
    entries = read_record(checkpoint)
    if entries is None:
        raise InputError(f"{checkpoint / RECORD}: missing; cannot check the checkpoint's files")
    for name, entry in sorted(entries.items()):
        path = checkpoint / name
        if not path.is_file():
            raise InputError(f"{path}: missing; it was recorded when the checkpoint was saved, so the checkpoint is damaged")
        size = path.stat().st_size
        if size != entry.get("bytes"):
            raise InputError(f"{path}: damaged: {size:,} bytes, {entry.get('bytes'):,} when it was saved")
        if sha256_of(path) != entry.get("sha256"):
            raise InputError(f"{path}: damaged: its sha256 differs from the one recorded when it was saved")


def torch_files(checkpoint: Path) -> list[Path]:
    """The torch pickles of a checkpoint that a resume loads."""
    return [path for path in checkpoint_files(checkpoint) if path.suffix in TORCH_SUFFIXES and path.name not in NEVER_LOADED]


def check_weights_only(path: Path) -> None:
    """Refuse a torch file that names any callable or class beyond tensors and `ALLOWED`, or that torch cannot read."""
    import torch

    allowed = allowed_globals()
    try:
        with torch.serialization.safe_globals(allowed):
            named = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    except Exception as error:  # a truncated or empty file is no zip archive torch can open
        raise InputError(f"{path}: damaged: torch cannot read it ({_first_line(error)})") from None
    if named:
        raise InputError(
            f"{path}: refused: loading it would call {', '.join(sorted(named))}; "
            "a checkpoint holds tensors and DeepSpeed's state types only"
        )
    try:
        with torch.serialization.safe_globals(allowed):
            torch.load(str(path), map_location="cpu", weights_only=True, mmap=True)
    except Exception as error:
        raise InputError(f"{path}: damaged or refused: torch cannot load it weights-only ({_first_line(error)})") from None


def verify_checkpoint(checkpoint: Path) -> None:
    """Everything a resume checks before it loads or changes anything: checksums, then weights-only torch files."""
    verify_checksums(checkpoint)
    for path in torch_files(checkpoint):
        check_weights_only(path)


def allowed_globals() -> list:
    """The `ALLOWED` types that import here (DeepSpeed's only where it is installed)."""
    import importlib

    found = []
    for name in ALLOWED:
        module, _, attribute = name.rpartition(".")
        try:
            found.append(getattr(importlib.import_module(module), attribute))
        except (ImportError, AttributeError):
            continue
    return found


def enforce_weights_only() -> None:
    """Make every later `torch.load` of this process weights-only, with `ALLOWED` types permitted.

    DeepSpeed loads its shards with `weights_only=False`; this overrides that argument, so a file
    that changed after `verify_checkpoint` still cannot run code. Safe to call more than once.
    """
    import torch

    if getattr(torch.load, "_lima_weights_only", False):
        return
    original, allowed = torch.load, allowed_globals()

    def load(*args, **kwargs):
        kwargs["weights_only"] = True
        # Per call, not add_safe_globals once: leaving any `safe_globals` context (transformers' own,
        # around its RNG load) removes the types it listed from torch's process-wide allowlist.
        with torch.serialization.safe_globals(allowed):
            return original(*args, **kwargs)

    load._lima_weights_only = True
    torch.load = load


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{error.__class__.__name__}: {text[0]}" if text else error.__class__.__name__
