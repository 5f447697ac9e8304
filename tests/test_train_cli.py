"""The lima-train command line: fast help, one-line errors, settings saved with the run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from train_helpers import REPO, cli_env, lima_train, losses_by_step, tiny_model, write_manifest
from typer.testing import CliRunner

from lima_train.cli import app

runner = CliRunner()


def test_help_is_fast_because_heavy_libraries_load_lazily():
    code = "import sys, lima_train.cli; print(sorted({'torch', 'transformers', 'deepspeed', 'pydantic'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=cli_env(), capture_output=True, text=True)
    assert result.stdout.strip() == "[]"
    help_text = runner.invoke(app, ["run", "--help"]).output
    for flag in ("--out", "--model", "--lora", "--nproc", "--hostfile", "--resume", "--deepspeed-config", "--set"):
        assert flag in help_text


def test_help_shows_the_defaults_written_in_brackets():
    help_text = " ".join(runner.invoke(app, ["run", "--help"], terminal_width=200).output.split())
    assert help_text.count("[default:") >= 3  # --model, --dev, --micro-batch say theirs in words
    assert "[default: the config's model, else tiny]" in help_text.replace("│ ", "").replace(" │", "")


def test_missing_manifest_is_a_one_line_error(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert "nope.jsonl: file not found" in result.output
    assert not (tmp_path / "run").exists()


def test_bad_manifest_line_names_file_and_line(tmp_path):
    manifest = write_manifest(tmp_path, examples=3)
    with manifest.open("a", encoding="utf-8") as handle:
        handle.write(
            json.dumps(
                {
                    "id": "x",
                    "source": "authored",
                    "subset": "authored",
                    "meta": {},
                    "messages": [{"role": "user", "content": "only a question"}],
                }
            )
            + "\n"
        )
    result = runner.invoke(app, ["run", str(manifest), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert f"{manifest}:4: the last message must be the assistant's" in " ".join(result.output.split())


def test_unknown_setting_and_bad_values_are_errors(tmp_path):
    manifest = write_manifest(tmp_path, examples=3)
    result = runner.invoke(app, ["run", str(manifest), "--out", str(tmp_path / "r"), "--set", "epoch=3"])
    assert result.exit_code == 2 and "unknown setting 'epoch'" in result.output
    result = runner.invoke(app, ["run", str(manifest), "--out", str(tmp_path / "r"), "--set", "epochs=three"])
    assert result.exit_code == 2 and "'three' is not a valid int" in result.output
    result = runner.invoke(app, ["run", str(manifest), "--out", str(tmp_path / "r"), "--model", str(tmp_path)])
    assert result.exit_code == 2 and "not a local Hugging Face model directory" in result.output
    result = runner.invoke(app, ["run", str(manifest), "--out", str(tmp_path / "r"), "--set", "dev_max_new_tokens=0"])
    assert result.exit_code == 2 and "dev_max_new_tokens must be at least 1" in result.output
    assert not (tmp_path / "r").exists()


def test_existing_run_needs_resume_and_resume_keeps_saved_settings(tmp_path):
    manifest = write_manifest(tmp_path, examples=3)
    out = tmp_path / "run"
    out.mkdir()
    (out / "train_config.json").write_text(json.dumps({"manifest": str(manifest), "out": str(out)}))
    result = runner.invoke(app, ["run", str(manifest), "--out", str(out)])
    assert result.exit_code == 2 and "pass --resume" in result.output
    result = runner.invoke(app, ["run", str(manifest), "--out", str(out), "--resume", "--epochs", "3"])
    assert result.exit_code == 2 and "drop epochs" in result.output
    result = runner.invoke(app, ["run", str(manifest), "--out", str(out), "--resume"])
    assert result.exit_code == 2 and "changed since the run started" in result.output


def test_config_file_then_flags_override(tmp_path, monkeypatch):
    """Settings resolve defaults < config file < --set < flags, and are written to the run directory."""
    import lima_train.cli as cli

    monkeypatch.setattr(cli, "_base_model", lambda model, examples, tiny_dir, config: str(tiny_dir.mkdir() or tiny_dir))
    monkeypatch.setattr("lima_train.launch.check_start", lambda config: None)
    captured = stub_training(monkeypatch)
    manifest = write_manifest(tmp_path, examples=3)
    (tmp_path / "settings.toml").write_text("epochs = 4\nseed = 9\nlora = true\nglobal_batch = 64\n")
    result = runner.invoke(
        app,
        [
            "run",
            str(manifest),
            "--out",
            str(tmp_path / "run"),
            "--config",
            str(tmp_path / "settings.toml"),
            "--set",
            "seed=11",
            "--global-batch",
            "16",
        ],
    )
    assert "training ended without a checkpoint" in result.output  # the stubbed trainer saved nothing
    saved = json.loads((tmp_path / "run" / "train_config.json").read_text())
    assert (saved["epochs"], saved["seed"], saved["lora"], saved["global_batch"]) == (4, 11, True, 16)
    assert (saved["learning_rate"], saved["lr_end"], saved["weight_decay"], saved["max_length"]) == (1e-5, 1e-6, 0.1, 2048)
    assert saved["dev"] == str(tmp_path / "dev.jsonl")  # found beside the manifest
    assert len(saved["manifest_sha256"]) == 64
    assert captured["config"].seed == 11


def stub_training(monkeypatch) -> dict:
    """Stop `lima-train run` at the training itself; the settings it would train with land in the dict."""
    captured = {}
    monkeypatch.setattr("lima_train.launch.run_training", lambda config, path, resume: captured.update(config=config))
    monkeypatch.setattr("lima_train.checkpoints.checkpoints", lambda out: [])
    return captured


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    """A saved tiny LLaMA with 256 positions, standing in for a user's model directory."""
    return tiny_model(tmp_path_factory.mktemp("models") / "tiny-256", max_length=256)


