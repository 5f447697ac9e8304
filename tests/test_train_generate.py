"""Answering prompts: the prompt keeps its tokens within the context, decoding follows the saved settings."""

from __future__ import annotations

import json

import pytest
from train_helpers import word_tokenizer

from lima_train.config import RunConfig
from lima_train.data import Example, encode_prompt
from lima_train.generate import ANSWER_RESERVE, Decoding, answer, saved_decoding

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


class EchoModel(torch.nn.Module):
    """Stands in for a causal LM: records what `generate` was given and answers EOT at once."""

    def __init__(self, eot_id: int):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.eot_id = eot_id
        self.calls = []

    def generate(self, input_ids, attention_mask, max_new_tokens, **kwargs):
        self.calls.append({"input_ids": input_ids.tolist(), "max_new_tokens": max_new_tokens})
        return torch.cat([input_ids, torch.full((input_ids.shape[0], 1), self.eot_id)], dim=1)


def words(count: int) -> str:
    return " ".join(["how", "are", "you", "fine"] * (count // 4) + ["now"] * (count % 4))


def test_prompt_keeps_all_its_tokens_with_lima_lengths():
    """max_length 2048 and gen_max_new_tokens 2048 (LIMA's) must not cut a 27-token prompt to one token."""
    tokenizer, eot = word_tokenizer()
    prompt = Example("p", (("user", words(25)),))  # <s> + 25 words + EOT
    full = encode_prompt(prompt.messages, tokenizer, eot)
    assert len(full) == 27
    model = EchoModel(eot)
    config = RunConfig()
    records = answer(model, tokenizer, eot, [prompt], Decoding.from_config(config), config.max_length)
    assert model.calls[0]["input_ids"] == [full]
    assert model.calls[0]["max_new_tokens"] == 2048 - 27  # the answer gets what the prompt left
    assert records[0]["meta"] == {"new_tokens": 1, "stopped_at_eot": True}


def test_prompt_longer_than_the_context_keeps_its_end_and_leaves_room_to_answer():
    tokenizer, eot = word_tokenizer()
    long = Example("long", (("user", words(300)), ("assistant", "fine"), ("user", "what now")))
    short = Example("short", (("user", "how are you"),))
    model = EchoModel(eot)
    answer(model, tokenizer, eot, [long, short], Decoding(0.9, 0.7, 1.2, 500, 8), max_length=256)
    rows = model.calls[0]["input_ids"]
    kept = 256 - ANSWER_RESERVE
    assert rows[0] == encode_prompt(long.messages, tokenizer, eot)[-kept:]  # the turn to answer is kept
    assert rows[0][-3:] == [9, 10, eot]  # "what now" EOT
    assert rows[1][-5:] == [1, 3, 4, 5, eot] and len(rows[1]) == kept  # left-padded to the batch width
    assert model.calls[0]["max_new_tokens"] == ANSWER_RESERVE


def test_a_real_model_answers_inside_the_context():
    tokenizer, eot = word_tokenizer()
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=40,
    )
    model = transformers.LlamaForCausalLM(config).eval()
    prompt = Example("p", (("user", words(25)),))
    records = answer(model, tokenizer, eot, [prompt], Decoding(0.9, 0.7, 1.0, 2048, 1, greedy=True), max_length=40)
    assert records[0]["messages"][0]["content"] == words(25)
    assert 1 <= records[0]["meta"]["new_tokens"] <= 40 - 27


def test_generate_defaults_to_the_checkpoint_then_the_run_then_lima(tmp_path):
    run = tmp_path / "run"
    checkpoint = run / "checkpoints" / "checkpoint-4"
    checkpoint.mkdir(parents=True)
    lima = RunConfig()
    assert saved_decoding(checkpoint) == (Decoding.from_config(lima), None)

    settings = {
        "manifest": "m.jsonl",
        "out": str(run),
        "gen_top_p": 0.5,
        "gen_batch_size": 3,
        "max_length": 512,
        "gen_max_new_tokens": 256,
    }
    (run / "train_config.json").write_text(json.dumps(settings))
    decoding, max_length = saved_decoding(checkpoint, seed=5)
    assert (decoding.top_p, decoding.batch_size, decoding.max_new_tokens, decoding.seed, max_length) == (0.5, 3, 256, 5, 512)
    assert decoding.temperature == lima.gen_temperature

    (checkpoint / "generation_config.json").write_text(
        json.dumps({"temperature": 0.3, "max_new_tokens": 100, "top_p": None, "do_sample": True})
    )
    decoding, _ = saved_decoding(checkpoint)
    assert (decoding.temperature, decoding.max_new_tokens, decoding.top_p, decoding.greedy) == (0.3, 100, 0.5, False)


def test_generate_flags_override_the_saved_decoding(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from lima_train.cli import app

    checkpoint = tmp_path / "final"
    checkpoint.mkdir()
    (checkpoint / "generation_config.json").write_text(json.dumps({"temperature": 0.3, "max_new_tokens": 100}))
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps({"prompt": "how are you"}) + "\n")
    seen = {}
    monkeypatch.setattr(
        "lima_train.generate.generate_file",
        lambda checkpoint, examples, decoding, max_length: seen.update(decoding=decoding) or [],
    )
    result = CliRunner().invoke(app, ["generate", str(checkpoint), "--prompts", str(prompts), "--top-p", "0.8"])
    assert result.exit_code == 0, result.output
    assert seen["decoding"] == Decoding(0.8, 0.3, 1.2, 100, 8, seed=0, greedy=False)
