"""`lima-train run --resume` on a damaged or crafted checkpoint: one line naming the file, exit 2, nothing run or trimmed.

One real one-process DeepSpeed run (tiny model, one epoch, 2 steps) is made once; each test damages
one file of its checkpoint in place, resumes through the command line as a user would, and puts the
file back.
"""

from __future__ import annotations

import contextlib
import json

import pytest
from train_helpers import lima_train, write_manifest

pytest.importorskip("deepspeed")
pytestmark = pytest.mark.slow

SETTINGS = ["--model", "tiny", "--epochs", "1", "--global-batch", "8", "--max-length", "64", "--lr", "1e-2"]


class RunsCode:
    """Unpickling this runs a shell command: what a crafted `*_states.pt` holds."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume-safety")
    manifest = write_manifest(root / "data", examples=16, dev_prompts=2)
    out = root / "run"
    done = lima_train("run", manifest, "--out", out, *SETTINGS, "--set", "gen_max_new_tokens=8")
    assert done.returncode == 0, done.stderr[-3000:]
    checkpoint = out / "checkpoints" / "checkpoint-2"
    assert (checkpoint / "lima_train_sha256.json").is_file()
    return manifest, out, checkpoint


@contextlib.contextmanager
def put_back(*paths):
    saved = {path: path.read_bytes() for path in paths}
    try:
        yield
    finally:
        for path, data in saved.items():
            path.write_bytes(data)


def resume(manifest, out):
    """Resume; returns the exit code, the lines starting with `error:`, and the whole stderr."""
    result = lima_train("run", manifest, "--out", out, "--resume")
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return result.returncode, errors, result.stderr


def test_a_crafted_states_file_is_refused_and_its_command_never_runs(run, tmp_path):
    import torch

    from lima_train.safe_load import record_checksums

    manifest, out, checkpoint = run
    shard = next(checkpoint.glob("global_step2/*optim_states.pt"))
    record = checkpoint / "lima_train_sha256.json"
    metrics = (out / "metrics.jsonl").read_bytes()
    marker = tmp_path / "ran"
    with put_back(shard, record):
        torch.save({"optimizer_state_dict": RunsCode(marker)}, shard)
        record_checksums(checkpoint)  # the record rewritten to match: only weights-only loading stops it
        code, errors, stderr = resume(manifest, out)
    assert code == 2, stderr[-3000:]
    assert errors == [
        f"error: {shard}: refused: loading it would call posix.system; a checkpoint holds tensors and DeepSpeed's state types only"
    ]
    assert "Traceback" not in stderr and not marker.exists()
    assert (out / "metrics.jsonl").read_bytes() == metrics


def test_an_empty_optimizer_file_is_one_line_not_aborted_and_metrics_stay(run):
    manifest, out, checkpoint = run
    shard = next(checkpoint.glob("global_step2/*optim_states.pt"))
    size = json.loads((checkpoint / "lima_train_sha256.json").read_text())["files"][f"global_step2/{shard.name}"]["bytes"]
    metrics = (out / "metrics.jsonl").read_bytes()
    with put_back(shard):
        shard.write_bytes(b"")
        code, errors, stderr = resume(manifest, out)
    assert code == 2, stderr[-3000:]
    assert errors == [f"error: {shard}: damaged: 0 bytes, {size:,} when it was saved"]
    assert "Traceback" not in stderr and "Aborted" not in stderr
    assert (out / "metrics.jsonl").read_bytes() == metrics


def test_an_intact_checkpoint_still_resumes_through_deepspeeds_weights_only_load(run):
    """The shards hold DeepSpeed's ZeroStageEnum and LossScaler: allowed on every load, not only the first."""
    manifest, out, checkpoint = run
    result = lima_train("run", manifest, "--out", out, "--resume")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "error:" not in result.stderr and "checkpoint-2" in result.stdout
