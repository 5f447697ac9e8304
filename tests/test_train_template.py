"""The chat template is the training format: the same ids both ways, a model that chats and stops at EOT.

data.py encodes a conversation turn by turn; `tokenizer.apply_chat_template` renders the saved
template and tokenises the whole text. They must agree, or every server and chat UI prompts the
model in a format it never saw. Also here: a base's own template is replaced (and said so), an
export chats through the template and stops at EOT with the KV cache on, TRL's SFTTrainer takes
the exported tokenizer, and a huge example is cut before it is tokenised.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from train_helpers import REPO, cli_env, tiny_model, word_tokenizer

from lima_train.data import IGNORE_INDEX, encode_manifest, encode_prompt, encode_turns

pytest.importorskip("transformers")

SINGLE = [("user", "What colour is the sky number 3?"), ("assistant", "The sky is blue. It is blue like the sky.")]
MULTI = SINGLE + [("user", "And the road?"), ("assistant", " The road is black.\nIt is black.")]
SYSTEM = [("system", "Answer in one sentence."), *MULTI]
CONVERSATIONS = {"single": SINGLE, "multi": MULTI, "system": SYSTEM}


def as_messages(turns) -> list[dict]:
    return [{"role": role, "content": content} for role, content in turns]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    """The tiny random LLaMA and byte-fallback BPE tokenizer of `--model tiny` (Metaspace, like LLaMA's)."""
    return tiny_model(tmp_path_factory.mktemp("tiny") / "base")


@pytest.fixture()
def bpe(tiny_dir):
    from transformers import AutoTokenizer

    from lima_train.model import add_eot

    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    return tokenizer, add_eot(tokenizer, "<EOT>")


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_template_renders_the_ids_data_py_trains_on(bpe, name):
    tokenizer, eot = bpe
    turns = CONVERSATIONS[name]
    ids, labels = encode_turns(turns, tokenizer, eot)
    assert tokenizer.apply_chat_template(as_messages(turns), tokenize=True, return_dict=False) == ids
    assert ids.count(eot) == len(turns) - (name == "system") and ids[-1] == eot and labels[-1] == eot
    # the generation prompt ends where the model must answer: right after the last user turn's EOT
    prompt = tokenizer.apply_chat_template(as_messages(turns[:-1]), tokenize=True, add_generation_prompt=True, return_dict=False)
    assert prompt == encode_prompt(turns[:-1], tokenizer, eot) == ids[: len(prompt)]
    assert prompt[-1] == eot and labels[len(prompt)] != IGNORE_INDEX  # the next token is the answer's first


def test_system_message_goes_in_front_of_the_first_user_turn():
    tokenizer, eot = word_tokenizer()
    turns = [("system", "how are"), ("user", "you"), ("assistant", "fine"), ("user", "what now"), ("assistant", "sleep")]
    ids, labels = encode_turns(turns, tokenizer, eot)
    #             <s> how are (\n\n: whitespace) you EOT fine EOT what now EOT sleep EOT
    assert ids == [1, 3, 4, 5, eot, 6, eot, 9, 10, eot, 11, eot]
    assert [label for label in labels if label != IGNORE_INDEX] == [6, eot, 11, eot]
    assert tokenizer.apply_chat_template(as_messages(turns), tokenize=True, return_dict=False) == ids
    assert (
        tokenizer.apply_chat_template(as_messages(turns), tokenize=False)
        == "<s>how are\n\nyou<EOT>fine<EOT>what now<EOT>sleep<EOT>"
    )


def test_template_refuses_turns_data_py_refuses(bpe):
    from jinja2.exceptions import TemplateError

    tokenizer, _ = bpe
    with pytest.raises(TemplateError, match=r"messages\[2\] should be the assistant turn"):
        tokenizer.apply_chat_template(as_messages([("system", "s"), ("user", "q"), ("user", "q")]), tokenize=False)


def test_base_template_is_replaced_with_a_line_saying_so(tiny_dir, caplog):
    from transformers import AutoTokenizer

    from lima_train.model import add_eot

    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    tokenizer.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}Assistant: "
    with caplog.at_level(logging.WARNING, logger="lima_train"):
        eot = add_eot(tokenizer, "<EOT>")
    assert [record.getMessage() for record in caplog.records] == [
        "the base tokenizer's chat template is replaced by lima-train's, the format it trains on (<s> turn <EOT> ...)"
    ]
    assert tokenizer.eos_token == "<EOT>" and tokenizer.eos_token_id == eot and tokenizer.pad_token == "</s>"
    assert (
        tokenizer.apply_chat_template(as_messages(SINGLE), tokenize=True, return_dict=False)
        == encode_turns(SINGLE, tokenizer, eot)[0]
    )


def test_eot_typed_in_a_message_stays_text(bpe):
    tokenizer, eot = bpe
    ids, _ = encode_turns([("user", "what is <EOT> for"), ("assistant", "turns")], tokenizer, eot)
    assert ids.count(eot) == 2  # only the two turn ends


# ---- a checkpoint and its export chat in the trained format ----------------------------------------


