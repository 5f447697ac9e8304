"""LIMA's recipe as the Trainer sees it: dropout per layer, learning rate, batch arithmetic, packing."""

from __future__ import annotations

import pytest

from lima_train.config import RunConfig, build_config, lr_at, plan_batches, residual_dropout_rates
from lima_train.errors import InputError

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def tiny_llama(layers: int = 4, vocab: int = 50):
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=vocab,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=128,
    )
    return transformers.LlamaForCausalLM(config)


# ---- residual dropout ----------------------------------------------------------------------------


def test_dropout_rises_linearly_from_zero_at_the_bottom_to_the_top_rate():
    from lima_train.model import apply_residual_dropout, residual_dropout_of

    model = tiny_llama(layers=4)
    assert apply_residual_dropout(model, 0.3) == pytest.approx([0.0, 0.1, 0.2, 0.3])
    assert residual_dropout_of(model) == pytest.approx([0.0, 0.1, 0.2, 0.3])
    # re-applying (as after a reload) replaces the hooks rather than stacking them
    apply_residual_dropout(model, 0.2)
    assert residual_dropout_of(model) == pytest.approx([0.0, 0.2 / 3, 0.4 / 3, 0.2])


def test_default_top_dropout_is_lima_small_or_large():
    from lima_train.model import top_dropout_for

    assert top_dropout_for(tiny_llama(), RunConfig()) == 0.2
    assert top_dropout_for(tiny_llama(), RunConfig(top_dropout=0.1)) == 0.1
    from lima_train.config import default_top_dropout

    assert default_top_dropout(65_000_000_000) == 0.3
    assert default_top_dropout(7_000_000_000) == 0.2
    assert residual_dropout_rates(1, 0.3) == [0.3]


def test_dropout_acts_in_training_only_and_leaves_the_weights_alone():
    from lima_train.model import apply_residual_dropout

    model = tiny_llama(layers=2)
    ids = torch.randint(0, 50, (1, 16))
    model.eval()
    before = model(ids).logits
    state = {key: value.clone() for key, value in model.state_dict().items()}
    apply_residual_dropout(model, 0.5)
    assert torch.equal(model(ids).logits, before)  # eval: no dropout
    model.train()
    torch.manual_seed(1)
    assert not torch.allclose(model(ids).logits, before)
    assert set(model.state_dict()) == set(state)
    assert all(torch.equal(model.state_dict()[key], value) for key, value in state.items())


# ---- learning rate -------------------------------------------------------------------------------


def test_lr_schedule_in_the_trainer_is_lima_linear_without_warmup(tmp_path):
    from lima_train.trainer import make_trainer, training_arguments

    config = RunConfig(learning_rate=1e-5, lr_end=1e-6)
    args = training_arguments(config, tmp_path, micro_batch=1, grad_accum=1, ds_config=None)
    data = [{"input_ids": [1, 2, 3], "labels": [-100, 2, 3]}] * 4
    trainer = make_trainer(tiny_llama(), args, data, None, config.lr_end, [])
    trainer.create_optimizer_and_scheduler(num_training_steps=10)
    optimizer, scheduler = trainer.optimizer, trainer.lr_scheduler
    assert isinstance(optimizer, torch.optim.AdamW)
    group = optimizer.param_groups[0]
    assert group["betas"] == (0.9, 0.95)
    assert {g["weight_decay"] for g in optimizer.param_groups} == {0.1, 0.0}  # no decay on norms/biases
    seen = []
    for _ in range(10):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert seen[0] == pytest.approx(1e-5)  # first step: the peak, no warmup
    assert seen[5] == pytest.approx(1e-6 + 9e-6 * 0.5)  # middle: halfway down the line
    assert seen[9] == pytest.approx(1e-6 + 9e-6 * 0.1)  # last step: one step short of the end
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1e-6)  # after the last step: lr_end
    assert [round(a - b, 15) for a, b in zip(seen, seen[1:])] == [9e-7] * 9  # a straight line
    assert lr_at(0, 10, 1e-5, 1e-6) == seen[0]


# ---- global batch --------------------------------------------------------------------------------


@pytest.mark.parametrize("world, micro, accum", [(1, 8, 4), (2, 8, 2)])
def test_global_batch_32_splits_over_one_and_two_processes(world, micro, accum):
    plan = plan_batches(32, world)
    assert (plan.micro_batch, plan.grad_accum, plan.world_size) == (micro, accum, world)
    assert plan.micro_batch * plan.grad_accum * plan.world_size == 32


@pytest.mark.parametrize("world, micro, accum", [(1, 4, 8), (2, 4, 4), (2, 1, 16)])
def test_global_batch_with_a_chosen_micro_batch(world, micro, accum):
    plan = plan_batches(32, world, micro)
    assert (plan.grad_accum, plan.micro_batch * plan.grad_accum * plan.world_size) == (accum, 32)


