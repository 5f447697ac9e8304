"""The lima-train command line: fast help, one-line errors, settings saved with the run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from train_helpers import REPO, cli_env, tiny_model, write_manifest
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

    monkeypatch.setattr(cli, "_base_model", lambda model, examples, out, config: str(tmp_path / "base"))
    monkeypatch.setattr("lima_train.run.encoded_dataset", lambda config: None)
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
    assert json.loads((out / "train_config.json").read_text())["base_model"] == str(out / "base-model")


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
