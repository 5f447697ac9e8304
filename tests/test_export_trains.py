"""LIMA's own release trains once imported: GAIR/lima's line 1022 ends on a user turn, which lima-train
refuses; `import` keeps the chain up to its last answer, and lima-train's data path (reading, encoding,
the packing collator, one forward and backward pass of its tiny model) takes the imported manifest.

A full `lima-train run` of the tiny model takes over a minute on a CPU (measured: 77 s for one epoch
of 8 examples), so the test stops at the first gradient: everything the Trainer adds is tested in
tests/test_train_*.py on manifests that end with their answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from train_helpers import tiny_model

from lima_curate import formats
from lima_train.errors import InputError as TrainInputError

pytest.importorskip("torch")
pytest.importorskip("transformers")

# A GAIR/lima train.jsonl in miniature: single-turn rows of three sources and a five-turn chain that
# ends on the user's turn, as the release's line 1022 does.
ROWS = [
    {"conversations": ["What colour is the sky?", "The sky is blue. It is blue like the sky."], "source": "stackexchange"},
    {"conversations": ["How to plant a garden?", "Dig the garden. Plant the seeds in the garden."], "source": "wikihow"},
    {"conversations": ["[WP] A river speaks.", "The river is green. It is green like the stone."], "source": "writingprompts"},
    {
        "conversations": [
            "What colour is the apple?",
            "The apple is red.",
            "And the bird?",
            "The bird is yellow.",
            "And the road?",
        ],
        "source": "multi_turn",
    },
]


def write_gair(path: Path) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    return path


def test_the_release_as_it_is_stops_lima_train_at_the_unanswered_chain(tmp_path):
    from lima_train.data import read_manifest

    lines = [
        json.dumps({"schema": 1, **example})  # the file read faithfully, with nothing trimmed
        for example in formats.read_examples(write_gair(tmp_path / "train.jsonl"))
    ]
    raw = tmp_path / "raw.jsonl"
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TrainInputError, match=r"raw.jsonl:4: the last message must be the assistant's"):
        read_manifest(raw)


def test_an_imported_gair_file_trains_with_lima_train(tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, DataCollatorWithFlattening

    from lima_train.config import RunConfig
    from lima_train.data import IGNORE_INDEX
    from lima_train.model import prepare_for_training
    from lima_train.run import encoded_dataset

    imported = formats.import_file(write_gair(tmp_path / "train.jsonl"), tmp_path / "lima")
    assert imported.card["imported"]["trimmed"] == ["gair/multi_turn/4"]

    model_dir = tiny_model(tmp_path / "tiny", max_length=256)
    config = RunConfig(manifest=str(imported.manifest), out=str(tmp_path / "run"), base_model=str(model_dir), max_length=256)
    tokenizer, eot_id, dataset, dropped = encoded_dataset(config)
    assert (len(dataset), dropped) == (4, 0)
    chain = dataset[3]
    answer_ids = [i for i, label in zip(chain["input_ids"], chain["labels"]) if label != IGNORE_INDEX]
    assert tokenizer.decode(answer_ids).count("<EOT>") == 2  # both answers learnt, each with its EOT
    assert chain["input_ids"][-1] == eot_id and chain["labels"][-1] == eot_id  # it ends on an answer

    batch = DataCollatorWithFlattening(return_position_ids=True)(dataset)  # lima-train's packing collator
    model = prepare_for_training(AutoModelForCausalLM.from_pretrained(model_dir), tokenizer, config, eot_id)
    loss = model(**batch, use_cache=False).loss
    loss.backward()
    assert torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
