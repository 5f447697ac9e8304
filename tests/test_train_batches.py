"""Epochs that are epochs and packing that pays (issue 14, items 2 and 3): lima_train/batching.py.

Every example once per epoch for 1, 2, 8 and 16 (simulated) processes; the same per-step loss however a
global batch is split over processes and micro-batches (ranks simulated in one process, and the real
Trainer with accumulation); packed rows as TRL's best-fit decreasing packs them, no attention across
examples, rows never longer than the micro-batch's longest example.
"""

from __future__ import annotations

import pytest

from lima_train.batching import best_fit_decreasing, epoch_plan, make_collator, make_sampler, split_step
from lima_train.config import RunConfig, plan_batches

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def tiny_llama(vocab: int = 50):
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=vocab,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=128,
    )
    config._attn_implementation = "sdpa"
    return transformers.LlamaForCausalLM(config)


def examples(count: int, seed: int = 3) -> list[dict]:
    """Examples of 4-40 tokens: a prompt without loss, an answer with it."""
    import random

    rng = random.Random(seed)
    records = []
    for _ in range(count):
        length = rng.randrange(4, 41)
        prompt = rng.randrange(1, length - 1)
        ids = [1] + [rng.randrange(3, 50) for _ in range(length - 1)]
        records.append({"input_ids": ids, "labels": [-100] * prompt + ids[prompt:]})
    return records


def seen_in_epoch(lengths, world: int, micro: int | None, epoch: int) -> list[int]:
    """Every example index the `world` processes' samplers give out in one epoch, each rank called on its own."""
    plan = plan_batches(32, world, micro)
    seen, counts = [], set()
    for rank in range(world):
        sampler = make_sampler(lengths, 32, world, plan.grad_accum, rank, seed=42)
        sampler.set_epoch(epoch)
        batches = list(sampler)
        assert len(batches) == len(sampler)
        assert all(len(batch) <= plan.micro_batch for batch in batches)  # a micro-batch is at most that many examples
        counts.add(len(batches))
        seen += [index for batch in batches for index in batch]
    assert len(counts) == 1  # every rank takes part in every step
    return seen


@pytest.mark.parametrize("world, micro", [(1, None), (1, 1), (2, None), (2, 1), (8, 1), (16, 1), (16, 2)])
def test_every_example_exactly_once_an_epoch_for_any_process_count(world, micro):
    lengths = [len(record["input_ids"]) for record in examples(1000)]
    epochs = [seen_in_epoch(lengths, world, micro, epoch) for epoch in (0, 1)]
    for seen in epochs:
        assert len(seen) == 1000  # not 1,024 (8 processes) or 1,008 (16), as BatchRebalanceSampler gave
        assert sorted(seen) == list(range(1000))
    assert epochs[0] != epochs[1]  # reshuffled every epoch


def test_epoch_order_is_seeded_and_the_same_for_every_split():
    lengths = [len(record["input_ids"]) for record in examples(100)]
    steps = {}
    for world, accum in [(1, 4), (2, 2), (4, 1), (8, 4)]:
        plan = epoch_plan(lengths, 32, world, accum, seed=42, epoch=3)
        steps[world, accum] = [sorted(i for rank in step for micro in rank for i in micro) for step in plan]
    assert len({str(s) for s in steps.values()}) == 1  # the same examples make each step, whatever the split
    assert [len(s) for s in steps[1, 4]] == [32, 32, 32, 4]  # the last step is short, never padded with repeats
    assert epoch_plan(lengths, 32, 2, 2, seed=42, epoch=3) == epoch_plan(lengths, 32, 2, 2, seed=42, epoch=3)
    assert epoch_plan(lengths, 32, 2, 2, seed=43, epoch=3) != epoch_plan(lengths, 32, 2, 2, seed=42, epoch=3)


def test_a_short_step_spreads_over_processes_and_leaves_blanks_without_loss():
    lengths = [10, 30, 20, 40]
    plan = split_step([0, 1, 2, 3], lengths, world_size=8, grad_accum=1)
    assert [rank[0] for rank in plan] == [[3], [1], [2], [0], [], [], [], []]  # longest first, one per process
    blank = make_collator(flatten=False)([])
    assert blank["input_ids"].shape == (1, 1) and blank["labels"].tolist() == [[-100]]


# ---- the same per-step loss for every split of one global batch ---------------------------------