def test_model_named_in_a_config_file_or_set_is_used(tmp_path, tiny_model_dir, monkeypatch):
    captured = stub_training(monkeypatch)
    manifest = write_manifest(tmp_path, examples=3)
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"model": str(tiny_model_dir), "max_length": 128, "gen_max_new_tokens": 16}))
    out = tmp_path / "from-file"
    result = runner.invoke(app, ["run", str(manifest), "--out", str(out), "--config", str(settings)])
    assert "training ended without a checkpoint" in result.output  # the stubbed trainer saved nothing
    saved = json.loads((out / "train_config.json").read_text())
    assert saved["model"] == saved["base_model"] == str(tiny_model_dir) == captured["config"].base_model
    assert not (out / "base-model").exists()  # no tiny model was built in its place

    out = tmp_path / "from-set"
    runner.invoke(
        app,
        [
            "run",
            str(manifest),
            "--out",
            str(out),
            "--set",
            f"model={tiny_model_dir}",
            "--max-length",
            "128",
            "--set",
            "gen_max_new_tokens=16",
        ],
    )
    assert json.loads((out / "train_config.json").read_text())["base_model"] == str(tiny_model_dir)

    out = tmp_path / "flag-wins"
    runner.invoke(app, ["run", str(manifest), "--out", str(out), "--config", str(settings), "--model", "tiny"])
    saved = json.loads((out / "train_config.json").read_text())
    assert (saved["base_model"], saved["out"]) == ("base-model", ".")  # inside the run folder: relative to it
    assert saved["manifest"] == str(manifest)  # outside it: absolute, with its sha256
    assert (out / "base-model" / "config.json").is_file()


def test_max_length_beyond_the_models_positions_is_an_error(tmp_path, tiny_model_dir, monkeypatch):
    stub_training(monkeypatch)
    manifest = write_manifest(tmp_path, examples=3)
    result = runner.invoke(
        app, ["run", str(manifest), "--out", str(tmp_path / "run"), "--model", str(tiny_model_dir), "--max-length", "512"]
    )
    assert result.exit_code == 2
    assert "has 256 positions (max_position_embeddings); max_length 512 exceeds them" in " ".join(result.output.split())
    assert not (tmp_path / "run" / "train_config.json").exists()


def test_trimming_away_every_answer_is_an_error_before_training(tmp_path, monkeypatch):
    captured = stub_training(monkeypatch)
    manifest = write_manifest(tmp_path, examples=3)
    result = runner.invoke(
        app, ["run", str(manifest), "--out", str(tmp_path / "run"), "--max-length", "8", "--set", "gen_max_new_tokens=4"]
    )
    assert result.exit_code == 2
    assert "all 3 example(s) keep no answer token after trimming to max_length 8" in " ".join(result.output.split())
    assert not (tmp_path / "run" / "train_config.json").exists() and not captured


def test_launcher_commands_for_one_node_and_a_hostfile(tmp_path):
    from lima_train.config import RunConfig
    from lima_train.launch import launch_command

    config_path = tmp_path / "train_config.json"
    command = launch_command(RunConfig(nproc=2), config_path, resume=True, port=29555)
    assert command[1:3] == ["-m", "deepspeed.launcher.runner"]
    assert "--num_gpus=2" in command and "--no_local_rank" in command and "--master_port=29555" in command
    assert command[-3:] == ["lima_train.run", str(config_path), "--resume"]
    hostfile = tmp_path / "hostfile"
    hostfile.write_text("node1 slots=8\nnode2 slots=8\n")
    command = launch_command(RunConfig(hostfile=str(hostfile)), config_path, resume=False, port=29555)
    assert f"--hostfile={hostfile}" in command and not any(c.startswith("--num_gpus") for c in command)
    command = launch_command(RunConfig(nproc=4, launcher="torchrun"), config_path, resume=False, port=29555)
    assert command[1:3] == ["-m", "torch.distributed.run"] and "--nproc_per_node=4" in command


