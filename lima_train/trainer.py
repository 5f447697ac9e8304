"""The Hugging Face Trainer set up with LIMA's recipe: DeepSpeed config, training arguments, schedule, batches.

Used by the training process (run.py) and the throughput benchmark; torch, transformers and
deepspeed are imported inside the functions.
"""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

from .checkpoints import CHECKPOINTS
from .config import RunConfig, lr_at
from .errors import InputError


def deepspeed_config(config: RunConfig, on_gpu: bool) -> dict:
    """The user's DeepSpeed config if given, else ZeRO at `zero_stage` with everything else "auto".

    No optimizer or scheduler section: the Trainer supplies torch AdamW and LIMA's linear schedule
    (DeepSpeed's own AdamW would JIT-build FusedAdam on a CPU, and its WarmupDecayLR rejects zero
    warmup steps). peft trains the EOT row of a LoRA run under ZeRO-3 on CUDA only, so a LoRA run on
    a CPU uses ZeRO-2 (the frozen base is then replicated, the optimizer state still sharded).
    """
    if config.deepspeed_config:
        path = Path(config.deepspeed_config)
        try:
            user_config = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{path}: DeepSpeed config not found") from None
        except ValueError as error:
            raise InputError(f"{path}: not valid JSON: {error}") from None
        if config.lora and not on_gpu and user_config.get("zero_optimization", {}).get("stage") == 3:
            raise InputError(f"{path}: LoRA under ZeRO-3 needs CUDA (peft's trainable EOT row); use stage 2 on a CPU")
        return user_config
    stage = 2 if config.lora and not on_gpu and config.zero_stage == 3 else config.zero_stage
    zero = {"stage": stage, "overlap_comm": True, "contiguous_gradients": True, "reduce_bucket_size": "auto"}
    if stage == 3:
        zero.update(
            {
                "stage3_prefetch_bucket_size": "auto",
                "stage3_param_persistence_threshold": "auto",
                "stage3_gather_16bit_weights_on_model_save": True,
            }
        )
    return {
        "zero_optimization": zero,
        "bf16": {"enabled": "auto"},
        "fp16": {"enabled": "auto"},
        "train_micro_batch_size_per_gpu": "auto",
        "gradient_accumulation_steps": "auto",
        "train_batch_size": "auto",
        "gradient_clipping": "auto",
        "steps_per_print": 10**9,
        "wall_clock_breakdown": False,
    }


def precision_flags(config: RunConfig) -> dict[str, bool]:
    """The Trainer's bf16/fp16 switches: `auto` is bf16 where the GPU has it, else float32."""
    import torch

    precision = config.precision
    if precision == "auto":
        precision = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    return {"bf16": precision == "bf16", "fp16": precision == "fp16"}


def training_arguments(config: RunConfig, run_dir: Path, micro_batch: int, grad_accum: int, ds_config: dict | None):
    """TrainingArguments for the recipe. With DeepSpeed this also registers its config, which must
    happen before the model is built so ZeRO-3 partitions it while loading."""
    import torch
    from transformers import TrainingArguments

    on_gpu = torch.cuda.is_available()
    return TrainingArguments(
        output_dir=str(run_dir / CHECKPOINTS),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=micro_batch,
        gradient_accumulation_steps=grad_accum,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        adam_beta1=config.adam_beta1,
        adam_beta2=config.adam_beta2,
        max_grad_norm=config.max_grad_norm,
        warmup_steps=0,
        optim="adamw_torch",
        logging_steps=1,
        save_strategy="epoch",
        seed=config.seed,
        data_seed=config.seed,
        report_to=[],
        deepspeed=ds_config,
        use_cpu=not on_gpu,
        ddp_backend="gloo" if not on_gpu and int(os.environ.get("WORLD_SIZE", "1")) > 1 else None,
        remove_unused_columns=False,
        dataloader_drop_last=False,
        log_level="warning",
        **precision_flags(config),
    )


def lima_scheduler(optimizer, total_steps: int, lr: float, lr_end: float):
    """No warmup; `lr` at the first step falling linearly to `lr_end` at the last."""
    from torch.optim.lr_scheduler import LambdaLR

    return LambdaLR(optimizer, partial(_lr_factor, total_steps=total_steps, lr=lr, lr_end=lr_end))


def _lr_factor(step: int, total_steps: int, lr: float, lr_end: float) -> float:
    return lr_at(step, total_steps, lr, lr_end) / lr


def make_trainer(model, args, dataset, tokenizer, lr_end: float, callbacks: list):
    """A Trainer whose steps see every example once an epoch, in micro-batches packed into rows (batching.py)."""
    from transformers import Trainer

    from .batching import make_collator, make_sampler, uses_flash_attention

    class LimaTrainer(Trainer):
        """The Trainer with LIMA's steps (every example once an epoch), packed rows and linear schedule."""

        def _get_train_sampler(self, train_dataset=None):
            # A step takes `global batch` examples of a seeded shuffle, the epoch's last step what is
            # left; this process gets its `gradient_accumulation_steps` micro-batches of each step.
            data = train_dataset if train_dataset is not None else self.train_dataset
            world = max(1, self.args.world_size)
            return make_sampler(
                lengths=[len(record["input_ids"]) for record in data],
                global_batch=self.args.per_device_train_batch_size * self.args.gradient_accumulation_steps * world,
                world_size=world,
                grad_accum=self.args.gradient_accumulation_steps,
                rank=self.args.process_index if world > 1 else 0,
                seed=self.args.seed,
            )

        def compute_loss(self, model, inputs, *args, **kwargs):
            # transformers tells packed examples apart by their restarting positions only when no
            # KV cache is built; with one, every token would attend across example boundaries.
            return super().compute_loss(model, {**inputs, "use_cache": False}, *args, **kwargs)

        def create_scheduler(self, num_training_steps, optimizer=None):
            # transformers' polynomial schedule reads `optimizer.defaults`, which DeepSpeed's ZeRO
            # optimizer lacks; this LambdaLR gives the same line.
            if self.lr_scheduler is None:
                optimizer = optimizer if optimizer is not None else self.optimizer
                self.lr_scheduler = lima_scheduler(optimizer, num_training_steps, self.args.learning_rate, lr_end)
                self._created_lr_scheduler = True
            return self.lr_scheduler

    return LimaTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        data_collator=make_collator(flatten=uses_flash_attention(model)),
        processing_class=tokenizer,
        callbacks=callbacks,
    )


def weights_dtype(use_deepspeed: bool, half_precision: bool) -> str:
    """The dtype to load the base weights in.

    DeepSpeed in bf16/fp16 keeps float32 master weights of its own, so the checkpoint's dtype is
    fine; without DeepSpeed torch AdamW updates the loaded weights themselves, which must then be
    float32 (the Trainer's autocast still computes in 16 bits).
    """
    return "auto" if use_deepspeed and half_precision else "float32"
