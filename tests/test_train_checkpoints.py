"""A run's checkpoints on disk: older ones keep weights only, checksums and refusals on resume, metrics, safe exports."""

from __future__ import annotations

import json

import pytest
from train_helpers import checkpoint_like_trainer, read_jsonl, tiny_model
from typer.testing import CliRunner

from lima_train.checkpoints import checkpoints, prune_resume_state, resume_start, trim_metrics
from lima_train.cli import app
from lima_train.config import RunConfig
from lima_train.errors import InputError
from lima_train.export import EXPORT_MARKER
from lima_train.safe_load import RECORD, enforce_weights_only, read_record, record_checksums

pytest.importorskip("transformers")
runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture
def run_dir(tmp_path, model_dir):
    """A run with three epochs' checkpoints as the Trainer leaves them, and its recipe note."""
    from transformers import AutoTokenizer

    from lima_train.model import write_recipe_note

    run = tmp_path / "run"
    for step in (2, 4, 6):
        checkpoint = saved_checkpoint(run, step, model_dir)
    eot_id = AutoTokenizer.from_pretrained(checkpoint).convert_tokens_to_ids("<EOT>")
    write_recipe_note(run, RunConfig(eot_token="<EOT>"), eot_id=eot_id)
    return run


def listing(directory) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


OPTIMIZER = "bf16_zero_pp_rank_0_mp_rank_00_optim_states.pt"


def saved_checkpoint(run, step, model_dir, weights=True):
    """A checkpoint as a lima-train run leaves it: the Trainer's and DeepSpeed's files (the optimizer
    shard a real torch file holding DeepSpeed's ZeRO stage enum), then the sha256 record."""
    import torch
    from deepspeed.runtime.zero.config import ZeroStageEnum

    checkpoint = checkpoint_like_trainer(run, step, model_dir, weights=weights)
    state = {"optimizer_state_dict": {"zero_stage": ZeroStageEnum.weights, "exp_avg": torch.ones(4) * step}}
    torch.save(state, checkpoint / f"global_step{step}" / OPTIMIZER)
    record_checksums(checkpoint)
    return checkpoint


