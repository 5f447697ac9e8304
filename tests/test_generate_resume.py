"""`lima-train generate --out` is resumable: a killed run continues where it stopped and gives the same bytes.

A tiny random LLaMA with the word tokenizer of train_helpers answers; one torch thread in and out of
process, so a subprocess and this one compute the same sums.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from train_helpers import REPO, cli_env, read_jsonl, tiny_llama, word_tokenizer

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

WORDS = ["how", "are", "you", "fine", "thanks", "and", "what", "now", "sleep"]
DECODING = ["--max-new-tokens", "16", "--batch-size", "1", "--seed", "7"]


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny checkpoint directory as `generate` reads one: weights, tokenizer with EOT, no run around it."""
    tokenizer, _ = word_tokenizer()
    directory = tmp_path_factory.mktemp("checkpoint") / "final"
    tiny_llama(tokenizer, positions=128).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def write_prompts(path, count: int):
    lines = [
        {"id": f"q{index:03d}", "prompt": " ".join(WORDS[(index + k) % 9] for k in range(3 + index % 7))}
        for index in range(count)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def generate(checkpoint, prompts, out, *flags):
    """`lima-train generate` in this process (Typer's runner)."""
    from typer.testing import CliRunner

    from lima_train.cli import app

    args = ["generate", str(checkpoint), "--prompts", str(prompts), *DECODING, *flags]
    return CliRunner().invoke(app, args + (["--out", str(out)] if out else []))


def partial_of(out):
    return out.with_name(f".{out.name}.partial")


@pytest.mark.slow  # a fresh interpreter imports torch and transformers: most of its time
def test_a_killed_run_resumes_to_the_bytes_of_an_uninterrupted_one(checkpoint, tmp_path):
    prompts = write_prompts(tmp_path / "prompts.jsonl", 24)
    whole = tmp_path / "whole.jsonl"
    assert generate(checkpoint, prompts, whole, "--quiet").exit_code == 0

    resumed = tmp_path / "resumed.jsonl"
    partial = partial_of(resumed)
    command = [sys.executable, "-m", "lima_train.cli", "generate", str(checkpoint), "--prompts", str(prompts), *DECODING]
    env = {**cli_env(), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [*command, "--out", str(resumed)], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        while process.poll() is None and not (partial.is_file() and partial.read_bytes().count(b"\n") >= 4):
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()[-2000:]
    assert not resumed.exists()  # killed before the last prompt: no answers file yet
    answered = partial.read_bytes().count(b"\n") - 1
    assert 3 <= answered < 24

    result = generate(checkpoint, prompts, resumed)
    assert result.exit_code == 0, result.output
    assert f"resuming: {answered} of 24 prompts already answered" in result.output
    assert resumed.read_bytes() == whole.read_bytes()
    assert not partial.exists()
    assert [record["id"] for record in read_jsonl(resumed)] == [f"q{index:03d}" for index in range(24)]


def stop_after(monkeypatch, batches: int):
    """Make the answering loop die (as a kill would) when it starts batch number `batches` + 1."""
    import lima_train.generate as generate_module

    real, calls = generate_module._answer_batch, []

    def answer_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) > batches:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(generate_module, "_answer_batch", answer_batch)


def test_a_torn_last_line_is_dropped_and_answered_again(checkpoint, tmp_path, monkeypatch):
    prompts = write_prompts(tmp_path / "prompts.jsonl", 8)
    whole = tmp_path / "whole.jsonl"
    assert generate(checkpoint, prompts, whole, "--quiet").exit_code == 0
    out = tmp_path / "answers.jsonl"
    stop_after(monkeypatch, 3)
    assert generate(checkpoint, prompts, out).exit_code != 0
    monkeypatch.undo()
    lines = partial_of(out).read_bytes().splitlines(keepends=True)
    assert len(lines) == 1 + 3 and not out.exists()
    # a crash mid-write: the next answer's line is on disk without its newline, whole as JSON
    fake = json.loads(lines[-1])
    fake["messages"][-1]["content"] = "NOT AN ANSWER"
    next_id = next(
        record["id"] for record in read_jsonl(whole) if record["id"] not in {json.loads(line)["id"] for line in lines[1:]}
    )
    fake["id"] = next_id
    with partial_of(out).open("ab") as handle:
        handle.write(json.dumps(fake).encode())

    result = generate(checkpoint, prompts, out)
    assert result.exit_code == 0, result.output
    assert "1 line(s) after the last whole batch dropped" in result.output
    assert "resuming: 3 of 8 prompts already answered" in result.output
    assert b"NOT AN ANSWER" not in out.read_bytes()
    assert out.read_bytes() == whole.read_bytes()


def test_a_batch_cut_short_is_answered_again_whole(checkpoint, tmp_path, monkeypatch):
    prompts = write_prompts(tmp_path / "prompts.jsonl", 9)
    flags = ("--batch-size", "4", "--quiet")
    whole = tmp_path / "whole.jsonl"
    assert generate(checkpoint, prompts, whole, *flags).exit_code == 0
    out = tmp_path / "answers.jsonl"
    stop_after(monkeypatch, 1)
    generate(checkpoint, prompts, out, *flags)
    monkeypatch.undo()
    partial = partial_of(out)
    header, *answers = partial.read_bytes().splitlines(keepends=True)
    assert len(answers) == 4
    partial.write_bytes(header + b"".join(answers[:2]))  # half of a batch of four on disk
    assert generate(checkpoint, prompts, out, *flags).exit_code == 0
    assert out.read_bytes() == whole.read_bytes()


def test_other_settings_are_refused_naming_the_setting_and_restart_starts_over(checkpoint, tmp_path, monkeypatch):
    prompts = write_prompts(tmp_path / "prompts.jsonl", 6)
    out = tmp_path / "answers.jsonl"
    stop_after(monkeypatch, 2)
    generate(checkpoint, prompts, out)
    monkeypatch.undo()
    partial = partial_of(out)
    before = partial.read_bytes()

    result = generate(checkpoint, prompts, out, "--temperature", "0.5")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [
        f"error: {partial}: started with other settings (decoding.temperature was 0.7, now 0.5); "
        "run the same command to continue it, or pass --restart to start over"
    ]
    assert partial.read_bytes() == before and not out.exists()

    prompts.write_text(prompts.read_text() + json.dumps({"id": "extra", "prompt": "how now"}) + "\n")
    result = generate(checkpoint, prompts, out)
    assert result.exit_code == 2 and "(prompts_sha256 was " in result.output

    result = generate(checkpoint, prompts, out, "--temperature", "0.5", "--restart", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.output == ""  # --quiet: nothing on stderr
    records = read_jsonl(out)
    assert len(records) == 7 and not partial.exists()
    assert {record["meta"]["generator"]["decoding"]["temperature"] for record in records} == {0.5}


def test_answers_carry_the_generator_and_stdout_needs_no_partial_file(checkpoint, tmp_path):
    from lima_train.data import file_sha256

    prompts = write_prompts(tmp_path / "prompts.jsonl", 3)
    result = generate(checkpoint, prompts, None, "--quiet")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["id"] for record in records] == ["q000", "q001", "q002"]
    assert records[0]["meta"]["generator"] == {
        "checkpoint": str(checkpoint),
        "checkpoint_sha256": file_sha256(checkpoint / "model.safetensors"),
        "model": None,
        "manifest": None,
        "manifest_sha256": None,
        "decoding": {
            "greedy": False,
            "max_new_tokens": 16,
            "repetition_penalty": 1.2,
            "seed": 7,
            "temperature": 0.7,
            "top_p": 0.9,
        },
        "prompts": str(prompts),
        "prompts_sha256": file_sha256(prompts),
    }
    assert sorted(path.name for path in tmp_path.iterdir()) == ["prompts.jsonl"]


def test_a_second_run_on_the_same_out_is_refused_while_the_first_writes(checkpoint, tmp_path):
    import fcntl

    prompts = write_prompts(tmp_path / "prompts.jsonl", 2)
    out = tmp_path / "answers.jsonl"
    partial = partial_of(out)
    with partial.open("ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        result = generate(checkpoint, prompts, out)
    assert result.exit_code == 2
    assert (
        result.output.strip() == f"error: {partial}: another lima-train generate is writing these answers; wait for it to finish"
    )
    assert os.path.getsize(partial) == 0 and not out.exists()


def test_a_checkpoint_that_does_not_load_leaves_no_partial_file(tmp_path):
    empty = tmp_path / "not-a-checkpoint"
    empty.mkdir()
    prompts = write_prompts(tmp_path / "prompts.jsonl", 2)
    out = tmp_path / "answers.jsonl"
    result = generate(empty, prompts, out)
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {empty}: not a lima-train checkpoint (no tokenizer files)"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["not-a-checkpoint", "prompts.jsonl"]


def test_restart_while_another_run_writes_is_refused_and_leaves_its_file_alone(checkpoint, tmp_path):
    import fcntl

    prompts = write_prompts(tmp_path / "prompts.jsonl", 2)
    out = tmp_path / "answers.jsonl"
    partial = partial_of(out)
    partial.write_bytes(b'{"lima_train_generate": 1, "settings": {}}\n')
    before = (partial.read_bytes(), os.stat(partial).st_ino)
    with partial.open("ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # the first run, still writing
        result = generate(checkpoint, prompts, out, "--restart")
    assert result.exit_code == 2
    assert (
        result.output.strip() == f"error: {partial}: another lima-train generate is writing these answers; wait for it to finish"
    )
    assert (partial.read_bytes(), os.stat(partial).st_ino) == before and not out.exists()
