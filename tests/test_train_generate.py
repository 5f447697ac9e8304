"""Answering prompts: the prompt keeps its tokens within the context, decoding follows the saved settings."""

from __future__ import annotations

import json

import pytest
from train_helpers import tiny_llama, word_tokenizer

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
    records = answer(model, tokenizer, eot, [long, short], Decoding(0.9, 0.7, 1.2, 500, 8), max_length=256)
    assert [record["id"] for record in records] == ["long", "short"]  # in the prompts' order
    short_row, long_row = model.calls[0]["input_ids"]  # batched shortest first
    kept = 256 - ANSWER_RESERVE
    assert long_row == encode_prompt(long.messages, tokenizer, eot)[-kept:]  # the turn to answer is kept
    assert long_row[-3:] == [9, 10, eot]  # "what now" EOT
    assert short_row[-5:] == [1, 3, 4, 5, eot] and len(short_row) == kept  # left-padded to the batch width
    assert model.calls[0]["max_new_tokens"] == ANSWER_RESERVE


def test_a_real_model_answers_inside_the_context():
    tokenizer, eot = word_tokenizer()
    model = tiny_llama(tokenizer, positions=40)
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
        "lima_train.generate.generate_answers",
        lambda checkpoint, path, examples, decoding, *rest: seen.update(decoding=decoding) or ([], 0),
    )
    result = CliRunner().invoke(app, ["generate", str(checkpoint), "--prompts", str(prompts), "--top-p", "0.8"])
    assert result.exit_code == 0, result.output
    assert seen["decoding"] == Decoding(0.8, 0.3, 1.2, 100, 8, seed=0, greedy=False)


# ---- the per-epoch dev answers: a small budget, batched, one progress line ------------------------


def test_dev_answers_get_a_small_budget_of_their_own_and_generate_keeps_the_runs():
    lima = RunConfig(gen_max_new_tokens=2048)  # as build_config saves it: the whole context
    assert Decoding.for_dev(lima).max_new_tokens == 256
    assert Decoding.from_config(lima).max_new_tokens == 2048  # `generate` and generation_config.json
    assert Decoding.for_dev(RunConfig(gen_max_new_tokens=32)).max_new_tokens == 32  # never above the run's
    assert Decoding.for_dev(RunConfig(gen_max_new_tokens=2048, dev_max_new_tokens=2048)).max_new_tokens == 2048


def test_dev_budget_is_a_setting_and_must_be_at_least_one():
    from lima_train.config import build_config, parse_assignments, validate
    from lima_train.errors import InputError

    assert build_config(parse_assignments(["dev_max_new_tokens=64"])).dev_max_new_tokens == 64
    with pytest.raises(InputError, match="dev_max_new_tokens must be at least 1"):
        validate(build_config(parse_assignments(["dev_max_new_tokens=0"])))


def test_prompts_are_batched_shortest_first_and_answered_in_their_order():
    tokenizer, eot = word_tokenizer()
    prompts = [Example(f"p{count}", (("user", words(count)),)) for count in (9, 2, 30, 5, 14)]
    model = EchoModel(eot)
    records = answer(model, tokenizer, eot, prompts, Decoding(0.9, 0.7, 1.2, 64, 2), max_length=256)
    assert [record["id"] for record in records] == ["p9", "p2", "p30", "p5", "p14"]
    assert [len(call["input_ids"]) for call in model.calls] == [2, 2, 1]  # batches of gen_batch_size
    widths = [len(call["input_ids"][0]) for call in model.calls]
    assert widths == [5 + 2, 14 + 2, 30 + 2]  # <s> words EOT: each batch as wide as its longest, no wider


def test_batched_greedy_answers_equal_one_prompt_at_a_time():
    tokenizer, eot = word_tokenizer()
    model = tiny_llama(tokenizer)
    prompts = [Example(f"p{count}", (("user", words(count)),)) for count in (3, 11, 6, 20)]
    alone = answer(model, tokenizer, eot, prompts, Decoding(0.9, 0.7, 1.0, 12, 1, greedy=True), max_length=64)
    batched = answer(model, tokenizer, eot, prompts, Decoding(0.9, 0.7, 1.0, 12, 4, greedy=True), max_length=64)
    assert [r["messages"][-1] for r in batched] == [r["messages"][-1] for r in alone]


