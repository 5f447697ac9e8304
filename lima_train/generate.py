"""Answer prompts with a model: the per-epoch dev generations and `lima-train generate`.

Decoding follows the run's settings (LIMA's by default: top-p 0.9, temperature 0.7, repetition
penalty 1.2, see config.RunConfig) and stops at EOT. The prompt comes first: it keeps all its tokens
up to the context (`max_length`) less a small reserve for the answer, and the answer gets what is
left, up to `max_new_tokens`. Prompts are answered `batch_size` at a time, in order of length so a
batch pads little. The per-epoch dev answers get a small budget of their own (`dev_max_new_tokens`,
256 by default) so they do not dominate a run; `generate` keeps the run's full `gen_max_new_tokens`.
Under ZeRO-3 every rank takes a share of the prompts and all ranks step together (transformers'
synced generation), then rank 0 gathers the answers.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from .config import CONFIG_NAME, RunConfig, read_run_config
from .data import Example, encode_prompt
from .errors import InputError

# A prompt longer than the context keeps its last tokens and leaves at least this many for the answer.
ANSWER_RESERVE = 64


@dataclass(frozen=True)
class Decoding:
    """How answers are sampled: the run's gen_* settings, a seed, and greedy instead of sampling."""

    top_p: float
    temperature: float
    repetition_penalty: float
    max_new_tokens: int
    batch_size: int
    seed: int = 0
    greedy: bool = False

    @classmethod
    def from_config(cls, config: RunConfig, seed: int = 0, greedy: bool = False) -> Decoding:
        """The decoding a run's settings describe (its per-epoch dev answers, `generate`'s defaults)."""
        return cls(
            config.gen_top_p,
            config.gen_temperature,
            config.gen_repetition_penalty,
            config.answer_tokens(),
            config.gen_batch_size,
            seed,
            greedy,
        )

    @classmethod
    def for_dev(cls, config: RunConfig, seed: int = 0) -> Decoding:
        """The per-epoch dev answers' decoding: the run's, with at most `dev_max_new_tokens` new tokens."""
        decoding = cls.from_config(config, seed)
        return dataclasses.replace(decoding, max_new_tokens=min(config.dev_max_new_tokens, decoding.max_new_tokens))


def prompt_room(max_length: int, max_new_tokens: int) -> int:
    """How many prompt tokens are kept: the whole context less a reserve for the answer."""
    return max(1, max_length - min(max_new_tokens, ANSWER_RESERVE))


def answer_budget(prompt_tokens: int, max_length: int, max_new_tokens: int) -> int:
    """New tokens allowed after a prompt: what the context has left, at most `max_new_tokens`."""
    return max(1, min(max_new_tokens, max_length - prompt_tokens))


def answer(model, tokenizer, eot_id: int, prompts: list[Example], decoding: Decoding, max_length: int) -> list[dict]:
    """Generate an answer to each prompt; returns records in the manifest's line format, in the prompts' order.

    Batches take the prompts shortest first, so the left padding of a batch stays small.
    """
    import torch

    device = next(model.parameters()).device
    room = prompt_room(max_length, decoding.max_new_tokens)
    encoded = [encode_prompt(example.messages, tokenizer, eot_id, room) for example in prompts]
    order = sorted(range(len(prompts)), key=lambda index: len(encoded[index]))
    records: list[dict | None] = [None] * len(prompts)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), torch.no_grad():
        torch.manual_seed(decoding.seed)
        for start in range(0, len(order), decoding.batch_size):
            batch = order[start : start + decoding.batch_size]
            answers = _answer_batch(
                model, tokenizer, eot_id, [prompts[i] for i in batch], [encoded[i] for i in batch], decoding, max_length, device
            )
            for index, record in zip(batch, answers):
                records[index] = record
    return records


