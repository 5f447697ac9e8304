"""Base model and tokenizer, the EOT token, layer-wise residual dropout, optional LoRA.

torch, transformers, tokenizers and peft are imported inside the functions: this module is imported
by the command line, which must start fast.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from pathlib import Path

from .atomic import write_atomic
from .config import RunConfig, default_top_dropout, residual_dropout_rates
from .errors import InputError

RECIPE_NAME = "lima_train.json"
BYTE_TOKENS = [f"<0x{value:02X}>" for value in range(256)]


# ---- the tiny model for demos and tests ---------------------------------------------------------


def train_tiny_tokenizer(texts: list[str], vocab_size: int):
    """A byte-fallback BPE tokenizer in LLaMA's style (`▁` word marker), trained on `texts`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>", fuse_unk=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tokenizer.decoder = decoders.Sequence([decoders.Metaspace(), decoders.ByteFallback(), decoders.Fuse()])
    specials = ["<unk>", "<s>", "</s>"]
    trainer = trainers.BpeTrainer(
        vocab_size=max(vocab_size, len(specials) + len(BYTE_TOKENS) + 1),
        special_tokens=specials + BYTE_TOKENS,
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>")


def build_tiny_model(texts: list[str], out_dir: Path, config: RunConfig, seed: int) -> Path:
    """Write a tiny random LlamaForCausalLM and a tokenizer trained on `texts` to `out_dir`."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = train_tiny_tokenizer(texts, config.tiny_vocab)
    model_config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.tiny_hidden,
        intermediate_size=config.tiny_hidden * 2,
        num_hidden_layers=config.tiny_layers,
        num_attention_heads=config.tiny_heads,
        num_key_value_heads=config.tiny_heads,
        max_position_embeddings=max(config.max_length, 256),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(model_config)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


# ---- tokenizer and EOT ---------------------------------------------------------------------------


def load_tokenizer(path: str):
    """The tokenizer of a local model directory; lima-train never downloads one."""
    from transformers import AutoTokenizer

    if not Path(path).is_dir():
        raise InputError(f"{path}: not a local model directory (lima-train never downloads models)")
    return AutoTokenizer.from_pretrained(path)


def add_eot(tokenizer, eot_token: str) -> int:
    """Add the end-of-turn special token and the chat template of the training format (chat_template.py).

    EOT becomes the tokenizer's `eos_token` (the base's EOS stays the pad token when there was none),
    so that every tool that stops at `eos_token` stops at the turn's end. Replacing a base's own chat
    template is logged as a warning (logger "lima_train"); `install_chat_template` returns that line.
    A tokenizer whose EOS is already this EOT (a lima-train checkpoint's) only gets the template again.
    """
    from .chat_template import TEMPLATE_MARK, install_chat_template

    if not eot_token.strip():
        raise InputError("the EOT token (eot_token) must not be empty")
    if eot_token == tokenizer.eos_token and TEMPLATE_MARK in str(tokenizer.chat_template or ""):  # a lima-train tokenizer
        install_chat_template(tokenizer, eot_token)
        return tokenizer.convert_tokens_to_ids(eot_token)
    for role in ("eos", "bos", "pad", "unk"):
        if eot_token == getattr(tokenizer, f"{role}_token"):
            raise InputError(f"the EOT token {eot_token!r} must differ from the tokenizer's {role.upper()} token")
    tokenizer.add_special_tokens({"additional_special_tokens": [eot_token]})
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    note = install_chat_template(tokenizer, eot_token)
    if note:
        logging.getLogger("lima_train").warning(note)
    return tokenizer.convert_tokens_to_ids(eot_token)


# ---- the model -----------------------------------------------------------------------------------


def count_parameters(model) -> int:
    """Parameters in the whole model, also while ZeRO-3 holds only a shard of each."""
    return sum(getattr(param, "ds_numel", param.numel()) for param in model.parameters())


def resize_for_eot(model, vocab_size: int) -> None:
    """Grow the embeddings to the tokenizer and start every new row at the mean of the old ones.

    The mean is deterministic, so every rank (and a rebuilt base for a LoRA adapter) gets the same
    rows; transformers' default samples them at random.
    """
    import torch

    weight = model.get_input_embeddings().weight
    old_size = (weight.ds_shape if hasattr(weight, "ds_shape") else weight.shape)[0]  # ZeRO-3 empties .shape
    if vocab_size <= old_size:
        return
    model.resize_token_embeddings(vocab_size, mean_resizing=False)
    for embedding in (model.get_input_embeddings(), model.get_output_embeddings()):
        if embedding is None:
            continue
        with _gathered(embedding.weight), torch.no_grad():
            weight = embedding.weight
            if weight.shape[0] == vocab_size:
                weight[old_size:] = weight[:old_size].mean(dim=0, keepdim=True)


def _gathered(param):
    """Under ZeRO-3, gather a partitioned parameter for rank 0 to modify; otherwise do nothing."""
    if hasattr(param, "ds_id"):
        import deepspeed

        return deepspeed.zero.GatheredParameters([param], modifier_rank=0)
    return contextlib.nullcontext()


def set_generation_defaults(model, config: RunConfig, eot_id: int, tokenizer) -> None:
    """Saved with every checkpoint: plain `generate` samples as LIMA did and stops at EOT."""
    generation = model.generation_config
    # EOT first (the tokenizer's eos_token), then the base's own EOS, which a model may still emit
    base_eos = model.config.eos_token_id
    base_eos = base_eos if isinstance(base_eos, list) else [] if base_eos is None else [base_eos]
    generation.eos_token_id = list(dict.fromkeys([eot_id, *base_eos]))
    generation.pad_token_id = tokenizer.pad_token_id
    generation.bos_token_id = tokenizer.bos_token_id
    generation.do_sample = True
    generation.top_p = config.gen_top_p
    generation.temperature = config.gen_temperature
    generation.repetition_penalty = config.gen_repetition_penalty
    generation.max_new_tokens = config.answer_tokens()


def decoder_layers(model) -> list:
    """The decoder layers of a LLaMA-architecture model, also inside a peft wrapper."""
    base = model
    while not hasattr(base, "layers"):
        for name in ("base_model", "model"):
            if hasattr(base, name) and getattr(base, name) is not base:
                base = getattr(base, name)
                break
        else:
            raise InputError(f"{type(model).__name__}: cannot find the decoder layers for residual dropout")
    return list(base.layers)


class ResidualDropout:
    """A forward hook that drops out a sub-layer's output before it joins the residual stream."""

    def __init__(self, rate: float):
        self.rate = rate

    def __call__(self, module, args, output):
        """The output with dropout applied while training (a tuple's first item only), else unchanged."""
        import torch.nn.functional as F

        if self.rate == 0.0 or not module.training:
            return output
        if isinstance(output, tuple):
            return (F.dropout(output[0], self.rate, training=True),) + tuple(output[1:])
        return F.dropout(output, self.rate, training=True)


def apply_residual_dropout(model, top: float) -> list[float]:
    """Hook dropout onto each layer's attention and MLP outputs: 0.0 at the bottom, `top` at the top.

    Hooks change no weights and are not saved: call this again after loading a model to train it.
    Returns the rate of every layer, bottom first.
    """
    layers = decoder_layers(model)
    rates = residual_dropout_rates(len(layers), top)
    for layer, rate in zip(layers, rates):
        for sublayer in (layer.self_attn, layer.mlp):
            for key, hook in list(sublayer._forward_hooks.items()):
                if isinstance(hook, ResidualDropout):
                    del sublayer._forward_hooks[key]
            sublayer.register_forward_hook(ResidualDropout(rate))
    return rates


def residual_dropout_of(model) -> list[float]:
    """The dropout rate hooked onto each layer (bottom first), read back from the hooks."""
    rates = []
    for layer in decoder_layers(model):
        hooks = [h for h in layer.self_attn._forward_hooks.values() if isinstance(h, ResidualDropout)]
        mlp_hooks = [h for h in layer.mlp._forward_hooks.values() if isinstance(h, ResidualDropout)]
        if len(hooks) != 1 or len(mlp_hooks) != 1 or hooks[0].rate != mlp_hooks[0].rate:
            raise AssertionError("each layer needs exactly one residual dropout on attention and on MLP")
        rates.append(hooks[0].rate)
    return rates


def top_dropout_for(model, config: RunConfig) -> float:
    """The run's top_dropout, else LIMA's for the model's size."""
    return config.top_dropout if config.top_dropout is not None else default_top_dropout(count_parameters(model))


def add_lora(model, config: RunConfig, eot_id: int):
    """Wrap the model in a LoRA adapter; the EOT rows of the embedding and the LM head train too."""
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.lora_targets,
        trainable_token_indices={"embed_tokens": [eot_id], "lm_head": [eot_id]},
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def prepare_for_training(model, tokenizer, config: RunConfig, eot_id: int):
    """Everything between loading the base and handing it to the Trainer; returns the model."""
    resize_for_eot(model, len(tokenizer))
    set_generation_defaults(model, config, eot_id, tokenizer)
    # transformers builds the per-example mask of a packed row only when no KV cache is built;
    # generate() still caches (generation_config.use_cache is its own setting).
    model.config.use_cache = False
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    apply_residual_dropout(model, top_dropout_for(model, config))
    if config.lora:
        model = add_lora(model, config, eot_id)
    return model


def write_recipe_note(directory: Path, config: RunConfig, eot_id: int) -> None:
    """A small file saying how prompts are encoded for this model: in the run directory, where the
    run's checkpoints find it (read_recipe_note looks up from a checkpoint), and in every export."""
    note = {
        "eot_token": config.eot_token,
        "eot_id": eot_id,
        "format": "<s> user <EOT> assistant <EOT> ...",
        "base_model": config.base_model or config.model,
        "lora": config.lora,
    }
    write_atomic(directory / RECIPE_NAME, json.dumps(note, indent=2, sort_keys=True) + "\n")


# ---- loading a checkpoint for generation or export -------------------------------------------------


def is_adapter(checkpoint: Path) -> bool:
    """Whether a checkpoint holds a LoRA adapter rather than whole weights."""
    return (checkpoint / "adapter_config.json").is_file()


def has_full_weights(checkpoint: Path) -> bool:
    """Whole-model weights beside the config (not an adapter, not only ZeRO shards)."""
    weights = any(checkpoint.glob("model*.safetensors")) or any(checkpoint.glob("pytorch_model*.bin"))
    return weights and not is_adapter(checkpoint)


def read_recipe_note(checkpoint: Path) -> dict:
    """The run's lima_train.json, looked up from a checkpoint, final/ or an export; {} when there is none."""
    for directory in (checkpoint, checkpoint.parent, checkpoint.parent.parent):
        path = directory / RECIPE_NAME
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    return {}


def load_for_inference(checkpoint: Path, device: str | None = None):
    """A checkpoint (full model or LoRA adapter, merged here) as a plain model, its tokenizer, EOT id."""
    import torch
    from transformers import AutoModelForCausalLM

    if not checkpoint.is_dir() or not (checkpoint / "tokenizer_config.json").is_file():
        raise InputError(f"{checkpoint}: not a lima-train checkpoint (no tokenizer files)")
    tokenizer = load_tokenizer(str(checkpoint))
    eot_token = read_recipe_note(checkpoint).get("eot_token", RunConfig().eot_token)
    if eot_token not in tokenizer.get_vocab():
        raise InputError(f"{checkpoint}: tokenizer has no {eot_token!r} token; was it trained with lima-train?")
    eot_id = tokenizer.convert_tokens_to_ids(eot_token)
    if is_adapter(checkpoint):
        model = _merged_adapter(checkpoint, tokenizer)
    elif has_full_weights(checkpoint):
        model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch.float32)
    elif (checkpoint / "latest").is_file():
        model = _consolidated_zero(checkpoint)
    else:
        raise InputError(f"{checkpoint}: no model weights here (neither full weights, an adapter nor ZeRO shards)")
    model.to(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    model.eval()
    return model, tokenizer, eot_id


def _merged_adapter(checkpoint: Path, tokenizer):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    adapter = json.loads((checkpoint / "adapter_config.json").read_text(encoding="utf-8"))
    base_path = adapter.get("base_model_name_or_path")
    if base_path and not Path(base_path).is_dir():  # a moved run folder: its own base-model/ beside the checkpoints
        moved = checkpoint.parent.parent / "base-model"
        base_path = str(moved) if moved.is_dir() else base_path
    if not base_path or not Path(base_path).is_dir():
        raise InputError(f"{checkpoint}: the adapter's base model {base_path!r} is not a local directory")
    base = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
    resize_for_eot(base, len(tokenizer))
    model = PeftModel.from_pretrained(base, checkpoint).merge_and_unload()
    if (checkpoint / "generation_config.json").is_file():
        from transformers import GenerationConfig

        model.generation_config = GenerationConfig.from_pretrained(checkpoint)
    return model


def _consolidated_zero(checkpoint: Path):
    """Gather ZeRO shards into one model: a checkpoint saved without 16-bit weight gathering."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(checkpoint), dtype=torch.float32)
    with contextlib.redirect_stdout(sys.stderr):  # DeepSpeed logs on stdout, where answers go
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

        state = get_fp32_state_dict_from_zero_checkpoint(str(checkpoint))
    model.load_state_dict(state)
    if (checkpoint / "generation_config.json").is_file():
        model.generation_config = GenerationConfig.from_pretrained(checkpoint)
    return model
