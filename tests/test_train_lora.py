"""A LoRA run (adapter checkpoints, merged on export) and `lima-train generate` on what it made."""

from __future__ import annotations

import json

import pytest
from train_helpers import lima_train, read_jsonl, write_manifest

pytest.importorskip("peft")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    manifest = write_manifest(data, examples=16, dev_prompts=2)
    out = tmp_path_factory.mktemp("lora") / "run"
    result = lima_train(
        "run",
        manifest,
        "--out",
        out,
        "--lora",
        "--epochs",
        "2",
        "--global-batch",
        "8",
        "--max-length",
        "128",
        "--lr",
        "1e-2",
        "--set",
        "gen_max_new_tokens=8",
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def test_lora_checkpoints_hold_the_adapter_and_the_export_is_merged(lora_run):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, LlamaForCausalLM

    checkpoints = sorted((lora_run / "checkpoints").iterdir())
    assert [p.name for p in checkpoints] == ["checkpoint-2", "checkpoint-4"]
    last = checkpoints[-1]
    assert (last / "adapter_config.json").is_file() and not (last / "model.safetensors").exists()
    assert list(last.glob("global_step*")) and not list(checkpoints[0].glob("global_step*"))  # resume state: newest only
    assert (checkpoints[0] / "adapter_model.safetensors").is_file()
    adapter = load_file(last / "adapter_model.safetensors")
    assert any("lora_A" in name for name in adapter) and any("trainable_tokens" in name for name in adapter)
    assert json.loads((lora_run / "deepspeed_config.json").read_text())["zero_optimization"]["stage"] == 2

    final = lora_run / "final"
    assert not (final / "adapter_config.json").exists()
    merged = LlamaForCausalLM.from_pretrained(final)
    base = LlamaForCausalLM.from_pretrained(lora_run / "base-model")
    name = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.allclose(merged.state_dict()[name], base.state_dict()[name])  # LoRA merged in
    eot = AutoTokenizer.from_pretrained(final).convert_tokens_to_ids("<EOT>")
    embeddings = merged.get_input_embeddings().weight
    assert embeddings.shape[0] == eot + 1
    # the EOT row started at the mean of the old rows and was trained from there
    assert not torch.allclose(embeddings[eot], base.get_input_embeddings().weight.mean(dim=0), atol=1e-4)
    assert len(read_jsonl(lora_run / "generations" / "epoch-02.jsonl")) == 2


def test_generate_answers_prompts_from_merged_and_adapter_checkpoints(lora_run, tmp_path):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(
        json.dumps({"id": "p1", "prompt": "What colour is the sky number 3?"})
        + "\n"
        + json.dumps(
            {
                "id": "p2",
                "messages": [
                    {"role": "user", "content": "What colour is the road?"},
                    {"role": "assistant", "content": "reference"},
                ],
            }
        )
        + "\n"
    )
    answers = tmp_path / "answers.jsonl"
    result = lima_train(
        "generate", lora_run / "final", "--prompts", prompts, "--out", answers, "--max-new-tokens", "12", "--seed", "3"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    records = read_jsonl(answers)
    assert [r["id"] for r in records] == ["p1", "p2"]
    assert records[1]["messages"][:-1] == [{"role": "user", "content": "What colour is the road?"}]  # reference dropped
    assert all(r["messages"][-1]["role"] == "assistant" for r in records)
    assert all(r["meta"]["new_tokens"] <= 12 for r in records)

    again = lima_train("generate", lora_run / "final", "--prompts", prompts, "--max-new-tokens", "12", "--seed", "3")
    assert [json.loads(line) for line in again.stdout.splitlines()] == records  # same seed, same answers

    adapter = lima_train(
        "generate", lora_run / "checkpoints" / "checkpoint-4", "--prompts", prompts, "--greedy", "--max-new-tokens", "12"
    )
    assert adapter.returncode == 0, adapter.stderr[-3000:]
    assert len(adapter.stdout.splitlines()) == 2

    missing = lima_train("generate", lora_run / "final", "--prompts", tmp_path / "none.jsonl")
    assert missing.returncode == 2 and "none.jsonl: file not found" in missing.stderr


def test_adapter_loads_onto_a_fresh_base_the_documented_way(lora_run):
    """peft's way for an adapter with new tokens: the adapter's tokenizer, the base resized to it, then
    `PeftModel.from_pretrained`; the result is the model lima-train merged into final/."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter = lora_run / "checkpoints" / "checkpoint-4"
    tokenizer = AutoTokenizer.from_pretrained(adapter)
    assert tokenizer.eos_token == "<EOT>" and "lima-train chat template" in tokenizer.chat_template
    base = AutoModelForCausalLM.from_pretrained(lora_run / "base-model")
    with pytest.raises(IndexError, match="out of bounds"):  # without the resize: the EOT row is missing
        PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(lora_run / "base-model"), adapter)
    base.resize_token_embeddings(len(tokenizer))
    model = PeftModel.from_pretrained(base, adapter).eval()
    merged = AutoModelForCausalLM.from_pretrained(lora_run / "final").eval()
    messages = [{"role": "user", "content": "What colour is the sky number 3?"}]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        assert torch.allclose(model(**prompt).logits, merged(**prompt).logits, atol=1e-4)
        out = model.generate(**prompt, do_sample=False, max_new_tokens=8)
    assert out.shape[1] > prompt["input_ids"].shape[1]
