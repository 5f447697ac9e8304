"""A run's checkpoints on disk: older ones keep weights only, resume and metrics, safe exports."""

from __future__ import annotations

import json

import pytest
from train_helpers import checkpoint_like_trainer, read_jsonl, tiny_model
from typer.testing import CliRunner

from lima_train.checkpoints import prune_resume_state, resume_start, trim_metrics
from lima_train.cli import app
from lima_train.config import RunConfig
from lima_train.errors import InputError
from lima_train.export import EXPORT_MARKER

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
        checkpoint = checkpoint_like_trainer(run, step, model_dir)
    eot_id = AutoTokenizer.from_pretrained(checkpoint).convert_tokens_to_ids("<EOT>")
    write_recipe_note(run, RunConfig(eot_token="<EOT>"), eot_id=eot_id)
    return run


def listing(directory) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


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
    shards_only = checkpoint_like_trainer(run, 3, model_dir, weights=False)
    checkpoint_like_trainer(run, 6, model_dir, weights=False)
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
