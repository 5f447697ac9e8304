"""Training throughput: lima-train's training loop against a plain HF Trainer and TRL's SFTTrainer, side by side.

The three train the same randomly initialised LLaMA-architecture model (SDPA attention, float32, one
process, no DeepSpeed) on the same examples, at equal tokens per optimizer step:

- plain:      transformers.Trainer, its default random sampler and DataCollatorForSeq2Seq (each
              micro-batch padded to its longest example), `--global-batch` examples a step;
- lima-train: the Trainer of lima_train.trainer (lima_train/batching.py: every example once an epoch,
              steps of `--global-batch` examples, micro-batches packed best-fit decreasing into rows no
              longer than their longest example, positions restarting per example);
- trl:        trl.SFTTrainer with packing="bfd": rows of `--max-length`, one row per micro-batch (TRL
              flattens a micro-batch of several rows into one longer row, which SDPA pays for quadratically),
              as many micro-batches a step as hold the same tokens as the others' steps.

A fourth line, `bare`, is the machine's own ceiling at lima-train's shapes: forward, backward and a
torch AdamW step on the very tensors lima-train's collator produced, with no Trainer around them.

Reported per run: tokens/s (real answer-and-prompt tokens, no padding, per second of wall time after
the first step), tokens computed (the batch tensors' size), attention cells (the sum over rows of the
row length squared: what SDPA computes), tokens per step; the best of `--repeats` repeats, the runs of
a repeat interleaved, with `uptime`'s load average beside each repeat. Target: lima-train >= 1.2x TRL.

By default the examples are synthetic token ids whose prompt and response lengths follow the LIMA
table (mean input/output tokens per subset, log-normal spread), scaled by --length-scale and trimmed
to --max-length. --manifest encodes a real manifest instead (a tokenizer trained on it, as
`--model tiny` does).

    python benchmarks/train_throughput.py --manifest manifests/sample/manifest.jsonl
    python benchmarks/train_throughput.py                       # synthetic LIMA-like lengths
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lima_curate.stats_compare import LIMA_TABLE1  # noqa: E402  (the paper's Table 1, one copy in the project)

# LIMA's training set (Zhou et al. 2023, table 1): examples, mean input tokens, mean output tokens.
LIMA_SUBSETS = LIMA_TABLE1
VOCAB = 2000
RUNS = ("plain", "lima-train", "trl", "bare")


def synthetic_examples(count: int, scale: float, max_length: int, seed: int) -> list[dict]:
    """Token-id examples with LIMA's length mix: <s> prompt EOT response EOT, loss on the response."""
    import random

    rng = random.Random(seed)
    pool = [name for name, (n, _, _) in sorted(LIMA_SUBSETS.items()) for _ in range(n)]
    eot, bos = VOCAB - 1, 1
    examples = []
    for _ in range(count):
        _, mean_in, mean_out = LIMA_SUBSETS[rng.choice(pool)]
        prompt = max(1, round(rng.lognormvariate(math.log(mean_in * scale) - 0.18, 0.6)))
        response = max(1, round(rng.lognormvariate(math.log(mean_out * scale) - 0.18, 0.6)))
        ids = [bos] + [rng.randrange(3, VOCAB - 1) for _ in range(prompt)] + [eot]
        answer = [rng.randrange(3, VOCAB - 1) for _ in range(response)] + [eot]
        input_ids = (ids + answer)[:max_length]
        labels = ([-100] * len(ids) + answer)[:max_length]
        examples.append({"input_ids": input_ids, "labels": labels})
    return examples


def manifest_examples(path: Path, max_length: int) -> list[dict]:
    """A real manifest encoded as lima-train encodes it, with a tokenizer trained on it (VOCAB ids)."""
    from lima_train.data import encode_manifest, read_manifest
    from lima_train.model import add_eot, train_tiny_tokenizer

    examples = read_manifest(path)
    tokenizer = train_tiny_tokenizer([c for e in examples for _, c in e.messages], VOCAB - 1)
    eot = add_eot(tokenizer, "<EOT>")
    return encode_manifest(examples, tokenizer, eot, max_length)[0]


def model_for(hidden: int, layers: int, max_length: int, seed: int):
    """The same random LLaMA for every run (same seed, same weights)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=hidden,
        intermediate_size=hidden * 4 // 3 * 2,
        num_hidden_layers=layers,
        num_attention_heads=max(1, hidden // 64),
        num_key_value_heads=max(1, hidden // 64),
        max_position_embeddings=max_length,
        pad_token_id=0,
    )
    config._attn_implementation = "sdpa"
    return LlamaForCausalLM(config)


def pad_tokenizer():
    """A minimal tokenizer object for padding (pad id 0): DataCollatorForSeq2Seq and SFTTrainer ask for one."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel({f"t{i}": i for i in range(VOCAB)}, unk_token="t2"))
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="t0", unk_token="t2", eos_token="t1")