def test_global_batch_that_does_not_divide_is_an_error():
    with pytest.raises(InputError, match="does not divide over 3 processes"):
        plan_batches(32, 3)
    with pytest.raises(InputError, match="micro-batch 3"):
        plan_batches(32, 2, 3)


def test_trainer_arguments_multiply_back_to_the_global_batch(tmp_path):
    from lima_train.trainer import training_arguments

    plan = plan_batches(32, 1, 4)
    args = training_arguments(RunConfig(), tmp_path, plan.micro_batch, plan.grad_accum, None)
    assert args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size == 32
    assert (args.adam_beta1, args.adam_beta2, args.weight_decay, args.warmup_steps) == (0.9, 0.95, 0.1, 0)


def test_settings_layers_later_wins_and_bad_values_are_named():
    config = build_config({"epochs": 3, "seed": 1}, {"epochs": 5}, {"seed": None})
    assert (config.epochs, config.seed, config.global_batch) == (5, 1, 32)
    with pytest.raises(InputError, match="epochs must be at least 1"):
        build_config({"epochs": 0})


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"max_length": 512, "gen_max_new_tokens": 1024}, r"gen_max_new_tokens must be between 1 and max_length \(512\)"),
        ({"gen_max_new_tokens": 0}, "gen_max_new_tokens must be between 1"),
        ({"tiny_hidden": 64, "tiny_heads": 5}, r"tiny_hidden \(64\) must be a multiple of tiny_heads \(5\)"),
        ({"tiny_heads": 0}, "must be at least 1"),
        ({"eot_token": ""}, "eot_token must not be empty"),
    ],
)
def test_settings_that_cannot_work_are_refused_before_training(settings, message):
    with pytest.raises(InputError, match=message):
        build_config(settings)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"epochs": "3"}', "setting 'epochs': '3' is not a valid int"),  # strict: a quoted number is no number
        ('{"lora": 1}', "setting 'lora': 1 is not a valid bool"),
        ('{"epochs": 2.5}', "setting 'epochs': 2.5 is not a valid int"),
        ('{"micro_batch": "4"}', "setting 'micro_batch': '4' is not a valid int"),
        ('{"lora_targets": ["q_proj", 3]}', "setting 'lora_targets': item 1, 3, is not valid"),
        ('{"epoch": 3}', "unknown setting 'epoch'; known settings: manifest, out, model"),
    ],
)
def test_config_file_values_must_have_their_type_and_errors_name_file_and_key(tmp_path, text, message):
    from lima_train.config import load_config_file

    path = tmp_path / "settings.json"
    path.write_text(text)
    with pytest.raises(InputError, match=r"^\S*settings\.json: ") as raised:
        load_config_file(path)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_set_strings_are_parsed_to_the_settings_types():
    from lima_train.config import parse_assignments

    parsed = parse_assignments(
        ["epochs=3", "lora=yes", "learning_rate=2e-5", "lora_targets=q_proj,v_proj", "micro_batch=none", "top-dropout=0.1"]
    )
    assert parsed == {
        "epochs": 3,
        "lora": True,
        "learning_rate": 2e-5,
        "lora_targets": ["q_proj", "v_proj"],
        "micro_batch": None,
        "top_dropout": 0.1,
    }
    with pytest.raises(InputError, match=r"^--set: setting 'lora': 'maybe' is not a valid bool$"):
        parse_assignments(["lora=maybe"])
    with pytest.raises(InputError, match=r"^--set: setting 'epochs': 'none' is not a valid int$"):
        parse_assignments(["epochs=none"])  # only a setting that may be None can be unset


def test_lima_lengths_and_tiny_settings_of_a_real_model_are_accepted():
    assert build_config({}).gen_max_new_tokens == build_config({}).max_length == 2048
    assert build_config({"max_length": 256}).gen_max_new_tokens == 256  # unset: the answer may fill the context
    assert build_config({"model": "/models/llama-7b", "tiny_heads": 5}).tiny_heads == 5  # unused, not checked


# ---- weights -------------------------------------------------------------------------------------


def test_weights_load_in_float32_unless_deepspeed_keeps_the_master_copy():
    from lima_train.trainer import weights_dtype

    assert weights_dtype(use_deepspeed=False, half_precision=True) == "float32"  # AdamW updates them
    assert weights_dtype(use_deepspeed=False, half_precision=False) == "float32"
    assert weights_dtype(use_deepspeed=True, half_precision=True) == "auto"
    assert weights_dtype(use_deepspeed=True, half_precision=False) == "float32"


# ---- packed batches ------------------------------------------------------------------------------


