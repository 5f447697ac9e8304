"""Small manifests and command runners shared by the lima_train tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLOURS = ["red", "green", "blue", "yellow", "black", "white", "orange", "purple"]
THINGS = ["apple", "sky", "river", "stone", "house", "garden", "bird", "road"]


def conversation(index: int, turns: int = 1) -> list[dict]:
    """A patterned question and answer, so that even a tiny model can learn to answer and stop."""
    messages = []
    for turn in range(turns):
        thing = THINGS[(index + turn) % len(THINGS)]
        colour = COLOURS[(index * 3 + turn) % len(COLOURS)]
        messages.append({"role": "user", "content": f"What colour is the {thing} number {index}?"})
        messages.append({"role": "assistant", "content": f"The {thing} is {colour}. It is {colour} like the {thing}."})
    return messages


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records), encoding="utf-8")
    return path


def write_manifest(directory: Path, examples: int = 24, dev_prompts: int = 3) -> Path:
    """manifest.jsonl (every fifth example two-turn) and dev.jsonl beside it."""
    records = [
        {
            "id": f"authored/ex{index:03d}",
            "source": "authored",
            "subset": "authored",
            "messages": conversation(index, turns=2 if index % 5 == 0 else 1),
            "meta": {},
        }
        for index in range(examples)
    ]
    manifest = write_jsonl(directory / "manifest.jsonl", records)
    dev = [
        {"id": f"dev/{index}", "source": "authored", "subset": "authored", "messages": conversation(100 + index)[:1], "meta": {}}
        for index in range(dev_prompts)
    ]
    write_jsonl(directory / "dev.jsonl", dev)
    return manifest


def lima_train(*args: str, timeout: int = 600, **popen) -> subprocess.CompletedProcess:
    """Run the command line as a user would, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "lima_train.cli", *map(str, args)],
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        **popen,
    )


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def losses_by_step(run_dir: Path) -> dict[int, float]:
    """The last logged loss at every step (a resumed run logs its steps again)."""
    return {record["step"]: record["loss"] for record in read_jsonl(run_dir / "metrics.jsonl") if "loss" in record}


WORDS = ["<unk>", "<s>", "</s>", "how", "are", "you", "fine", "thanks", "and", "what", "now", "sleep", "<", "EOT", ">"]


def word_tokenizer():
    """A word-level tokenizer with known ids (the index in WORDS), plus the EOT special token (id 15)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from lima_train.model import add_eot

    core = Tokenizer(models.WordLevel({word: index for index, word in enumerate(WORDS)}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace()])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    eot_id = add_eot(tokenizer, "<EOT>")
    assert eot_id == len(WORDS)
    return tokenizer, eot_id


def tiny_model(directory: Path, max_length: int = 256) -> Path:
    """The tiny random LLaMA and tokenizer that `--model tiny` builds, saved to `directory`."""
    from lima_train.config import RunConfig
    from lima_train.model import build_tiny_model

    texts = [message["content"] for index in range(24) for message in conversation(index)]
    return build_tiny_model(texts, directory, RunConfig(max_length=max_length), seed=0)


def tiny_judge(directory: Path, max_length: int = 256) -> Path:
    """A tiny random LLaMA whose tokenizer has lima-train's chat template and EOT (as every lima-train
    checkpoint has), for the local judge; `max_length` 2,048 leaves room for LIMA's long rating prompt."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from lima_train.model import add_eot

    tiny_model(directory, max_length=max_length)
    tokenizer = AutoTokenizer.from_pretrained(directory)
    add_eot(tokenizer, "<EOT>")
    tokenizer.save_pretrained(directory)
    model = AutoModelForCausalLM.from_pretrained(directory)
    model.resize_token_embeddings(len(tokenizer))
    model.save_pretrained(directory)
    return directory


def tiny_llama(tokenizer, positions: int = 600):
    """A tiny random LlamaForCausalLM (seed 0) over `tokenizer`, in eval mode, for generation tests."""
    import torch
    import transformers

    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=positions,
    )
    return transformers.LlamaForCausalLM(config).eval()


def write_answers(path: Path, answers: dict[str, str], generator: dict | None = None) -> Path:
    """An answers file as `lima-train generate` writes it: one line per prompt, the answer last, and
    `meta.generator` when given."""
    records = []
    for prompt_id, answer in answers.items():
        record = {
            "id": prompt_id,
            "messages": [{"role": "user", "content": f"question {prompt_id}?"}, {"role": "assistant", "content": answer}],
            "meta": {"new_tokens": 5, "stopped_at_eot": True, **({"generator": generator} if generator else {})},
        }
        records.append(record)
    return write_jsonl(path, records)


def checkpoint_like_trainer(run_dir: Path, step: int, model_dir: Path, weights: bool = True) -> Path:
    """RUN/checkpoints/checkpoint-STEP laid out as the Trainer and DeepSpeed save one: the model's
    files (unless `weights` is False: only ZeRO shards), the tokenizer with EOT, global_stepSTEP/,
    `latest`, trainer state."""
    from transformers import AutoTokenizer

    from lima_train.model import add_eot

    checkpoint = run_dir / "checkpoints" / f"checkpoint-{step}"
    checkpoint.mkdir(parents=True)
    for path in model_dir.iterdir():
        if weights or not path.name.startswith("model"):
            shutil.copy2(path, checkpoint / path.name)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    add_eot(tokenizer, "<EOT>")
    tokenizer.save_pretrained(checkpoint)
    shards = checkpoint / f"global_step{step}"
    shards.mkdir()
    (shards / "bf16_zero_pp_rank_0_mp_rank_00_optim_states.pt").write_bytes(b"optimizer state")
    (checkpoint / "latest").write_text(f"global_step{step}")
    (checkpoint / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    return checkpoint