class Counting:
    """Wrap a collator: per batch, real tokens, tokens computed, attention cells, and the batch itself."""

    def __init__(self, collate):
        self.collate = collate
        self.batches: list[tuple[int, int, int]] = []
        self.tensors: list[dict] = []

    def __call__(self, features):
        batch = self.collate(features)
        self.batches.append(batch_cost(batch, sum(len(f["input_ids"]) for f in features)))
        self.tensors.append(batch)
        return batch


def batch_cost(batch, real: int) -> tuple[int, int, int]:
    """(real tokens, tokens computed, attention cells: rows x row length squared) of one collated batch."""
    rows, width = batch["input_ids"].shape
    return real, rows * width, rows * width**2


def step_timer():
    """A callback recording the wall time at the end of every optimizer step."""
    from transformers import TrainerCallback

    class StepTimes(TrainerCallback):
        def __init__(self):
            self.ends: list[float] = []

        def on_step_end(self, args, state, control, **kwargs):
            self.ends.append(time.perf_counter())

    return StepTimes()


def train_run(kind: str, examples, options, tokens_per_step: float) -> dict:
    """Train `options.steps` steps with one of the three trainers; time every step after the first."""
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

    from lima_train.trainer import make_trainer

    micro, accum = options.micro_batch, options.global_batch // options.micro_batch
    common = dict(
        max_steps=options.steps,
        learning_rate=1e-5,
        lr_scheduler_type="constant",
        optim="adamw_torch",
        report_to=[],
        save_strategy="no",
        logging_strategy="no",
        seed=options.seed,
        use_cpu=True,
        disable_tqdm=True,
        gradient_accumulation_steps=accum,
    )
    from lima_train.batching import best_fit_decreasing

    lengths = [len(e["input_ids"]) for e in examples]
    row_tokens = sum(lengths) / len(best_fit_decreasing(lengths, options.max_length))  # TRL's rows, the same rule
    trl_accum = max(1, round(tokens_per_step / row_tokens))
    model = model_for(options.hidden, options.layers, options.max_length, options.seed)
    timer = step_timer()
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "trl":
            import datasets
            from trl import SFTConfig, SFTTrainer

            # one packed row of max_length per micro-batch (more would be flattened into one longer row,
            # quadratic on SDPA), and as many micro-batches a step as hold the others' tokens per step
            config = SFTConfig(
                output_dir=tmp,
                per_device_train_batch_size=1,
                max_length=options.max_length,
                packing=True,
                packing_strategy="bfd",
                dataset_num_proc=None,
                gradient_checkpointing=False,  # SFTConfig's default is on; no other run recomputes activations
                bf16=False,  # SFTConfig's default is bf16 autocast, many times slower on a CPU; every run here is fp32
                **{**common, "gradient_accumulation_steps": trl_accum},
            )
            table = datasets.Dataset.from_list([{"input_ids": e["input_ids"], "labels": e["labels"]} for e in examples])
            trainer = SFTTrainer(
                model=model, args=config, train_dataset=table, processing_class=pad_tokenizer(), callbacks=[timer]
            )
        else:
            training = TrainingArguments(
                output_dir=tmp,
                per_device_train_batch_size=micro,
                remove_unused_columns=False,
                dataloader_drop_last=False,
                **common,
            )
            if kind == "plain":
                collator = DataCollatorForSeq2Seq(pad_tokenizer(), padding="longest")
                trainer = Trainer(model=model, args=training, train_dataset=examples, data_collator=collator, callbacks=[timer])
            else:
                trainer = make_trainer(model, training, examples, None, 1e-6, [timer])
        counting = Counting(trainer.data_collator)
        trainer.data_collator = counting
        trainer.train()
    per_step = trl_accum if kind == "trl" else accum
    return summarise(kind, counting.batches, per_step, timer.ends, options.steps) | {
        "_tensors": counting.tensors,
        "_costs": counting.batches,
    }


def bare_run(batches: list[dict], costs, options) -> dict:
    """Forward, backward and AdamW on lima-train's own tensors with no Trainer: this machine's ceiling at those shapes."""
    import torch

    model = model_for(options.hidden, options.layers, options.max_length, options.seed)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    accum = options.global_batch // options.micro_batch
    ends = []
    for step in range(options.steps):
        group = batches[step * accum : (step + 1) * accum]
        items = sum(int(b["labels"][:, 1:].ne(-100).sum()) for b in group)
        for batch in group:
            model(**batch, use_cache=False, num_items_in_batch=items).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        ends.append(time.perf_counter())
    return summarise("bare", costs, accum, ends, options.steps)