def test_packed_micro_batch_has_no_padding_and_no_cross_example_attention(tmp_path):
    from transformers import DataCollatorWithFlattening

    from lima_train.trainer import make_trainer, training_arguments

    model = tiny_llama(layers=2)
    first = {"input_ids": [1, 5, 6, 7, 8, 9], "labels": [-100, -100, 6, 7, 8, 9]}
    second = {"input_ids": [1, 11, 12, 13], "labels": [-100, -100, 12, 13]}
    batch = DataCollatorWithFlattening(return_position_ids=True)([first, second])
    assert batch["input_ids"].shape == (1, 10)  # 6 + 4 real tokens, nothing padded
    assert batch["position_ids"].tolist() == [[0, 1, 2, 3, 4, 5, 0, 1, 2, 3]]
    assert batch["labels"][0, 6].item() == -100  # no loss on predicting the next example's first token

    args = training_arguments(RunConfig(), tmp_path, micro_batch=2, grad_accum=1, ds_config=None)
    trainer = make_trainer(model, args, [first, second], None, 1e-6, [])
    model.train()
    with torch.no_grad():
        packed_loss = trainer.compute_loss(model, batch)
        alone = [
            model(input_ids=torch.tensor([x["input_ids"]]), labels=torch.tensor([x["labels"]])).loss for x in (first, second)
        ]
    # the packed loss is the token-weighted mean of each example's loss computed on its own
    torch.testing.assert_close(packed_loss, (alone[0] * 4 + alone[1] * 2) / 6, rtol=1e-5, atol=1e-6)


def test_packed_example_gets_the_same_logits_as_alone_through_the_training_call(tmp_path):
    """The Trainer's forward on a packed row equals each example run alone, even with a KV cache on.

    transformers derives the per-example mask from restarting positions only when it builds no KV
    cache; both the prepared model's config and the Trainer's loss call make sure it builds none.
    """
    from transformers import DataCollatorWithFlattening

    from lima_train.model import prepare_for_training
    from lima_train.trainer import make_trainer, training_arguments

    model = tiny_llama(layers=2)
    first = {"input_ids": [1, 5, 6, 7, 8, 9], "labels": [-100, -100, 6, 7, 8, 9]}
    second = {"input_ids": [1, 11, 12, 13], "labels": [-100, -100, 12, 13]}
    batch = DataCollatorWithFlattening(return_position_ids=True)([first, second])
    with torch.no_grad():
        alone = [model(input_ids=torch.tensor([x["input_ids"]])).logits[0] for x in (first, second)]
        leaky = model(**batch, use_cache=True).logits[0]
    assert not torch.allclose(leaky[6:], alone[1], atol=1e-3)  # what the guards prevent

    args = training_arguments(RunConfig(), tmp_path, micro_batch=2, grad_accum=1, ds_config=None)
    model.config.use_cache = True
    trainer = make_trainer(model, args, [first, second], None, 1e-6, [])
    model.eval()
    with torch.no_grad():
        _, outputs = trainer.compute_loss(model, batch, return_outputs=True)
    torch.testing.assert_close(outputs.logits[0, :6], alone[0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(outputs.logits[0, 6:], alone[1], rtol=1e-5, atol=1e-5)

    tokenizer = _FixedVocab(size=50)
    prepared = prepare_for_training(model, tokenizer, RunConfig(), eot_id=49)
    assert prepared.config.use_cache is False
    prepared.eval()
    with torch.no_grad():
        plain = prepared(**batch).logits[0]  # no use_cache given: the config's False applies
    torch.testing.assert_close(plain[6:], alone[1], rtol=1e-5, atol=1e-5)


class _FixedVocab:
    """Just enough of a tokenizer for prepare_for_training: a size and no special ids."""

    def __init__(self, size: int):
        self.size = size
        self.eos_token_id = self.pad_token_id = self.bos_token_id = None

    def __len__(self) -> int:
        return self.size


def test_sampler_gives_each_step_a_global_batch_and_every_example_once_an_epoch(tmp_path):
    from lima_train.trainer import make_trainer, training_arguments

    args = training_arguments(RunConfig(seed=7), tmp_path, micro_batch=2, grad_accum=2, ds_config=None)
    data = [{"input_ids": [1] * (3 + index), "labels": [-100] + [1] * (2 + index)} for index in range(16)]
    trainer = make_trainer(tiny_llama(), args, data, None, 1e-6, [])
    sampler = trainer._get_train_sampler()
    epochs = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        batches = list(sampler)
        assert len(batches) == 8  # 16 examples / 4 per step = 4 steps x 2 accumulation micro-batches
        assert sorted(i for batch in batches for i in batch) == list(range(16))
        epochs.append(batches)
    assert epochs[0] != epochs[1]  # reshuffled each epoch
    sampler.set_epoch(0)
    assert list(sampler) == epochs[0]  # and reproducible: a resumed run sees the same order