# ---- a run folder holds its own paths ------------------------------------------------------------


def test_run_paths_are_saved_relative_and_read_back_where_the_folder_is_now(tmp_path):
    """A moved folder resolves its paths where it is; so does an older file that recorded them absolute."""
    from lima_train.config import RunConfig, read_run_config, save_config

    run = tmp_path / "run"
    run.mkdir()
    config = RunConfig(
        manifest=str(tmp_path / "manifest.jsonl"),
        out=str(run),
        base_model=str(run / "base-model"),
        deepspeed_config=str(run / "ds.json"),
    )
    save_config(config, run)
    saved = json.loads((run / "train_config.json").read_text())
    assert (saved["out"], saved["base_model"], saved["deepspeed_config"]) == (".", "base-model", "ds.json")
    assert saved["manifest"] == str(tmp_path / "manifest.jsonl")  # outside the folder: kept absolute
    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    run.rename(moved)
    again = read_run_config(moved)
    assert (again.out, again.base_model, again.deepspeed_config) == (
        str(moved),
        str(moved / "base-model"),
        str(moved / "ds.json"),
    )
    assert again.manifest == str(tmp_path / "manifest.jsonl")
    # written by an older lima-train: every path absolute, pointing into the folder it was started in
    (moved / "train_config.json").write_text(json.dumps(config.model_dump()))
    old = read_run_config(moved / "train_config.json")
    assert (old.out, old.base_model, old.deepspeed_config) == (str(moved), str(moved / "base-model"), str(moved / "ds.json"))


def file_digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path."""
    import hashlib

    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def tensorboard_scalars(folder: Path, tag: str) -> dict[int, float]:
    """The values TensorBoard would plot for `tag`, by step, read from the event files (TFRecord) under `folder`."""
    import struct

    try:
        from tensorboard.compat.proto import event_pb2
    except ImportError:
        from tensorboardX.proto import event_pb2
    values = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack_from("<Q", data, offset)
            event = event_pb2.Event.FromString(data[offset + 12 : offset + 12 + length])
            offset += 12 + length + 4
            for value in event.summary.value:
                if value.tag == tag:
                    values[event.step] = value.simple_value
    return values


def tensorboard_installed() -> bool:
    from transformers.integrations import is_tensorboard_available

    return is_tensorboard_available()


SHORT_RUN = ["--model", "tiny", "--no-deepspeed", "--epochs", "1", "--global-batch", "4", "--max-length", "64"]
SHORT_RUN += ["--lr", "1e-2", "--set", "tiny_vocab=300", "--set", "gen_max_new_tokens=8"]


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """One epoch of the tiny model (8 examples, 2 steps), logging to TensorBoard where it is installed."""
    root = tmp_path_factory.mktemp("short")
    manifest = write_manifest(root / "data", examples=8, dev_prompts=1)
    out = root / "run"
    report = ["--report-to", "tensorboard"] if tensorboard_installed() else []
    result = lima_train("run", manifest, "--out", out, *SHORT_RUN, *report, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return manifest, out


@pytest.mark.slow
def test_a_copied_run_folder_resumes_in_the_copy_and_leaves_the_original_alone(short_run, tmp_path):
    manifest, original = short_run
    before = file_digests(original)
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    settings = json.loads((copy / "train_config.json").read_text())
    settings["epochs"] = 2  # a run with an epoch left to train, as one killed after its first checkpoint
    (copy / "train_config.json").write_text(json.dumps(settings))

    result = lima_train("run", manifest, "--out", copy, "--resume", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in (copy / "checkpoints").iterdir()) == ["checkpoint-2", "checkpoint-4"]
    assert json.loads((copy / "final" / "lima_train_export.json").read_text())["checkpoint"] == str(
        copy / "checkpoints" / "checkpoint-4"
    )
    assert sorted(losses_by_step(copy)) == [1, 2, 3, 4]
    assert file_digests(original) == before  # not a byte of the original written, no checkpoint-4 there


@pytest.mark.slow
def test_report_to_tensorboard_writes_the_losses_under_the_run_folder(short_run):
    if not tensorboard_installed():
        pytest.skip("tensorboard (or tensorboardX) is not installed")
    _, out = short_run
    assert json.loads((out / "train_config.json").read_text())["report_to"] == "tensorboard"
    logged = tensorboard_scalars(out / "tensorboard", "train/loss")
    assert logged == pytest.approx(losses_by_step(out), rel=1e-6)  # the same losses as metrics.jsonl, step by step
    assert sorted(logged) == [1, 2] and not (out / "checkpoints" / "runs").exists()
