"""A checkpoint as a plain Hugging Face model directory (`lima-train export`, and final/ after a run)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .atomic import replaced, write_atomic
from .errors import InputError
from .model import RECIPE_NAME, has_full_weights, load_for_inference, read_recipe_note

FINAL = "final"
EXPORT_MARKER = "lima_train_export.json"
MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
    "chat_template.jinja",
)


def check_export_target(checkpoint: Path, out_dir: Path) -> None:
    """Refuse an export that would delete the checkpoint itself or a directory it did not write."""
    checkpoint, out_dir = checkpoint.resolve(), out_dir.resolve()
    if checkpoint.is_relative_to(out_dir):
        raise InputError(f"{out_dir}: is or holds the checkpoint {checkpoint}; export to another directory")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / EXPORT_MARKER).is_file():
        raise InputError(f"{out_dir}: not empty and not an earlier lima-train export; export to a new or empty directory")


def export_checkpoint(checkpoint: Path, out_dir: Path) -> Path:
    """A checkpoint as a plain Hugging Face model directory: LoRA merged, no optimizer state.

    Written into a temporary folder beside `out_dir` and renamed into place; an earlier export there
    is replaced, anything else is refused.
    """
    checkpoint, out_dir = checkpoint.resolve(), out_dir.resolve()
    check_export_target(checkpoint, out_dir)
    with replaced(out_dir, directory=True) as folder:
        _write_export(checkpoint, folder)
    return out_dir


def _write_export(checkpoint: Path, folder: Path) -> None:
    if has_full_weights(checkpoint):
        for path in checkpoint.iterdir():
            if path.is_file() and (path.name in MODEL_FILES or path.name.startswith("model")):
                shutil.copy2(path, folder / path.name)
        _serving_config(folder / "config.json")
    else:
        model, tokenizer, _ = load_for_inference(checkpoint, device="cpu")
        model.config.use_cache = True
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
    note = read_recipe_note(checkpoint)
    _chat_tokenizer(folder, note.get("eot_token"))
    if note:
        write_atomic(folder / RECIPE_NAME, json.dumps(note, indent=2, sort_keys=True) + "\n")
    write_atomic(folder / EXPORT_MARKER, json.dumps({"checkpoint": str(checkpoint)}, indent=2) + "\n")


def _serving_config(path: Path) -> None:
    """config.json with the KV cache on: training turns it off (packed rows), generation wants it."""
    if path.is_file():
        config = json.loads(path.read_text(encoding="utf-8"))
        if config.get("use_cache") is not True:
            config["use_cache"] = True
            write_atomic(path, json.dumps(config, indent=2, sort_keys=True) + "\n")


def _chat_tokenizer(folder: Path, eot_token: str | None) -> None:
    """The export's tokenizer with the training format's chat template and EOT as its EOS.

    Checkpoints of this lima-train have them already; one written before the template existed gets
    them here, so every export chats in the format it was trained on.
    """
    from .chat_template import chat_template, install_chat_template

    if not eot_token or not (folder / "tokenizer_config.json").is_file():
        return
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    if tokenizer.chat_template == chat_template(eot_token) and tokenizer.eos_token == eot_token:
        return
    if eot_token not in tokenizer.get_vocab():
        raise InputError(f"{folder}: the tokenizer has no {eot_token!r} token; was it trained with lima-train?")
    install_chat_template(tokenizer, eot_token)
    tokenizer.save_pretrained(folder)
