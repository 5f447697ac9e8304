"""What a run does beside training, as Trainer callbacks: metrics, the partition report, dev answers, checkpoint files."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from .atomic import write_atomic
from .checkpoints import CHECKPOINTS, METRICS, prune_resume_state
from .config import BatchPlan, RunConfig
from .data import write_jsonl_atomic
from .model import count_parameters
from .safe_load import record_checksums

GENERATIONS = "generations"
PARTITION = "partition.json"


def make_callbacks(run_dir: Path, config: RunConfig, tokenizer, eot_id: int, prompts, plan: BatchPlan) -> list:
    """The Trainer callbacks of a run: metrics, the partition report, dev generations, checkpoint files."""
    from transformers import TrainerCallback

    from .generate import Decoding, answer_distributed

    class MetricsLog(TrainerCallback):
        """Append each logged step to metrics.jsonl (rank 0)."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and logs:
                record = {"step": state.global_step, **logs}
                with (run_dir / METRICS).open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record, sort_keys=True) + "\n")

    class PartitionReport(TrainerCallback):
        """Record how many parameters each rank holds: under ZeRO-3 each holds only a shard."""

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            report = {**partition_report(model), "batch": dataclasses.asdict(plan)}
            if state.is_world_process_zero:
                write_atomic(run_dir / PARTITION, json.dumps(report, indent=2, sort_keys=True) + "\n")

    class DevGenerations(TrainerCallback):
        """Answer the dev prompts after every epoch, for choosing a checkpoint by hand, with one progress line.

        Each answer gets at most `dev_max_new_tokens` (256) new tokens, so the answers cost seconds
        to minutes per epoch, not the hours of LIMA's 2,048 on every prompt.
        """

        def on_epoch_end(self, args, state, control, model=None, **kwargs):
            if not prompts:
                return
            epoch = int(round(state.epoch))
            decoding = Decoding.for_dev(config, seed=config.seed + epoch)
            was_training = model.training
            model.eval()
            started = time.monotonic()
            records = answer_distributed(model, tokenizer, eot_id, prompts, decoding, config.max_length)
            model.train(was_training)
            if records is not None:
                checkpoint = f"{CHECKPOINTS}/checkpoint-{state.global_step}"
                for record in records:
                    record["meta"].update({"epoch": epoch, "step": state.global_step, "checkpoint": checkpoint})
                path = run_dir / GENERATIONS / f"epoch-{epoch:02d}.jsonl"
                write_jsonl_atomic(path, records)
                progress(dev_progress_line(epoch, records, decoding.max_new_tokens, time.monotonic() - started, path))

    class CheckpointFiles(TrainerCallback):
        """Put the generation defaults beside the new checkpoint's weights; drop older resume state.

        Runs once the checkpoint is complete (its trainer state written), so a kill at any moment
        leaves at least one checkpoint a resume can start from.
        """

        def on_save(self, args, state, control, model=None, **kwargs):
            checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if state.is_world_process_zero:
                model.generation_config.save_pretrained(checkpoint)
            _barrier()  # every rank's own files (its RNG state) are on disk before they are summed
            if state.is_world_process_zero:
                record_checksums(checkpoint)  # last: with it the checkpoint counts as complete
                prune_resume_state(run_dir)

    return [MetricsLog(), PartitionReport(), DevGenerations(), CheckpointFiles()]


def dev_progress_line(epoch: int, records: list[dict], budget: int, seconds: float, path: Path) -> str:
    """`epoch 3: 4 dev answers in 2.1 s (87 new tokens, at most 256 each; 1 stopped at EOT) -> .../epoch-03.jsonl`."""
    tokens = sum(record["meta"]["new_tokens"] for record in records)
    stopped = sum(1 for record in records if record["meta"]["stopped_at_eot"])
    return (
        f"epoch {epoch}: {len(records)} dev answers in {seconds:.1f} s ({tokens:,} new tokens, at most {budget:,} each; "
        f"{stopped} stopped at EOT) -> {path}"
    )


def progress(line: str) -> None:
    """Print a line on stderr above the Trainer's progress bar, not through it."""
    import sys

    from tqdm.auto import tqdm

    tqdm.write(line, file=sys.stderr)


def _barrier() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()


def partition_report(model) -> dict:
    """Parameters held by each rank against the model's total (gathered to every rank)."""
    import torch.distributed as dist

    params = list(model.parameters())
    total = count_parameters(model)
    local = sum(p.ds_tensor.numel() if hasattr(p, "ds_tensor") else p.numel() for p in params)
    partitioned = sum(1 for p in params if hasattr(p, "ds_tensor") and p.ds_tensor.numel() < p.ds_numel)
    mine = {
        "rank": dist.get_rank() if dist.is_initialized() else 0,
        "local_params": local,
        "partitioned_tensors": partitioned,
        "tensors": len(params),
    }
    ranks = [mine]
    if dist.is_initialized() and dist.get_world_size() > 1:
        ranks = [None] * dist.get_world_size()
        dist.all_gather_object(ranks, mine)
    return {"total_params": total, "world_size": len(ranks), "ranks": ranks}