def test_dev_generations_after_an_epoch_keep_to_the_budget_and_print_one_line(tmp_path, capsys):
    from transformers import TrainerControl, TrainerState

    from lima_train.callbacks import make_callbacks
    from lima_train.config import plan_batches

    tokenizer, eot = word_tokenizer()
    model = tiny_llama(tokenizer).train()
    prompts = [Example(f"dev/{index}", (("user", words(4 + index)),)) for index in range(3)]
    config = RunConfig(max_length=512, gen_max_new_tokens=512, gen_batch_size=2, dev_max_new_tokens=40)
    callbacks = make_callbacks(tmp_path, config, tokenizer, eot, prompts, plan_batches(4, 1))
    dev = next(callback for callback in callbacks if type(callback).__name__ == "DevGenerations")
    state = TrainerState(epoch=3.0, global_step=12)
    dev.on_epoch_end(None, state, TrainerControl(), model=model)
    assert model.training  # put back as it was
    records = [json.loads(line) for line in (tmp_path / "generations" / "epoch-03.jsonl").read_text().splitlines()]
    assert [record["id"] for record in records] == ["dev/0", "dev/1", "dev/2"]
    for record in records:
        meta = record["meta"]
        assert meta["new_tokens"] == 40 or (meta["stopped_at_eot"] and meta["new_tokens"] < 40), meta
        assert (meta["epoch"], meta["step"], meta["checkpoint"]) == (3, 12, "checkpoints/checkpoint-12")
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    tokens = sum(record["meta"]["new_tokens"] for record in records)
    stopped = sum(record["meta"]["stopped_at_eot"] for record in records)
    assert len(lines) == 1 and lines[0].startswith("epoch 3: 3 dev answers in ")
    assert lines[0].endswith(
        f" s ({tokens} new tokens, at most 40 each; {stopped} stopped at EOT) -> {tmp_path}/generations/epoch-03.jsonl"
    )


# ---- prompt files: three shapes, ids, one-line refusals --------------------------------------------


def write_lines(path, lines):
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines), encoding="utf-8")
    return path


def test_prompt_files_of_every_shape_give_ids_and_the_turn_to_answer(tmp_path):
    from lima_train.data import read_prompts

    test_line = {
        "schema": 1,
        "id": "authored/heat-pumps",
        "source": "authored",
        "subset": "authored",
        "messages": [{"role": "user", "content": "How do heat pumps work?"}, {"role": "assistant", "content": "reference"}],
        "meta": {"split": "test"},
    }
    path = write_lines(
        tmp_path / "mixed.jsonl",
        [
            test_line,
            {"conversations": ["Tell me a joke."], "source": "test"},
            "",
            {"conversations": ["Hi", "Hello!", "And now?", "reference"], "source": "multi_turn", "id": 7},
            {"prompt": "Write a haiku."},
            {"id": "mine", "prompt": "Why is the sky blue?"},
        ],
    )
    prompts = read_prompts(path)
    assert [prompt.id for prompt in prompts] == ["authored/heat-pumps", "test-2", "7", "line-5", "mine"]
    assert prompts[0].messages == (("user", "How do heat pumps work?"),)  # the reference answer is dropped
    assert prompts[1].messages == (("user", "Tell me a joke."),)
    assert prompts[2].messages == (("user", "Hi"), ("assistant", "Hello!"), ("user", "And now?"))


@pytest.mark.parametrize(
    "line, message",
    [
        ({"text": "hi"}, "expected a manifest line ('messages'), a GAIR/lima line ('conversations': a list of strings) "
         "or a plain prompt ('prompt': a string); found 'text'"),
        ({"conversations": ["hi", 3]}, "conversations[1] is not a string; GAIR/lima turns are plain strings"),
        ({"conversations": []}, "'conversations' must be a non-empty list of strings (user first, turns alternating)"),
        ({"prompt": ""}, "'prompt' must be a non-empty string"),
        ({"id": "", "prompt": "hi"}, "'id' must be a non-empty string or an integer"),
        ({"messages": [{"role": "assistant", "content": "hi"}]}, "messages[0] should be the user's turn"),
        ("[1, 2]", "expected a JSON object"),
    ],
)  # fmt: skip
def test_a_prompt_line_of_the_wrong_shape_is_one_line_naming_path_and_line(tmp_path, line, message):
    from lima_train.data import read_prompts
    from lima_train.errors import InputError

    path = write_lines(tmp_path / "prompts.jsonl", [{"prompt": "fine"}, line])
    with pytest.raises(InputError) as caught:
        read_prompts(path)
    assert str(caught.value).startswith(f"{path}:2: {message}")