def summarise(kind: str, batches, accum: int, ends: list[float], steps: int) -> dict:
    """Figures over the timed steps (every step after the first)."""
    timed = batches[accum : steps * accum]
    real = sum(b[0] for b in timed)
    seconds = ends[steps - 1] - ends[0]
    return {
        "run": kind,
        "steps_timed": steps - 1,
        "real_tokens": real,
        "computed_tokens": sum(b[1] for b in timed),
        "attention_cells": sum(b[2] for b in timed),
        "tokens_per_step": round(real / (steps - 1)),
        "seconds": round(seconds, 3),
        "tokens_per_s": round(real / seconds, 1),
    }


def load_average() -> str:
    """`uptime`'s 1-minute load average (other work on the machine slows every run)."""
    return f"{os.getloadavg()[0]:.2f}"


def main(argv=None) -> dict:
    """Run the three trainers (and the bare ceiling) `--repeats` times, print the best of each and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, help="encode this manifest instead of synthetic LIMA-like data")
    parser.add_argument("--examples", type=int, default=400)
    parser.add_argument("--length-scale", type=float, default=0.5, help="scale LIMA's mean lengths (CPU budget)")
    parser.add_argument("--max-length", type=int, default=2048)
    parser.add_argument("--global-batch", type=int, default=16)
    parser.add_argument("--micro-batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args(argv)

    os.environ.setdefault("OMP_NUM_THREADS", str(options.threads))
    import torch

    torch.set_num_threads(options.threads)
    if options.manifest:
        examples = manifest_examples(options.manifest, options.max_length)
    else:
        examples = synthetic_examples(options.examples, options.length_scale, options.max_length, options.seed)
    lengths = sorted(len(e["input_ids"]) for e in examples)
    mean = sum(lengths) / len(lengths)
    tokens_per_step = options.global_batch * mean
    print(
        f"{options.manifest or 'synthetic LIMA-like'}: {len(examples)} examples, tokens per example: median "
        f"{lengths[len(lengths) // 2]}, max {lengths[-1]}, mean {mean:.0f}; global batch {options.global_batch} "
        f"(micro-batch {options.micro_batch}), max length {options.max_length}, model h{options.hidden} x "
        f"{options.layers} layers, {options.threads} thread(s), {options.steps} steps x {options.repeats} repeats"
    )
    repeats = []
    for repeat in range(options.repeats):
        load_before = load_average()
        results = {kind: train_run(kind, examples, options, tokens_per_step) for kind in RUNS[:3]}
        ours = results["lima-train"]
        results["bare"] = bare_run(ours["_tensors"], ours["_costs"], options)
        for kind in RUNS[:3]:
            results[kind].pop("_tensors")
            results[kind].pop("_costs")
        load = f"{load_before}-{load_average()}"
        print(f"repeat {repeat + 1}: load {load}; " + ", ".join(f"{k} {r['tokens_per_s']:.0f}" for k, r in results.items()))
        repeats.append({"load": load, "results": results})
    best = {kind: max((r["results"][kind] for r in repeats), key=lambda x: x["tokens_per_s"]) for kind in RUNS}
    ratios = {
        "lima-train/trl": round(best["lima-train"]["tokens_per_s"] / best["trl"]["tokens_per_s"], 3),
        "lima-train/plain": round(best["lima-train"]["tokens_per_s"] / best["plain"]["tokens_per_s"], 3),
        "lima-train/bare": round(best["lima-train"]["tokens_per_s"] / best["bare"]["tokens_per_s"], 3),
    }
    print(f"best of {options.repeats}:")
    print(
        f"{'run':<12}{'tokens/s':>10}{'tokens/step':>13}{'computed':>10}{'efficiency':>12}{'attention cells':>17}{'seconds':>9}"
    )
    for kind in RUNS:
        r = best[kind]
        print(
            f"{kind:<12}{r['tokens_per_s']:>10.1f}{r['tokens_per_step']:>13}{r['computed_tokens']:>10}"
            f"{r['real_tokens'] / r['computed_tokens']:>12.1%}{r['attention_cells']:>17,}{r['seconds']:>9.2f}"
        )
    met = ratios["lima-train/trl"] >= 1.2
    print(
        f"lima-train / TRL: {ratios['lima-train/trl']:.2f}x, / plain: {ratios['lima-train/plain']:.2f}x, "
        f"/ bare ceiling: {ratios['lima-train/bare']:.2f}x (target >= 1.2x TRL: {'met' if met else 'NOT met'}); "
        f"load averages {', '.join(r['load'] for r in repeats)}"
    )
    summary = {"best": best, "ratios": ratios, "target_met": met, "repeats": repeats}
    if options.json:
        options.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
