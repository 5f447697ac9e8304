"""Training throughput: lima-train's packed, length-balanced batches against a plain HF Trainer run.

Both runs train the same randomly initialised LLaMA-architecture model on the same examples with
the same micro-batch size, one process, no DeepSpeed, so the batching is the only difference:

- plain:      transformers.Trainer with its default random sampler and DataCollatorForSeq2Seq
              (each micro-batch padded to its longest example);
- lima-train: the Trainer of lima_train.trainer (BatchRebalanceSampler + DataCollatorWithFlattening:
              the micro-batch packed into one row, positions restarting at every example).

Reported per run: tokens/s (real, unpadded tokens trained per second of wall time after a first
warm-up step) and padding efficiency (real tokens / tokens in the batch tensors). Targets:
efficiency >= 95% and tokens/s >= 1.2x plain.

By default the examples are synthetic token ids whose prompt and response lengths follow the LIMA
table (mean input/output tokens per subset, log-normal spread), scaled by --length-scale and trimmed
to --max-length like the real recipe. --manifest encodes a real manifest instead (with a tokenizer
trained on it).

    python benchmarks/train_throughput.py                      # ~2-4 minutes on one CPU core
    python benchmarks/train_throughput.py --manifest manifests/sample/manifest.jsonl
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
    from lima_train.data import encode_manifest, read_manifest
    from lima_train.model import add_eot, train_tiny_tokenizer

    examples = read_manifest(path)
    tokenizer = train_tiny_tokenizer([c for e in examples for _, c in e.messages], VOCAB - 1)
    eot = add_eot(tokenizer, "<EOT>")
    return encode_manifest(examples, tokenizer, eot, max_length)[0]


def model_for(vocab: int, hidden: int, layers: int, max_length: int, seed: int):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=hidden,
        intermediate_size=hidden * 4 // 3 * 2,
        num_hidden_layers=layers,
        num_attention_heads=max(1, hidden // 64),
        num_key_value_heads=max(1, hidden // 64),
        max_position_embeddings=max_length,
    )
    config._attn_implementation = "sdpa"
    return LlamaForCausalLM(config)


def pad_tokenizer(vocab: int):
    """A minimal tokenizer object for DataCollatorForSeq2Seq's padding (pad id 0)."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel({f"t{i}": i for i in range(vocab)}, unk_token="t2"))
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="t0", unk_token="t2")


class Counting:
    """Wrap a collator to count real tokens and tokens computed in every batch it makes."""

    def __init__(self, collate):
        self.collate = collate
        self.batches: list[tuple[int, int]] = []

    def __call__(self, features):
        batch = self.collate(features)
        real = sum(len(f["input_ids"]) for f in features)
        self.batches.append((real, batch["input_ids"].numel()))
        return batch


def timed_callback():
    from transformers import TrainerCallback

    class StepTimes(TrainerCallback):
        def __init__(self):
            self.ends: list[float] = []

        def on_step_end(self, args, state, control, **kwargs):
            self.ends.append(time.perf_counter())

    return StepTimes()


def measure(kind: str, examples, args, steps: int, micro_batch: int, seed: int, model_settings) -> dict:
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

    from lima_train.trainer import make_trainer

    with tempfile.TemporaryDirectory() as tmp:
        training = TrainingArguments(
            output_dir=tmp,
            per_device_train_batch_size=micro_batch,
            max_steps=steps,
            learning_rate=1e-5,
            lr_scheduler_type="constant",
            optim="adamw_torch",
            report_to=[],
            save_strategy="no",
            logging_strategy="no",
            seed=seed,
            use_cpu=True,
            remove_unused_columns=False,
            dataloader_drop_last=False,
            disable_tqdm=True,
        )
        model = model_for(*model_settings)
        timer = timed_callback()
        if kind == "plain":
            collator = Counting(DataCollatorForSeq2Seq(pad_tokenizer(VOCAB), padding="longest"))
            trainer = Trainer(model=model, args=training, train_dataset=examples, data_collator=collator, callbacks=[timer])
        else:
            trainer = make_trainer(model, training, examples, None, 1e-6, [timer])
            collator = Counting(trainer.data_collator)
            trainer.data_collator = collator
        trainer.train()
    # skip the first step (warm-up); the dataloader makes one batch per step here
    real = sum(r for r, _ in collator.batches[1:steps])
    computed = sum(c for _, c in collator.batches[1:steps])
    seconds = timer.ends[steps - 1] - timer.ends[0]
    return {
        "run": kind,
        "steps_timed": steps - 1,
        "real_tokens": real,
        "computed_tokens": computed,
        "seconds": round(seconds, 3),
        "tokens_per_s": round(real / seconds, 1),
        "padding_efficiency": round(real / computed, 4),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, help="encode this manifest instead of synthetic LIMA-like data")
    parser.add_argument("--examples", type=int, default=400)
    parser.add_argument("--length-scale", type=float, default=0.5, help="scale LIMA's mean lengths (CPU budget)")
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--micro-batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=10)
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
    print(
        f"{len(examples)} examples, tokens per example: median {lengths[len(lengths) // 2]}, "
        f"max {lengths[-1]}, mean {sum(lengths) / len(lengths):.0f}; micro-batch {options.micro_batch}, "
        f"model h{options.hidden} x {options.layers} layers, {options.threads} thread(s)"
    )
    model_settings = (VOCAB, options.hidden, options.layers, options.max_length, options.seed)
    results = [
        measure(kind, examples, options, options.steps, options.micro_batch, options.seed, model_settings)
        for kind in ("plain", "lima-train")
    ]
    plain, ours = results
    summary = {
        "runs": results,
        "speedup_tokens_per_s": round(ours["tokens_per_s"] / plain["tokens_per_s"], 3),
        "efficiency_gain": round(ours["padding_efficiency"] / plain["padding_efficiency"], 3),
        "targets_met": ours["padding_efficiency"] >= 0.95 and ours["tokens_per_s"] >= 1.2 * plain["tokens_per_s"],
    }
    print(f"{'run':<12}{'tokens/s':>12}{'padding efficiency':>22}{'real tokens':>14}{'seconds':>10}")
    for r in results:
        print(
            f"{r['run']:<12}{r['tokens_per_s']:>12.1f}{r['padding_efficiency']:>21.1%}{r['real_tokens']:>14}{r['seconds']:>10.2f}"
        )
    print(
        f"lima-train / plain: {summary['speedup_tokens_per_s']:.2f}x tokens/s, "
        f"efficiency {ours['padding_efficiency']:.1%} vs {plain['padding_efficiency']:.1%} "
        f"(targets >= 1.2x and >= 95%: {'met' if summary['targets_met'] else 'NOT met'})"
    )
    if options.json:
        options.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