def test_duplicate_prompt_ids_are_refused_naming_both_lines(tmp_path):
    from lima_train.data import read_prompts
    from lima_train.errors import InputError

    path = write_lines(
        tmp_path / "prompts.jsonl", [{"id": "a", "prompt": "x"}, {"id": "b", "prompt": "y"}, {"id": "a", "prompt": "z"}]
    )
    with pytest.raises(InputError) as caught:
        read_prompts(path)
    assert str(caught.value) == f"{path}:3: duplicate id 'a' (first at line 1); ids must be unique"


def test_a_wrong_prompt_file_is_refused_by_the_command_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from lima_train.cli import app

    checkpoint = tmp_path / "final"
    checkpoint.mkdir()
    prompts = write_lines(tmp_path / "prompts.jsonl", [{"prompt": "fine"}, {"question": "hi"}])
    result = CliRunner().invoke(app, ["generate", str(checkpoint), "--prompts", str(prompts), "--out", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and f"{prompts}:2: expected a manifest line" in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["final", "prompts.jsonl"]  # nothing written


# ---- provenance: the weights' sha256 (from the checkpoint's record when it has one), the run's manifest --------


def test_weights_sha256_reuses_the_checkpoints_record_and_hashes_only_what_it_lacks(tmp_path):
    from lima_train.data import file_sha256
    from lima_train.generate import weights_sha256
    from lima_train.safe_load import RECORD

    checkpoint = tmp_path / "checkpoint-4"
    checkpoint.mkdir()
    assert weights_sha256(checkpoint) is None
    weights = checkpoint / "model.safetensors"
    weights.write_bytes(b"weights")
    assert weights_sha256(checkpoint) == file_sha256(weights)  # what `sha256sum model.safetensors` prints
    recorded = {"algorithm": "sha256", "files": {"model.safetensors": {"bytes": 7, "sha256": "f" * 64}}}
    (checkpoint / RECORD).write_text(json.dumps(recorded))
    assert weights_sha256(checkpoint) == "f" * 64  # taken from the record, not read again
    weights.write_bytes(b"changed!")  # another size than recorded: hashed
    assert weights_sha256(checkpoint) == file_sha256(weights)

    shard = checkpoint / "model-00002-of-00002.safetensors"
    shard.write_bytes(b"more")
    weights.rename(checkpoint / "model-00001-of-00002.safetensors")
    listing = "".join(f"{file_sha256(checkpoint / name)}  {name}\n" for name in ("model-00001-of-00002.safetensors", shard.name))
    import hashlib

    assert weights_sha256(checkpoint) == hashlib.sha256(listing.encode()).hexdigest()  # `sha256sum FILES | sha256sum`


def test_generator_names_the_runs_base_model_and_manifest_when_the_run_is_found(tmp_path):
    from lima_train.generate import Decoding, generator_meta

    run = tmp_path / "run"
    checkpoint = run / "checkpoints" / "checkpoint-8"
    checkpoint.mkdir(parents=True)
    settings = {"manifest": "/data/m/manifest.jsonl", "manifest_sha256": "a" * 64, "out": ".", "base_model": "base-model"}
    (run / "train_config.json").write_text(json.dumps(settings))
    prompts = write_lines(tmp_path / "p.jsonl", [{"prompt": "hi"}])
    meta = generator_meta(checkpoint, None, Decoding(0.9, 0.7, 1.2, 32, 4, seed=3), prompts)
    assert (meta["model"], meta["manifest"], meta["manifest_sha256"]) == (
        str(run / "base-model"),
        "/data/m/manifest.jsonl",
        "a" * 64,
    )
    assert meta["decoding"] == {
        "top_p": 0.9,
        "temperature": 0.7,
        "repetition_penalty": 1.2,
        "max_new_tokens": 32,
        "greedy": False,
        "seed": 3,
    }


def test_a_batch_samples_the_same_whatever_came_before_it():
    tokenizer, eot = word_tokenizer()
    model = tiny_llama(tokenizer)
    prompts = [Example(f"p{count}", (("user", words(count)),)) for count in (3, 6, 11, 20)]
    decoding = Decoding(0.9, 0.7, 1.2, 10, 1, seed=4)
    everything = answer(model, tokenizer, eot, prompts, decoding, max_length=64)
    torch.manual_seed(123)  # the global generator's state does not reach the answers
    last_alone = answer(model, tokenizer, eot, prompts[-1:], decoding, max_length=64)
    assert last_alone[0] == everything[-1]