@pytest.fixture(scope="module")
def export(tiny_dir, tmp_path_factory) -> Path:
    """A tiny model taught one answer on data.py's ids, saved as a checkpoint, exported by lima-train."""
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    from lima_train.config import RunConfig
    from lima_train.export import export_checkpoint
    from lima_train.model import add_eot, resize_for_eot, set_generation_defaults, write_recipe_note

    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    eot = add_eot(tokenizer, "<EOT>")
    model = LlamaForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    resize_for_eot(model, len(tokenizer))
    config = RunConfig(max_length=256)
    set_generation_defaults(model, config, eot, tokenizer)
    model.config.use_cache = False  # as training leaves it
    ids, labels = encode_turns(SINGLE, tokenizer, eot)
    batch = {"input_ids": torch.tensor([ids]), "labels": torch.tensor([labels])}
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(60):
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    assert loss.item() < 0.05
    run = tmp_path_factory.mktemp("run")
    checkpoint = run / "checkpoints" / "checkpoint-1"
    model.save_pretrained(checkpoint)
    tokenizer.save_pretrained(checkpoint)
    write_recipe_note(run, config, eot)
    return export_checkpoint(checkpoint, run / "export")


def test_export_chats_through_the_template_and_stops_at_eot(export):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    config = json.loads((export / "config.json").read_text())
    assert config["use_cache"] is True
    tokenizer = AutoTokenizer.from_pretrained(export)
    eot = tokenizer.convert_tokens_to_ids("<EOT>")
    assert tokenizer.eos_token == "<EOT>" and (export / "chat_template.jinja").is_file()
    assert json.loads((export / "generation_config.json").read_text())["eos_token_id"][0] == eot
    model = AutoModelForCausalLM.from_pretrained(export)
    assert model.config.use_cache is True
    prompt = tokenizer.apply_chat_template(
        as_messages(SINGLE[:1]), add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    with torch.no_grad():
        out = model.generate(**prompt, do_sample=False, max_new_tokens=40)
    new = out[0, prompt["input_ids"].shape[1] :].tolist()
    assert new[-1] == eot and len(new) < 40  # stopped at EOT by the saved generation config
    assert tokenizer.decode(new, skip_special_tokens=True) == SINGLE[1][1]


def test_trl_sft_trainer_takes_the_exported_tokenizer(export, tmp_path):
    pytest.importorskip("trl")
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    tokenizer = AutoTokenizer.from_pretrained(export)
    eot = tokenizer.convert_tokens_to_ids("<EOT>")
    data = Dataset.from_list([{"messages": as_messages(turns)} for turns in (SINGLE, MULTI, SYSTEM)])
    args = SFTConfig(output_dir=str(tmp_path / "sft"), max_steps=1, per_device_train_batch_size=3, report_to=[], use_cpu=True)
    trainer = SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(export), args=args, train_dataset=data, processing_class=tokenizer
    )
    # TRL tokenises through the template: the very ids lima-train trains on, no EOS appended after EOT
    assert [row["input_ids"] for row in trainer.train_dataset] == [
        encode_turns(turns, tokenizer, eot)[0] for turns in (SINGLE, MULTI, SYSTEM)
    ]
    assert trainer.train().global_step == 1


# ---- bounded inputs ---------------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="peak RSS is measured through Linux's /proc")
def test_a_100_mb_example_is_cut_before_tokenising_in_little_memory(tiny_dir, tmp_path):
    manifest = tmp_path / "manifest.jsonl"
    huge = "The river is green and the stone is grey. " * (100 * 2**20 // 43)
    lines = [
        {
            "id": "huge",
            "source": "authored",
            "subset": "authored",
            "meta": {},
            "messages": as_messages([("user", "Why?"), ("assistant", huge)]),
        },
        {"id": "small", "source": "authored", "subset": "authored", "meta": {}, "messages": as_messages(SINGLE)},
    ]
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    del huge, lines
    child = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from transformers import AutoTokenizer
        from lima_train.data import encode_manifest, read_manifest
        from lima_train.model import add_eot
        tokenizer = AutoTokenizer.from_pretrained({str(tiny_dir)!r})
        eot = add_eot(tokenizer, "<EOT>")
        tokenizer("warm up " * 100)
        def kib(field):
            return int(next(l for l in open("/proc/self/status") if l.startswith(field)).split()[1])
        Path("/proc/self/clear_refs").write_text("5")  # peak RSS (VmHWM) restarts from the current RSS
        before = kib("VmRSS:")
        cut = []
        encoded, dropped = encode_manifest(read_manifest(Path({str(manifest)!r})), tokenizer, eot, 256, cut_ids=cut)
        grew = (kib("VmHWM:") - before) / 1024
        print(json.dumps({{"grew_mb": grew, "cut": cut, "lengths": [len(e["input_ids"]) for e in encoded]}}))
        """
    )
    result = subprocess.run([sys.executable, "-c", child], cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["cut"] == ["huge"] and report["lengths"][0] == 256
    assert "1 example(s) longer than 8192 characters cut to that length before tokenising (first: huge)" in result.stderr
    assert report["grew_mb"] < 400, report  # the line and its parsed text (~100 MB each), not the tokens
    print(f"peak RSS grew {report['grew_mb']:.0f} MB reading and encoding a 100 MB example")


def test_a_cut_example_trains_on_the_same_ids_as_uncut(bpe):
    tokenizer, eot = bpe
    from lima_train.data import Example

    long = Example("long", (("user", "Why?"), ("assistant", "The sky is blue. " * 2000)))
    cut: list[str] = []
    (capped,), _ = encode_manifest([long], tokenizer, eot, 64, cut_ids=cut)
    (whole,), _ = encode_manifest([long], tokenizer, eot, 64, max_chars=10**9)
    assert cut == ["long"] and capped == whole and len(capped["input_ids"]) == 64