def simulated_losses(data, world: int, micro: int, accum: int, steps: int, tmp_path) -> list[float]:
    """Per-step loss of `world` processes x `accum` micro-batches of `micro` examples, the ranks run in turn.

    What DeepSpeed/DDP do across processes is done here by summing every rank's gradient: each
    micro-batch's loss is its answer tokens' summed loss over the step's answer tokens (all ranks), the
    Trainer's `num_items_in_batch` gathered over processes. The optimizer, schedule and clipping are the
    Trainer's own.
    """
    from lima_train.trainer import make_trainer, training_arguments

    model = tiny_llama()
    args = training_arguments(RunConfig(learning_rate=1e-2, lr_end=1e-3), tmp_path, micro, accum, None)
    trainer = make_trainer(model, args, data, None, 1e-3, [])
    trainer.create_optimizer_and_scheduler(num_training_steps=steps)
    lengths = [len(record["input_ids"]) for record in data]
    samplers = [iter(make_sampler(lengths, world * micro * accum, world, accum, rank, seed=args.seed)) for rank in range(world)]
    collate = make_collator(flatten=False)
    losses = []
    model.train()
    for _ in range(steps):
        batches = [collate([data[i] for i in next(sampler)]) for sampler in samplers for _ in range(accum)]
        items = sum(int(batch["labels"][:, 1:].ne(-100).sum()) for batch in batches)
        total = 0.0
        for batch in batches:
            loss = trainer.compute_loss(model, batch, num_items_in_batch=torch.tensor(items))
            loss.backward()
            total += loss.item()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
        trainer.optimizer.step()
        trainer.lr_scheduler.step()
        model.zero_grad()
        losses.append(total)
    return losses


def trainer_losses(data, micro: int, accum: int, tmp_path) -> list[float]:
    """Per-step losses the real Trainer logs for one process at this micro-batch and accumulation."""
    from lima_train.trainer import make_trainer, training_arguments

    args = training_arguments(RunConfig(epochs=1, learning_rate=1e-2, lr_end=1e-3), tmp_path, micro, accum, None)
    args.save_strategy = "no"
    trainer = make_trainer(tiny_llama(), args, data, None, 1e-3, [])
    trainer.train()
    return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]


def test_the_same_per_step_loss_for_1x8_2x4_and_8x1_splits(tmp_path):
    data = examples(20)  # global batch 8: steps of 8, 8 and a short 4 (8 processes: half of them blank)
    splits = {(1, 8, 1), (1, 1, 8), (2, 4, 1), (2, 1, 4), (8, 1, 1)}  # processes, micro-batch, accumulation
    losses = {split: simulated_losses(data, *split, steps=3, tmp_path=tmp_path / "-".join(map(str, split))) for split in splits}
    reference = losses[1, 8, 1]
    assert len({round(loss, 3) for loss in reference}) == 3  # three different steps, not one repeated
    for split, seen in losses.items():
        assert seen == pytest.approx(reference, abs=1e-6), split
    for micro, accum in [(8, 1), (1, 8)]:
        assert trainer_losses(data, micro, accum, tmp_path / f"trainer-{micro}-{accum}") == pytest.approx(reference, abs=1e-6)


# ---- packed rows ---------------------------------------------------------------------------------


def test_rows_are_best_fit_decreasing_as_trl_packs_them():
    trl_data = pytest.importorskip("trl.data_utils")
    datasets = pytest.importorskip("datasets")
    import random

    rng = random.Random(0)
    lengths = [rng.randrange(1, 120) for _ in range(200)]
    ours = sorted(sorted(lengths[p] for p in row) for row in best_fit_decreasing(lengths, 128))
    table = datasets.Dataset.from_dict({"input_ids": [[7] * n for n in lengths]})
    packed = trl_data.pack_dataset(table, seq_length=128, strategy="bfd")
    theirs = sorted(sorted(row) for row in packed["seq_lengths"])
    assert ours == theirs
    assert all(sum(row) <= 128 for row in ours)


def test_packed_rows_give_each_example_the_logits_it_gets_alone():
    model = tiny_llama().eval()
    data = examples(8, seed=5)
    batch = make_collator(flatten=False)(data)
    longest = max(len(record["input_ids"]) for record in data)
    assert batch["input_ids"].shape[1] == longest  # no row is longer than the longest example
    assert batch["input_ids"].shape[0] < len(data)  # short examples share rows
    real = sum(len(record["input_ids"]) for record in data)
    assert batch["labels"].ne(-100).sum() == sum(sum(1 for x in r["labels"][1:] if x != -100) for r in data)
    with torch.no_grad():
        logits = model(**batch, use_cache=False).logits
        for record in data:
            alone = model(input_ids=torch.tensor([record["input_ids"]])).logits[0]
            row, start = _find(batch["input_ids"], record["input_ids"], batch["position_ids"])
            torch.testing.assert_close(logits[row, start : start + len(alone)], alone, rtol=1e-5, atol=1e-5)
    assert real / batch["input_ids"].numel() > 0.5
    flat = make_collator(flatten=True)(data)
    assert flat["input_ids"].shape == (1, real)  # FlashAttention: one padding-free row


def _find(rows, ids, positions) -> tuple[int, int]:
    """Where an example starts in the packed rows (its ids, beginning at position 0)."""
    n = len(ids)
    for row in range(rows.shape[0]):
        for start in range(rows.shape[1] - n + 1):
            if positions[row, start] == 0 and rows[row, start : start + n].tolist() == ids:
                return row, start
    raise AssertionError("example not in the batch")
