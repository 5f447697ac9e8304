"""`lima-train run` fails before it writes anything: every check a start can make runs before the run
folder exists, so a failed start leaves no folder (or the folder exactly as it was), in seconds, and
a fixed re-run needs no --resume."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from train_helpers import write_manifest
from typer.testing import CliRunner

from lima_train.cli import app

pytest.importorskip("transformers")
runner = CliRunner()
FAST = 30.0  # seconds; a GPT-2 base used to fail after ~61 s inside DeepSpeed, with the folder written


def start(manifest: Path, out: Path, *extra: str):
    """`lima-train run MANIFEST --out OUT EXTRA...` in this process: (exit code, one-line output, seconds)."""
    began = time.monotonic()
    result = runner.invoke(app, ["run", str(manifest), "--out", str(out), *extra])
    return result.exit_code, " ".join(result.output.split()), time.monotonic() - began


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` and its bytes (empty when the folder does not exist)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def stubbed(monkeypatch, tmp_path):
    """Stop a start that passed every check at the training itself; the settings it got land in the dict.
    Temporary folders go under tmp_path/tmp, so a test can see that a failed start leaves none."""
    import tempfile

    captured: dict = {}
    monkeypatch.setattr("lima_train.launch.run_training", lambda config, path, resume: captured.update(config=config))
    monkeypatch.setattr("lima_train.checkpoints.checkpoints", lambda out: [])
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    return captured


@pytest.fixture(scope="module")
def foreign_models(tmp_path_factory):
    """Configs of two tiny models lima-train cannot train, built locally: GPT-2 (decoder layers in
    `transformer.h`, no `self_attn`/`mlp`) and T5 (no causal LM)."""
    from transformers import GPT2Config, T5Config

    root = tmp_path_factory.mktemp("foreign")
    GPT2Config(n_layer=2, n_embd=32, n_head=2, n_positions=256, vocab_size=300, bos_token_id=0, eos_token_id=0).save_pretrained(
        root / "gpt2"
    )
    T5Config(d_model=32, num_layers=1, num_heads=2, d_ff=64, d_kv=16, vocab_size=300).save_pretrained(root / "t5")
    return root


def test_a_batch_that_does_not_split_fails_at_once_and_the_fixed_rerun_needs_no_resume(tmp_path, stubbed):
    manifest = write_manifest(tmp_path, examples=8)
    out = tmp_path / "run"
    code, output, seconds = start(manifest, out, "--global-batch", "7", "--micro-batch", "2", "--max-length", "64")
    assert code == 2 and "global batch 7" in output and "micro-batch 2" in output
    assert not out.exists() and seconds < FAST
    assert not any((tmp_path / "tmp").iterdir())  # nothing left aside either

    code, output, _ = start(manifest, out, "--global-batch", "8", "--micro-batch", "2", "--max-length", "64")
    assert "already holds a run" not in output and "training ended without a checkpoint" in output  # the stub saved none
    saved = json.loads((out / "train_config.json").read_text())
    assert (saved["global_batch"], saved["micro_batch"], saved["base_model"]) == (8, 2, "base-model")
    assert (out / "base-model" / "model.safetensors").is_file() and stubbed["config"].global_batch == 8


@pytest.mark.parametrize(
    "nproc, hostfile, processes",
    [("3", None, 3), ("1", "a slots=3\nb slots=2\n", 5), ("3", "a slots=8\nb slots=8\n", 6), ("2", "a slots=3\n", 2)],
)
def test_the_batch_split_is_checked_for_the_process_count_of_the_launch(tmp_path, stubbed, nproc, hostfile, processes):
    manifest = write_manifest(tmp_path, examples=8)
    extra = ["--nproc", nproc, "--global-batch", "32"]
    if hostfile:
        (tmp_path / "hosts").write_text(hostfile)
        extra += ["--hostfile", str(tmp_path / "hosts")]
    code, output, _ = start(manifest, tmp_path / "run", *extra)
    if processes == 2:  # --nproc 2 gives the one host 2 processes (DeepSpeed's --num_gpus): 32 splits
        assert stubbed["config"].nproc == 2
        return
    assert code == 2 and f"global batch 32 does not divide over {processes} processes" in output
    assert not (tmp_path / "run").exists()


def test_a_malformed_hostfile_names_its_line(tmp_path, stubbed):
    manifest = write_manifest(tmp_path, examples=8)
    (tmp_path / "hosts").write_text("# nodes\nnode1 slots=8\nnode2 gpus=8\n")
    code, output, _ = start(manifest, tmp_path / "run", "--hostfile", str(tmp_path / "hosts"))
    assert code == 2 and f"{tmp_path / 'hosts'}:3: expected 'hostname slots=N'" in output
    assert not (tmp_path / "run").exists()


def test_a_gpt2_base_fails_in_seconds_naming_its_config_and_leaves_the_folder_as_it_was(tmp_path, stubbed, foreign_models):
    manifest = write_manifest(tmp_path, examples=8)
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("the user's own file")
    before = snapshot(out)
    code, output, seconds = start(manifest, out, "--model", str(foreign_models / "gpt2"), "--max-length", "128")
    assert code == 2 and seconds < FAST
    assert (
        f"{foreign_models / 'gpt2' / 'config.json'}: GPT2LMHeadModel: cannot find the decoder layers for residual dropout"
        in output
    )
    assert snapshot(out) == before and sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_a_model_that_is_no_causal_lm_is_refused(tmp_path, stubbed, foreign_models):
    manifest = write_manifest(tmp_path, examples=8)
    code, output, seconds = start(manifest, tmp_path / "run", "--model", str(foreign_models / "t5"))
    assert code == 2 and seconds < FAST
    assert f"{foreign_models / 't5' / 'config.json'}: model_type 't5' is not a causal language model" in output
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--set", "eot_token=</s>"], "the EOT token '</s>' must differ from the tokenizer's EOS token"),
        (["--lora", "--set", "lora_targets=c_attn"], "LlamaForCausalLM has no module named c_attn (lora_targets)"),
        (["--max-length", "8", "--set", "gen_max_new_tokens=4"], "keep no answer token after trimming to max_length 8"),
    ],
)
def test_a_tiny_base_that_fails_a_check_is_not_left_behind(tmp_path, stubbed, extra, message):
    """The tiny model is built aside and moved into the run folder only once every check has passed."""
    manifest = write_manifest(tmp_path, examples=8)
    code, output, _ = start(manifest, tmp_path / "run", "--max-length", "64", *extra)
    assert code == 2 and message in output
    assert not (tmp_path / "run").exists() and not any((tmp_path / "tmp").iterdir())


def test_a_card_that_does_not_describe_the_manifest_is_refused(tmp_path, stubbed):
    from lima_train.data import file_sha256

    manifest = write_manifest(tmp_path, examples=8)
    card = tmp_path / "manifest.card.json"
    card.write_text(json.dumps({"schema": 2, "digest": "0" * 64, "total": 8}))
    code, output, _ = start(manifest, tmp_path / "run", "--max-length", "64")
    assert code == 2 and f"{card}: its digest is not manifest.jsonl's sha256" in output
    card.write_text(json.dumps({"schema": 2, "digest": file_sha256(manifest), "total": 9}))
    code, output, _ = start(manifest, tmp_path / "run", "--max-length", "64")
    assert code == 2 and f"{card}: total 9 but manifest.jsonl holds 8 examples" in output
    card.write_text("{not json")
    code, output, _ = start(manifest, tmp_path / "run", "--max-length", "64")
    assert code == 2 and f"{card}: not valid JSON" in output
    assert not (tmp_path / "run").exists()
    card.write_text(json.dumps({"schema": 2, "digest": file_sha256(manifest), "total": 8}))
    start(manifest, tmp_path / "run", "--max-length", "64")
    assert stubbed["config"].manifest_sha256 == file_sha256(manifest)  # a card that matches: the start gets through


def test_settings_and_files_the_launch_needs_are_checked_first(tmp_path, stubbed, monkeypatch):
    manifest = write_manifest(tmp_path, examples=8)
    out = tmp_path / "run"
    code, output, _ = start(manifest, out, "--deepspeed-config", str(tmp_path / "ds.json"))
    assert code == 2 and f"{tmp_path / 'ds.json'}: DeepSpeed config not found" in output
    code, output, _ = start(manifest, out, "--report-to", "mlflow")
    assert code == 2 and "report_to must be one of none, tensorboard, wandb (--report-to)" in output
    monkeypatch.setattr("transformers.integrations.is_tensorboard_available", lambda: False)
    code, output, _ = start(manifest, out, "--set", "report_to=tensorboard")
    assert code == 2 and "--report-to tensorboard needs tensorboard installed (pip install tensorboard)" in output
    assert not out.exists()
    out.write_text("a file")
    code, output, _ = start(manifest, out)
    assert code == 2 and f"{out}: exists and is not a directory (--out)" in output
    assert out.read_text() == "a file"


def test_resume_runs_the_same_checks_before_it_trims_anything(tmp_path, stubbed):
    """A hostfile whose slots changed since the start: the resume is refused, the folder left as it was."""
    from lima_train.config import RunConfig, save_config
    from lima_train.data import file_sha256

    manifest = write_manifest(tmp_path, examples=8)
    hosts = tmp_path / "hosts"
    hosts.write_text("a slots=2\nb slots=2\n")
    out = tmp_path / "run"
    out.mkdir()
    config = RunConfig(manifest=str(manifest), out=str(out), hostfile=str(hosts), manifest_sha256=file_sha256(manifest))
    save_config(config, out)
    (out / "metrics.jsonl").write_text('{"step": 1, "loss": 5.0}\n{"step": 2, "loss": 4.0}\n')
    before = snapshot(out)
    hosts.write_text("a slots=3\n")
    code, output, _ = start(manifest, out, "--resume")
    assert code == 2 and "global batch 32 does not divide over 3 processes" in output
    assert snapshot(out) == before and not stubbed
