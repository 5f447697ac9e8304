"""Which examples go into each optimizer step, each process and each forward pass, and how they become rows.

An epoch is a seeded shuffle of the whole manifest cut into steps of `global_batch` examples; the last
step holds what is left (it may be short, never padded with repeats), so every example is seen exactly
once per epoch whatever the process count, micro-batch and gradient accumulation. A step's examples
are sorted by length and dealt, in runs of similar length, into `world_size x grad_accum` micro-batches
of at most `micro_batch` examples: micro-batch k of every process gets neighbouring runs, so the
processes wait little on each other. A process with nothing left in a short step runs a one-token blank
that carries no loss (ZeRO-3 needs every process in every forward pass).

A micro-batch is then packed into rows, best-fit decreasing as TRL's `pack_dataset` does, each row no
longer than the micro-batch's longest example (itself at most `max_length`): the rows are padded to that
length anyway, and on SDPA or eager attention a row costs the square of its length, so short examples
share a row and long ones get their own. Positions restart at every example, so transformers builds a
block-diagonal causal mask and no example attends to another. With FlashAttention-2 the whole micro-batch
is one padding-free row instead (variable-length kernels cost nothing for the masked blocks).

The loss of a step is the mean over all its answer tokens (the Trainer's `num_items_in_batch`, gathered
over processes), so a step's loss and gradient do not depend on how its examples were split; a short last
step is the mean over its own tokens and moves the weights as a full step would.

Plain Python except the sampler class and the collator's tensors, imported inside functions.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

IGNORE_INDEX = -100


def epoch_order(count: int, seed: int, epoch: int) -> list[int]:
    """The example indices of one epoch: a shuffle seeded by the run's seed and the epoch, the same in every process."""
    order = list(range(count))
    random.Random(seed * 1_000_003 + epoch).shuffle(order)
    return order


def split_step(indices: Sequence[int], lengths: Sequence[int], world_size: int, grad_accum: int) -> list[list[list[int]]]:
    """One step's examples as `[rank][micro-batch] -> example indices`, longest first.

    The examples, sorted by length (longest first, ties by index), are cut into `world_size x grad_accum`
    runs as even in count as possible; run g goes to process g % world_size as its micro-batch
    g // world_size. A run may be empty in a short step.
    """
    slots = world_size * grad_accum
    ranked = sorted(indices, key=lambda index: (-lengths[index], index))
    base, extra = divmod(len(ranked), slots)
    plan: list[list[list[int]]] = [[[] for _ in range(grad_accum)] for _ in range(world_size)]
    start = 0
    for slot in range(slots):
        size = base + (1 if slot < extra else 0)
        plan[slot % world_size][slot // world_size] = ranked[start : start + size]
        start += size
    return plan


def epoch_plan(
    lengths: Sequence[int], global_batch: int, world_size: int, grad_accum: int, seed: int, epoch: int
) -> list[list[list[list[int]]]]:
    """Every step of an epoch as `[step][rank][micro-batch] -> example indices`; each example exactly once."""
    order = epoch_order(len(lengths), seed, epoch)
    return [
        split_step(order[start : start + global_batch], lengths, world_size, grad_accum)
        for start in range(0, len(order), global_batch)
    ]


def best_fit_decreasing(lengths: Sequence[int], capacity: int) -> list[list[int]]:
    """Bins (lists of positions into `lengths`) holding at most `capacity` tokens each, best-fit decreasing.

    TRL's `pack_dataset(strategy="bfd")` rule, tie-breaking included: longest first, each into the row
    with the least room that still fits it (of rows with equal room, the one that came to it first),
    else a new row. A length above `capacity` gets a row of its own.
    """
    import bisect
    from collections import defaultdict, deque

    rows: list[list[int]] = []
    spaces: list[int] = []  # sorted room left, one entry per distinct value
    by_space: dict[int, deque[int]] = defaultdict(deque)
    for position in sorted(range(len(lengths)), key=lambda p: (-lengths[p], p)):
        length = lengths[position]
        at = bisect.bisect_left(spaces, length)
        if at < len(spaces):
            space = spaces[at]
            row = by_space[space].popleft()
            if not by_space[space]:
                del spaces[at]
        else:
            space, row = capacity, len(rows)
            rows.append([])
        rows[row].append(position)
        left = space - length
        if left > 0:
            if not by_space[left]:
                bisect.insort(spaces, left)
            by_space[left].append(row)
    return rows


def make_sampler(lengths: Sequence[int], global_batch: int, world_size: int, grad_accum: int, rank: int, seed: int):
    """The batch sampler of one process: its micro-batches (lists of example indices), step after step.

    It is a `BatchRebalanceSampler` by type only: the Trainer hands such a sampler to its DataLoader as
    the batch sampler and keeps accelerate from sharding it again, which this one needs too.
    """
    from transformers.trainer_pt_utils import BatchRebalanceSampler

    class StepSampler(BatchRebalanceSampler):
        """Every example once per epoch; `grad_accum` micro-batches per step for this rank."""

        def __init__(self):  # noqa: D107  (BatchRebalanceSampler's own state is not used)
            self.lengths = list(lengths)
            self.global_batch, self.world_size, self.grad_accum = global_batch, world_size, grad_accum
            self.rank, self.seed, self.epoch = rank, seed, 0

        def set_epoch(self, epoch: int) -> None:
            self.epoch = epoch

        def steps(self) -> int:
            return -(-len(self.lengths) // self.global_batch)

        def __len__(self) -> int:
            return self.steps() * self.grad_accum

        def __iter__(self):
            plan = epoch_plan(self.lengths, self.global_batch, self.world_size, self.grad_accum, self.seed, self.epoch)
            for step in plan:
                yield from step[self.rank]

    return StepSampler()


def make_collator(flatten: bool):
    """Micro-batch -> tensors: packed rows with restarting positions, or one padding-free row when `flatten`.

    `flatten` is for FlashAttention-2 (variable-length kernels from the positions); SDPA and eager
    attention get rows padded to the micro-batch's longest example. An empty micro-batch (a process
    with nothing left in a short step) is a one-token blank with no loss.
    """

    def collate(features: list[dict]) -> dict:
        import torch

        if not features:
            blank = torch.zeros((1, 1), dtype=torch.long)
            return {"input_ids": blank, "labels": torch.full((1, 1), IGNORE_INDEX), "position_ids": blank.clone()}
        lengths = [len(feature["input_ids"]) for feature in features]
        rows = [list(range(len(features)))] if flatten else best_fit_decreasing(lengths, max(lengths))
        width = max(sum(lengths[p] for p in row) for row in rows)
        input_ids = torch.zeros((len(rows), width), dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
        positions = torch.zeros((len(rows), width), dtype=torch.long)
        for r, row in enumerate(rows):
            at = 0
            for p in row:
                n = lengths[p]
                input_ids[r, at : at + n] = torch.tensor(features[p]["input_ids"])
                labels[r, at + 1 : at + n] = torch.tensor(features[p]["labels"][1:])  # no loss across a boundary
                positions[r, at : at + n] = torch.arange(n)
                at += n
            # padding is a sequence of its own (positions from 0): nothing attends to it, it carries no loss
            positions[r, at:] = torch.arange(width - at)
        return {"input_ids": input_ids, "labels": labels, "position_ids": positions}

    return collate


def uses_flash_attention(model) -> bool:
    """Whether the model runs FlashAttention (2 or later, or a hub kernel of it): then rows are flattened."""
    implementation = str(getattr(model.config, "_attn_implementation", "") or "")
    return "flash" in implementation
