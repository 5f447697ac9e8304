"""End to end on a CPU: ZeRO-3 over two gloo processes, then a run killed and resumed.

Both runs use the same tiny model, data and settings (24 examples, global batch 4, 5 epochs = 30
steps), so the killed-and-resumed run must land on the uninterrupted run's losses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from train_helpers import REPO, cli_env, conversation, losses_by_step, read_jsonl, write_manifest

pytest.importorskip("deepspeed")
pytestmark = pytest.mark.slow

SETTINGS = [
    "--model",
    "tiny",
    "--nproc",
    "2",
    "--epochs",
    "5",
    "--global-batch",
    "4",
    "--max-length",
    "128",
    "--lr",
    "1e-2",
    "--lr-end",
    "1e-3",
    "--set",
    "tiny_vocab=512",
    "--set",
    "gen_max_new_tokens=24",
]


def start(manifest, out, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "lima_train.cli", "run", str(manifest), "--out", str(out), *extra],
        cwd=REPO,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def finish(process, timeout=300) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-4000:]
    return output


def assert_only_the_newest_keeps_optimizer_state(run_dir, newest: int) -> None:
    for checkpoint in (run_dir / "checkpoints").iterdir():
        assert (checkpoint / "model.safetensors").is_file(), checkpoint  # every epoch can still be chosen
        has_state = bool(list(checkpoint.glob("global_step*")))
        assert has_state == (checkpoint.name == f"checkpoint-{newest}"), checkpoint


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_manifest(tmp_path_factory.mktemp("data"), examples=24, dev_prompts=3)


@pytest.fixture(scope="module")
def zero3_run(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("zero3") / "run"
    finish(start(data, out, *SETTINGS))
    return out


def test_zero3_two_processes_loss_falls_and_params_are_partitioned(zero3_run):
    from lima_train.launch import previous_port, shm_buffers

    assert shm_buffers(previous_port(zero3_run)) == []  # DeepSpeed's CPU comm buffers are cleaned up
    losses = losses_by_step(zero3_run)
    assert sorted(losses) == list(range(1, 31))
    assert sum(losses[s] for s in range(28, 31)) < 0.5 * sum(losses[s] for s in range(1, 4))

    partition = json.loads((zero3_run / "partition.json").read_text())
    assert partition["world_size"] == 2
    total = partition["total_params"]
    for rank in partition["ranks"]:
        assert rank["local_params"] < 0.6 * total  # each rank holds about half, not a replica
        assert rank["partitioned_tensors"] > 0
    assert sum(rank["local_params"] for rank in partition["ranks"]) >= total
    assert partition["batch"] == {"global_batch": 4, "micro_batch": 2, "grad_accum": 1, "world_size": 2}

    saved = sorted(int(p.name.split("-")[1]) for p in (zero3_run / "checkpoints").iterdir())
    assert saved == [6, 12, 18, 24, 30]  # one per epoch
    assert_only_the_newest_keeps_optimizer_state(zero3_run, newest=30)
    assert (zero3_run / "lima_train.json").is_file()  # the prompt format, once for the run
    assert not list((zero3_run / "checkpoints").glob("*/lima_train.json"))
    generations = sorted((zero3_run / "generations").glob("epoch-*.jsonl"))
    assert [p.name for p in generations] == [f"epoch-{e:02d}.jsonl" for e in range(1, 6)]
    last = read_jsonl(generations[-1])
    assert [r["id"] for r in last] == ["dev/0", "dev/1", "dev/2"]  # gathered from both ranks, in order
    assert all(r["messages"][-1]["role"] == "assistant" and r["meta"]["epoch"] == 5 for r in last)


def test_zero3_checkpoint_reloads_as_plain_llama_and_stops_at_eot(zero3_run):
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    from lima_train.data import encode_prompt

    checkpoint = zero3_run / "checkpoints" / "checkpoint-30"
    model = LlamaForCausalLM.from_pretrained(checkpoint).eval()
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    eot = tokenizer.convert_tokens_to_ids("<EOT>")
    assert eot == len(tokenizer) - 1 and eot == tokenizer.eos_token_id  # EOT ends a turn and is the stop token
    assert model.get_input_embeddings().weight.shape[0] == len(tokenizer)
    assert eot in model.generation_config.eos_token_id

    prompt = [("user", conversation(1)[0]["content"])]  # a training question
    ids = torch.tensor([encode_prompt(prompt, tokenizer, eot)])
    output = model.generate(ids, max_new_tokens=60, do_sample=False, repetition_penalty=1.0)[0, ids.shape[1] :]
    assert output[-1].item() == eot and len(output) < 60  # stopped at EOT, by the saved generation config
    answer = tokenizer.decode(output[:-1], skip_special_tokens=True)
    assert answer.startswith("The ")  # every training answer starts so

    final = zero3_run / "final"
    assert (final / "model.safetensors").is_file() and not list(final.glob("global_step*"))
    assert not (final / "optimizer.pt").exists()
    assert (final / "lima_train.json").is_file() and (final / "lima_train_export.json").is_file()


def test_killed_after_first_checkpoint_and_resumed_matches_uninterrupted(data, zero3_run, tmp_path):
    out = tmp_path / "run"
    process = start(data, out, *SETTINGS)
    first = out / "checkpoints" / "checkpoint-6" / "trainer_state.json"
    deadline = time.monotonic() + 240
    while not first.is_file() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert first.is_file(), process.communicate()[0][-3000:]
    os.killpg(process.pid, signal.SIGKILL)  # the launcher and both training processes
    process.wait()
    assert not (out / "final").exists()
    from lima_train.launch import previous_port, shm_buffers

    killed_port = previous_port(out)
    assert len(shm_buffers(killed_port)) == 2  # left behind by the killed ranks

    output = finish(start(data, out, "--resume"))
    assert shm_buffers(killed_port) == []  # removed by the resumed run
    assert "checkpoint-30" in output
    resumed, uninterrupted = losses_by_step(out), losses_by_step(zero3_run)
    assert sorted(resumed) == list(range(1, 31))
    for step in range(7, 31):
        assert resumed[step] == pytest.approx(uninterrupted[step], rel=1e-4, abs=1e-5), step
    assert_only_the_newest_keeps_optimizer_state(out, newest=30)


def test_own_deepspeed_config_replaces_the_generated_one_and_shards_still_export(data, tmp_path):
    """A user's ZeRO-3 config without 16-bit gathering saves only shards; export consolidates them."""
    own = tmp_path / "ds.json"
    own.write_text(
        json.dumps(
            {
                "zero_optimization": {"stage": 3},
                "train_batch_size": "auto",
                "train_micro_batch_size_per_gpu": "auto",
                "gradient_accumulation_steps": "auto",
            }
        )
    )
    out = tmp_path / "run"
    finish(
        start(
            data,
            out,
            "--epochs",
            "1",
            "--global-batch",
            "8",
            "--max-length",
            "128",
            "--deepspeed-config",
            own,
            "--set",
            "gen_max_new_tokens=4",
        )
    )
    assert json.loads((out / "deepspeed_config.json").read_text()) == json.loads(own.read_text())
    checkpoint = out / "checkpoints" / "checkpoint-3"
    assert not list(checkpoint.glob("*.safetensors")) and (checkpoint / "latest").is_file()

    from transformers import LlamaForCausalLM

    model = LlamaForCausalLM.from_pretrained(out / "final")  # consolidated from the shards
    assert model.get_input_embeddings().weight.shape[0] == model.config.vocab_size