def _answer_batch(model, tokenizer, eot_id, batch, encoded, decoding, max_length, device) -> list[dict]:
    import torch

    width = max(len(ids) for ids in encoded)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eot_id
    input_ids = torch.tensor([[pad_id] * (width - len(ids)) + ids for ids in encoded], device=device)
    attention_mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in encoded], device=device)
    if decoding.greedy:
        sampling = {"do_sample": False, "top_p": None, "temperature": None}
    else:
        sampling = {"do_sample": True, "top_p": decoding.top_p, "temperature": decoding.temperature}
    output = model.generate(
        input_ids=input_ids,
        attention_mask=attention_mask,
        max_new_tokens=answer_budget(width, max_length, decoding.max_new_tokens),
        repetition_penalty=decoding.repetition_penalty,
        eos_token_id=eot_id,
        pad_token_id=pad_id,
        **sampling,
    )
    records = []
    for example, row in zip(batch, output[:, width:].tolist()):
        stopped = eot_id in row
        tokens = row[: row.index(eot_id)] if stopped else row
        text = tokenizer.decode(tokens, skip_special_tokens=True).strip()
        messages = [{"role": role, "content": content} for role, content in example.messages]
        records.append(
            {
                "id": example.id,
                "messages": messages + [{"role": "assistant", "content": text}],
                "meta": {"new_tokens": len(tokens) + int(stopped), "stopped_at_eot": stopped},
            }
        )
    return records


def answer_distributed(model, tokenizer, eot_id, prompts, decoding, max_length) -> list[dict] | None:
    """Split prompts over the ranks; every rank must call this. Rank 0 gets all answers, others None."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return answer(model, tokenizer, eot_id, prompts, decoding, max_length)
    rank, world = dist.get_rank(), dist.get_world_size()
    share = prompts[rank::world]
    # ZeRO-3 ranks must run the same number of generate calls: pad the share with a repeat.
    rounds = -(-len(prompts) // world)
    padded = share + [prompts[0]] * (rounds - len(share))
    local = answer(model, tokenizer, eot_id, padded, dataclasses.replace(decoding, seed=decoding.seed + rank), max_length)[
        : len(share)
    ]
    gathered = [None] * world if rank == 0 else None
    dist.gather_object(local, gathered, dst=0)
    if rank != 0:
        return None
    by_position = {}
    for source_rank, records in enumerate(gathered):
        for offset, record in enumerate(records):
            by_position[source_rank + offset * world] = record
    return [by_position[index] for index in range(len(prompts))]


def run_settings_of(checkpoint: Path) -> RunConfig | None:
    """The settings of the run a checkpoint (or final/, or an export beside them) came from, if found."""
    for directory in (checkpoint, checkpoint.parent, checkpoint.parent.parent):
        if (directory / CONFIG_NAME).is_file():
            return read_run_config(directory)
    return None


def saved_decoding(checkpoint: Path, seed: int = 0) -> tuple[Decoding, int | None]:
    """Decoding for `lima-train generate` and the context length it answers within.

    LIMA's defaults, then the run's settings where the run directory is found, then the checkpoint's
    own generation_config.json (saved with every checkpoint and export). The context is the run's
    max_length, or None (the model's own) when the run is not found.
    """
    run = run_settings_of(checkpoint)
    decoding = Decoding.from_config(run or RunConfig(), seed)
    path = checkpoint / "generation_config.json"
    if path.is_file():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise InputError(f"{path}: not valid JSON: {error}") from None
        names = ("top_p", "temperature", "repetition_penalty", "max_new_tokens")
        changes = {name: saved[name] for name in names if saved.get(name) is not None}
        if saved.get("do_sample") is False:
            changes["greedy"] = True
        decoding = dataclasses.replace(decoding, **changes)
    return decoding, (run.max_length if run else None)


def generate_file(checkpoint: Path, prompts: list[Example], decoding: Decoding, max_length: int | None = None):
    """Load a checkpoint as a plain model and answer prompts (the `generate` command)."""
    from .model import load_for_inference

    model, tokenizer, eot_id = load_for_inference(checkpoint)
    limit = max_length or getattr(model.config, "max_position_embeddings", RunConfig().max_length)
    records = answer(model, tokenizer, eot_id, prompts, decoding, limit)
    for record in records:
        record["meta"]["checkpoint"] = str(checkpoint)
    return records
