"""Answer prompts with a model: the per-epoch dev generations and `lima-train generate`.

Decoding follows the run's settings (LIMA's by default: top-p 0.9, temperature 0.7, repetition
penalty 1.2, see config.RunConfig) and stops at EOT. The prompt comes first: it keeps all its tokens
up to the context (`max_length`) less a small reserve for the answer, and the answer gets what is
left, up to `max_new_tokens`. Prompts are answered `batch_size` at a time, in order of length so a
batch pads little. The per-epoch dev answers get a small budget of their own (`dev_max_new_tokens`,
256 by default) so they do not dominate a run; `generate` keeps the run's full `gen_max_new_tokens`.
Each batch draws from a generator seeded by (seed, the batch's prompt ids), so what a batch samples
never depends on the batches before it. Under ZeRO-3 every rank takes a share of the prompts and all
ranks step together (transformers' synced generation), then rank 0 gathers the answers.

`generate_answers` is the `generate` command's work. With an output file it is resumable: answers
are appended batch by batch (one write and one fsync each) to `.OUT.partial` beside it, whose first
line records the settings (the checkpoint's and prompt file's sha256, the decoding, the batch size,
the context); the same command run again continues after the last whole batch (a torn last line or
a batch cut short is dropped and answered again), and OUT is written in the prompt file's order and
renamed into place only once every prompt is answered. This module is about 545 lines because the
answering loop and the file that makes it resumable share the batch plan and the seeds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .atomic import replaced
from .config import CONFIG_NAME, RunConfig, read_run_config
from .data import Example, canonical_json, encode_prompt, file_sha256
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


def batch_plan(tokenizer, eot_id: int, prompts: list[Example], decoding: Decoding, max_length: int):
    """The prompts' token ids and the batches they are answered in: positions, shortest prompts first.

    Ties keep the file's order, so the plan is a function of the prompts, the tokenizer and the batch
    size alone: a resumed run answers exactly the batches an uninterrupted one would.
    """
    room = prompt_room(max_length, decoding.max_new_tokens)
    encoded = [encode_prompt(example.messages, tokenizer, eot_id, room) for example in prompts]
    order = sorted(range(len(prompts)), key=lambda index: len(encoded[index]))
    return encoded, [order[start : start + decoding.batch_size] for start in range(0, len(order), decoding.batch_size)]


def batch_seed(seed: int, ids) -> int:
    """The seed of one batch, from the run's seed and the batch's prompt ids (64 bits of their sha256)."""
    return int.from_bytes(hashlib.sha256(canonical_json([seed, list(ids)]).encode("utf-8")).digest()[:8], "big")


def answer_batches(
    model, tokenizer, eot_id: int, prompts: list[Example], decoding: Decoding, max_length: int, skip: int = 0
) -> Iterator[tuple[list[int], list[dict]]]:
    """Answer the prompts batch by batch, after the first `skip` batches: (positions in `prompts`, records)."""
    import torch

    device = next(model.parameters()).device
    encoded, batches = batch_plan(tokenizer, eot_id, prompts, decoding, max_length)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), torch.no_grad():
        for batch in batches[skip:]:
            torch.manual_seed(batch_seed(decoding.seed, [prompts[index].id for index in batch]))
            records = _answer_batch(
                model, tokenizer, eot_id, [prompts[i] for i in batch], [encoded[i] for i in batch], decoding, max_length, device
            )
            yield batch, records


def answer(model, tokenizer, eot_id: int, prompts: list[Example], decoding: Decoding, max_length: int) -> list[dict]:
    """Generate an answer to each prompt; returns records in the manifest's line format, in the prompts' order.

    Batches take the prompts shortest first, so the left padding of a batch stays small.
    """
    records: list[dict | None] = [None] * len(prompts)
    for batch, answers in answer_batches(model, tokenizer, eot_id, prompts, decoding, max_length):
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


# ---- `lima-train generate`: provenance, the resumable answers file, progress -----------------------

PARTIAL_FORMAT = 1
# Weight files, in the order they are looked for: whole weights, a LoRA adapter.
WEIGHT_PATTERNS = ("model*.safetensors", "pytorch_model*.bin", "adapter_model.safetensors", "adapter_model.bin")


def partial_path(out: Path) -> Path:
    """Where answers to `out` accumulate until every prompt is answered: `.OUT.partial` beside it."""
    return out.with_name(f".{out.name}.partial")


def weights_sha256(checkpoint: Path) -> str | None:
    """The sha256 of a checkpoint's weights: of its one weights file, or of `sha256sum`'s lines for several.

    Several files (shards, or ZeRO's files when there are no whole weights) give the sha256 of the
    text `sha256sum` prints for them, relative names sorted, so `sha256sum FILES | sha256sum` checks it.
    A file's sha256 is taken from the checkpoint's record (safe_load.RECORD, written when it was saved)
    when the record lists it at its present size; only files it does not list are read. None: no weights.
    """
    from .safe_load import read_record, sha256_of

    files = sorted({path for pattern in WEIGHT_PATTERNS for path in checkpoint.glob(pattern) if path.is_file()})
    latest = checkpoint / "latest"
    if not files and latest.is_file():
        tag = latest.read_text(encoding="utf-8").strip()
        files = sorted(path for path in (checkpoint / tag).rglob("*") if path.is_file())
    if not files:
        return None
    recorded = read_record(checkpoint) or {}
    digests = []
    for path in files:
        name = path.relative_to(checkpoint).as_posix()
        entry = recorded.get(name)
        known = isinstance(entry, dict) and entry.get("bytes") == path.stat().st_size and entry.get("sha256")
        digests.append((name, known or sha256_of(path)))
    if len(digests) == 1:
        return digests[0][1]
    listing = "".join(f"{digest}  {name}\n" for name, digest in digests)
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


def decoding_record(decoding: Decoding) -> dict:
    """The decoding as the answers file records it (the batch size, which does not change answers' meaning, apart)."""
    names = ("top_p", "temperature", "repetition_penalty", "max_new_tokens", "greedy", "seed")
    return {name: getattr(decoding, name) for name in names}


def generator_meta(checkpoint: Path, checkpoint_sha256: str | None, decoding: Decoding, prompts: Path) -> dict:
    """What produced an answer: checkpoint and weights, the run's base model and manifest, decoding, prompt file."""
    run = run_settings_of(checkpoint)
    return {
        "checkpoint": str(checkpoint),
        "checkpoint_sha256": checkpoint_sha256,
        "model": (run.base_model or run.model) if run else None,
        "manifest": (run.manifest or None) if run else None,
        "manifest_sha256": run.manifest_sha256 if run else None,
        "decoding": decoding_record(decoding),
        "prompts": str(prompts),
        "prompts_sha256": file_sha256(prompts),
    }


def generate_answers(
    checkpoint: Path,
    prompts_path: Path,
    prompts: list[Example],
    decoding: Decoding,
    max_length: int | None = None,
    out: Path | None = None,
    restart: bool = False,
    quiet: bool = False,
) -> tuple[list[dict], int]:
    """Answer every prompt with a checkpoint (the `generate` command): the records in the prompts' order.

    With `out` the answers go to `out` through its partial file and a rerun continues where a killed
    one stopped (see the module's docstring); the second value is how many prompts were answered
    before this run (0 without `out`).
    """
    from .model import load_for_inference

    if quiet:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # its "Loading weights" bar
    generator = generator_meta(checkpoint, weights_sha256(checkpoint), decoding, prompts_path)
    settings = {
        "checkpoint_sha256": generator["checkpoint_sha256"],
        "prompts_sha256": generator["prompts_sha256"],
        "decoding": generator["decoding"],
        "batch_size": decoding.batch_size,
        "max_length": max_length,
    }
    partial = _PartialAnswers(partial_path(out), settings, restart) if out else None
    try:
        model, tokenizer, eot_id = load_for_inference(checkpoint)
        limit = max_length or getattr(model.config, "max_position_embeddings", RunConfig().max_length)
        _, batches = batch_plan(tokenizer, eot_id, prompts, decoding, limit)
        done, skip = partial.resume([[prompts[index].id for index in batch] for batch in batches]) if partial else ([], 0)
        position = {example.id: index for index, example in enumerate(prompts)}
        records: list[dict] = [{}] * len(prompts)
        for record in done:
            records[position[record["id"]]] = record
        note = None
        if partial and partial.dropped:
            note = f"{partial.path}: {partial.dropped} line(s) after the last whole batch dropped (a run stopped mid-write)"
        with _Progress(len(prompts), len(done), quiet, note) as progress:
            for batch, answers in answer_batches(model, tokenizer, eot_id, prompts, decoding, limit, skip):
                if partial:
                    partial.append(answers)
                for index, record in zip(batch, answers):
                    records[index] = record
                progress.advance(answers)
        for record in records:
            record["meta"]["generator"] = generator
        if out and partial:
            _write_answers(out, records)
            partial.finish()
        return records, len(done)
    except BaseException:
        if partial:
            partial.discard_if_empty()  # a start that failed (a damaged checkpoint) leaves no partial file behind
        raise
    finally:
        if partial:
            partial.close()


class _PartialAnswers:
    """`.OUT.partial`: a settings line, then answer lines appended batch by batch, each batch one write + fsync.

    The file is locked while a run writes it, so two runs cannot interleave their answers.
    """

    def __init__(self, path: Path, settings: dict, restart: bool):
        self.path, self.dropped, self.torn, self.header_size = path, 0, False, 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = _locked(path)
        if restart:  # only now, under the lock: never the file another run is writing
            self._truncate(0)
        self.handle.seek(0)
        first, *self.lines = self.handle.read().split(b"\n")  # the last item: what follows the last newline
        if not self.lines:  # new, or killed before its settings line was whole
            header = canonical_json({"lima_train_generate": PARTIAL_FORMAT, "settings": settings}) + "\n"
            self._truncate(0)
            self._write(header.encode("utf-8"))
            self.header_size = len(header.encode("utf-8"))
            return
        self.header_size = len(first) + 1
        self.torn = bool(self.lines.pop())  # whole lines only: a torn last line is never read as an answer
        self._check_settings(first, settings)

    def _check_settings(self, first: bytes, settings: dict) -> None:
        try:
            saved = json.loads(first)
        except ValueError:
            saved = None
        if not isinstance(saved, dict) or saved.get("lima_train_generate") != PARTIAL_FORMAT:
            self.close()
            raise InputError(f"{self.path}:1: not a lima-train generate partial file; pass --restart to start over")
        difference = _first_difference(saved.get("settings"), settings)
        if difference:
            self.close()
            raise InputError(
                f"{self.path}: started with other settings ({difference}); run the same command to continue it, "
                "or pass --restart to start over"
            )

    def resume(self, batches: list[list[str]]) -> tuple[list[dict], int]:
        """The answers of the whole batches already written and how many batches that is.

        Batches are written in plan order, so they are a prefix of the file; whatever follows the last
        whole one (a torn line, a batch cut short) is cut off and answered again.
        """
        kept: list[dict] = []
        used = whole = 0
        for ids in batches:
            answers = [_answer_line(line) for line in self.lines[used : used + len(ids)]]
            if [answer["id"] if answer else None for answer in answers] != ids:
                break
            kept.extend(answers)  # type: ignore[arg-type]
            used, whole = used + len(ids), whole + 1
        size = self.header_size + sum(len(line) + 1 for line in self.lines[:used])
        self.dropped = len(self.lines) - used + int(self.torn)
        if self.dropped:
            self._truncate(size)
        return kept, whole

    def append(self, records: list[dict]) -> None:
        """One batch's answers, in one write, on disk before the next batch starts."""
        self._write("".join(canonical_json(record) + "\n" for record in records).encode("utf-8"))

    def finish(self) -> None:
        """Every prompt is answered and the answers file is in place: the partial file goes."""
        self.path.unlink(missing_ok=True)

    def discard_if_empty(self) -> None:
        """Remove the file while it holds no answer: nothing of a failed start stays."""
        if not self.handle.closed and os.fstat(self.handle.fileno()).st_size <= self.header_size:
            self.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Release the lock (closing the file does)."""
        if not self.handle.closed:
            self.handle.close()

    def _write(self, data: bytes) -> None:
        self.handle.write(data)
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def _truncate(self, size: int) -> None:
        self.handle.truncate(size)
        self.handle.flush()
        os.fsync(self.handle.fileno())


def _locked(path: Path) -> BinaryIO:
    """`path` opened for appending and locked by this run alone, or one line saying another run holds it.

    A run that finishes unlinks its partial file while it holds the lock; a file opened before that
    and locked after is no longer at `path`, so it is dropped and `path` opened again.
    """
    import fcntl

    while True:
        handle = path.open("a+b")  # appends always go to the end
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise InputError(f"{path}: another lima-train generate is writing these answers; wait for it to finish") from None
        try:
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                return handle
        except FileNotFoundError:
            pass
        handle.close()


def _answer_line(line: bytes) -> dict | None:
    """An answer line of the partial file, or None for one that is not whole (a crash mid-write)."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not isinstance(record.get("meta"), dict):
        return None
    return record


def _first_difference(saved, wanted: dict, prefix: str = "") -> str | None:
    """`decoding.temperature was 0.7, now 0.5`: the first setting that differs, or None."""
    if not isinstance(saved, dict):
        return f"{prefix or 'settings'} unreadable"
    for key in wanted:
        name = f"{prefix}{key}"
        if isinstance(wanted[key], dict):
            found = _first_difference(saved.get(key), wanted[key], f"{name}.")
            if found:
                return found
        elif saved.get(key) != wanted[key] or key not in saved:
            return f"{name} was {saved.get(key)!r}, now {wanted[key]!r}"
    return None


def _write_answers(out: Path, records: list[dict]) -> None:
    """The answers file, whole or absent: written beside `out`, synced, renamed over it."""
    with replaced(out) as tmp:
        with tmp.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write("".join(canonical_json(record) + "\n" for record in records))
            handle.flush()
            os.fsync(handle.fileno())


class _Progress:
    """answered / total on stderr: a rich bar on a terminal, else a line at most every 10 s (logs), silent if quiet."""

    def __init__(self, total: int, done: int, quiet: bool, note: str | None = None):
        from rich.console import Console

        self.total, self.done, self.quiet, self.note = total, done, quiet, note
        self.console = Console(stderr=True)
        self.bar = None
        self.tokens = 0
        self.started = self.last = time.monotonic()

    def __enter__(self) -> _Progress:
        if self.quiet:
            return self
        if self.note:
            self.console.print(self.note, highlight=False, soft_wrap=True)
        if self.done:
            self.console.print(f"resuming: {self.done} of {self.total} prompts already answered", highlight=False)
        if self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("answering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                console=self.console,
            )  # fmt: skip
            self.bar.start()
            self.task = self.bar.add_task("answering", total=self.total, completed=self.done)
        return self

    def advance(self, records: list[dict]) -> None:
        """Count a batch's answers."""
        self.done += len(records)
        self.tokens += sum(record["meta"]["new_tokens"] for record in records)
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)
        elif time.monotonic() - self.last >= 10 or self.done == self.total:
            self.last = time.monotonic()
            self.console.print(
                f"answered {self.done}/{self.total} ({self.tokens:,} new tokens in {self.last - self.started:.0f} s)",
                highlight=False,
            )

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