class RunsCode:
    """An object whose unpickling runs a shell command: what a crafted checkpoint file holds."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def crafted(path, marker):
    """Replace a torch file with one that would create `marker` when loaded without weights_only."""
    import torch

    torch.save({"optimizer_state_dict": RunsCode(marker)}, path)
    return path


# ---- resume state --------------------------------------------------------------------------------


def test_older_checkpoints_keep_weights_and_only_the_newest_keeps_optimizer_state(run_dir):
    prune_resume_state(run_dir)
    two, four, six = (run_dir / "checkpoints" / f"checkpoint-{step}" for step in (2, 4, 6))
    for older in (two, four):
        assert not list(older.glob("global_step*")) and not (older / "latest").exists()
        assert (older / "model.safetensors").is_file() and (older / "trainer_state.json").is_file()
    assert (six / "global_step6").is_dir() and (six / "latest").is_file()
    assert resume_start(run_dir, trim=False) == six

    (six / "trainer_state.json").unlink()  # a kill while checkpoint-6 was being written
    with pytest.raises(InputError, match="checkpoint-4: holds weights but no optimizer state"):
        resume_start(run_dir, trim=False)


def test_checkpoint_whose_weights_are_only_shards_keeps_them(tmp_path, model_dir):
    run = tmp_path / "run"
    shards_only = saved_checkpoint(run, 3, model_dir, weights=False)
    saved_checkpoint(run, 6, model_dir, weights=False)
    prune_resume_state(run)
    assert (shards_only / "global_step3").is_dir() and (shards_only / "latest").is_file()


def test_pruned_checkpoint_still_exports(run_dir, model_dir, tmp_path):
    import torch
    from transformers import LlamaForCausalLM

    from lima_train.model import load_for_inference

    prune_resume_state(run_dir)
    result = runner.invoke(app, ["export", str(run_dir / "checkpoints" / "checkpoint-2"), str(tmp_path / "epoch-1")])
    assert result.exit_code == 0, result.output
    model, tokenizer, eot_id = load_for_inference(tmp_path / "epoch-1", device="cpu")
    note = json.loads((tmp_path / "epoch-1" / "lima_train.json").read_text())  # the run's note, carried along
    assert note["eot_id"] == eot_id == len(tokenizer) - 1 and note["eot_token"] == "<EOT>"
    saved = LlamaForCausalLM.from_pretrained(model_dir).state_dict()  # what checkpoint-2 holds
    assert all(torch.equal(value, saved[name]) for name, value in model.state_dict().items())


# ---- metrics on resume ---------------------------------------------------------------------------


def write_metrics(run, steps, tail=""):
    lines = "".join(json.dumps({"step": step, "loss": 1.0 / step}) + "\n" for step in steps)
    (run / "metrics.jsonl").write_text(lines + tail)


def test_resume_trims_metrics_to_its_checkpoint_and_drops_a_line_cut_short(run_dir):
    write_metrics(run_dir, range(1, 8), tail='{"step": 8, "lo')  # SIGKILL mid-write
    assert resume_start(run_dir, trim=True).name == "checkpoint-6"
    assert [record["step"] for record in read_jsonl(run_dir / "metrics.jsonl")] == [1, 2, 3, 4, 5, 6]


def test_resume_before_the_first_checkpoint_starts_over_with_no_metrics(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    write_metrics(run, range(1, 4), tail='{"step": 4')
    assert resume_start(run, trim=True) is None
    assert (run / "metrics.jsonl").read_text() == ""


def test_a_broken_metrics_line_before_the_last_is_an_error(tmp_path):
    write_metrics(tmp_path, [1], tail='{"step": 2\n' + json.dumps({"step": 3}) + "\n")
    with pytest.raises(InputError, match=r"metrics\.jsonl:2: not valid JSON"):
        trim_metrics(tmp_path, 3)


# ---- checksums and weights-only loading on resume ------------------------------------------------


def test_every_file_is_recorded_and_pruning_keeps_the_record_true(run_dir):
    two = run_dir / "checkpoints" / "checkpoint-2"
    recorded = read_record(two)
    assert f"global_step2/{OPTIMIZER}" in recorded and "model.safetensors" in recorded and "trainer_state.json" in recorded
    assert RECORD not in recorded and all(len(entry["sha256"]) == 64 for entry in recorded.values())
    prune_resume_state(run_dir)
    assert not any(name.startswith("global_step") or name == "latest" for name in read_record(two))
    assert resume_start(run_dir, trim=False).name == "checkpoint-6"  # the newest, its record checked


def damage_truncated(checkpoint):
    path = checkpoint / "global_step6" / OPTIMIZER
    path.write_bytes(path.read_bytes()[:100])
    return path, "damaged: 100 bytes"


def damage_empty(checkpoint):
    path = checkpoint / "global_step6" / OPTIMIZER
    path.write_bytes(b"")
    return path, "damaged: 0 bytes"


def damage_same_size(checkpoint):
    path = checkpoint / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    return path, "damaged: its sha256 differs from the one recorded when it was saved"


def damage_missing(checkpoint):
    path = checkpoint / "rng_state.pth"
    path.unlink()
    return path, "missing; it was recorded when the checkpoint was saved"


@pytest.mark.parametrize("damage", [damage_truncated, damage_empty, damage_same_size, damage_missing])
def test_a_damaged_checkpoint_is_one_error_naming_the_file_and_nothing_is_trimmed(run_dir, damage):
    checkpoint = run_dir / "checkpoints" / "checkpoint-6"
    (checkpoint / "rng_state.pth").write_bytes(b"")  # recorded below as part of the checkpoint
    record_checksums(checkpoint)
    write_metrics(run_dir, range(1, 9))
    before = (run_dir / "metrics.jsonl").read_bytes()
    path, message = damage(checkpoint)
    with pytest.raises(InputError) as raised:
        resume_start(run_dir, trim=True)
    assert str(raised.value).startswith(f"{path}: {message}") and "\n" not in str(raised.value)
    assert (run_dir / "metrics.jsonl").read_bytes() == before


def test_a_checkpoint_whose_record_was_never_written_is_skipped_for_the_one_before(run_dir, capsys):
    prune_resume_state(run_dir)
    four, six = run_dir / "checkpoints" / "checkpoint-4", run_dir / "checkpoints" / "checkpoint-6"
    # a kill after the Trainer wrote checkpoint-8's trainer state, before lima-train recorded it
    (run_dir / "checkpoints" / "checkpoint-8").mkdir()
    (run_dir / "checkpoints" / "checkpoint-8" / "trainer_state.json").write_text("{}")
    assert checkpoints(run_dir) == [run_dir / "checkpoints" / f"checkpoint-{step}" for step in (2, 4, 6)]
    assert resume_start(run_dir, trim=True) == six != four
    assert "checkpoint-8: saved without its sha256 record" in capsys.readouterr().err


def test_a_crafted_pickle_with_a_matching_record_is_refused_before_anything_runs(run_dir, tmp_path):
    marker = tmp_path / "ran"
    checkpoint = run_dir / "checkpoints" / "checkpoint-6"
    path = crafted(checkpoint / "global_step6" / OPTIMIZER, marker)
    record_checksums(checkpoint)  # whoever crafted it rewrote the record too
    write_metrics(run_dir, range(1, 9))
    with pytest.raises(InputError) as raised:
        resume_start(run_dir, trim=True)
    assert str(raised.value).startswith(f"{path}: refused: loading it would call posix.system")
    assert not marker.exists()
    assert len(read_jsonl(run_dir / "metrics.jsonl")) == 8


def test_deepspeeds_own_load_is_weights_only_after_a_resume_starts(run_dir, tmp_path):
    """DeepSpeed passes weights_only=False; once resume_start ran, its load still cannot run code."""
    import pickle

    import torch
    from deepspeed.runtime.checkpoint_engine.torch_checkpoint_engine import TorchCheckpointEngine

    path = crafted(tmp_path / "zero_pp_rank_0_mp_rank_00_optim_states.pt", tmp_path / "ran")
    resume_start(run_dir, trim=False)
    enforce_weights_only()  # twice is the same as once
    with pytest.raises(pickle.UnpicklingError):
        TorchCheckpointEngine().load(str(path))
    assert not (tmp_path / "ran").exists()
    shard = run_dir / "checkpoints" / "checkpoint-6" / "global_step6" / OPTIMIZER
    assert torch.equal(TorchCheckpointEngine().load(str(shard))["optimizer_state_dict"]["exp_avg"], torch.ones(4) * 6)


# ---- export --------------------------------------------------------------------------------------


def test_export_refuses_a_directory_it_did_not_write(run_dir, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "llama-7b.txt").write_text("the user's own files")
    result = runner.invoke(app, ["export", str(run_dir / "checkpoints" / "checkpoint-6"), str(models)])
    assert result.exit_code == 2
    assert "not empty and not an earlier lima-train export" in " ".join(result.output.split())
    assert listing(models) == ["llama-7b.txt"]
    assert listing(tmp_path) == ["models", "run"]  # no temporary folder left beside it


@pytest.mark.parametrize("target", ["run", "run/checkpoints", "run/checkpoints/checkpoint-6"])
def test_export_refuses_the_checkpoint_or_a_folder_that_holds_it(run_dir, tmp_path, target):
    checkpoint = run_dir / "checkpoints" / "checkpoint-6"
    before = listing(checkpoint)
    result = runner.invoke(app, ["export", str(checkpoint), str(tmp_path / target)])
    assert result.exit_code == 2 and "is or holds the checkpoint" in " ".join(result.output.split())
    assert listing(checkpoint) == before and (checkpoint / "global_step6").is_dir()


def test_export_replaces_an_earlier_export_and_fills_an_empty_folder(run_dir, tmp_path):
    out = tmp_path / "chosen"
    out.mkdir()  # empty: allowed
    assert runner.invoke(app, ["export", str(run_dir / "checkpoints" / "checkpoint-2"), str(out)]).exit_code == 0
    (out / "stale.bin").write_text("left from before")
    result = runner.invoke(app, ["export", str(run_dir / "checkpoints" / "checkpoint-4"), str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / EXPORT_MARKER).read_text())["checkpoint"].endswith("checkpoint-4")
    assert "stale.bin" not in listing(out) and "model.safetensors" in listing(out)
    assert not any(name.endswith(("tmp", "old")) for name in listing(tmp_path))
    assert not list(out.glob("global_step*")) and not (out / "trainer_state.json").exists()


@pytest.mark.parametrize("directory", [False, True])
def test_a_write_that_fails_leaves_the_old_file_or_folder_and_no_temporary(tmp_path, directory):
    from lima_train.atomic import replaced, write_atomic

    target = tmp_path / "target"
    if directory:
        target.mkdir()
        (target / "old.txt").write_text("old")
    else:
        write_atomic(target, "old")
    with pytest.raises(RuntimeError), replaced(target, directory=directory) as tmp:
        (tmp / "new.txt" if directory else tmp).write_text("half")
        raise RuntimeError("killed mid-write")
    assert (target / "old.txt" if directory else target).read_text() == "old"
    assert listing(tmp_path) == ["target"]
    with replaced(target, directory=directory) as tmp:
        (tmp / "new.txt" if directory else tmp).write_text("new")
    assert (listing(target) == ["new.txt"]) if directory else (target.read_text() == "new")
    assert listing(tmp_path) == ["target"]
