"""Run settings: LIMA's recipe as defaults, merged with a config file and flags, saved with the run.

Everything here is plain Python (no torch) so the command line can validate settings before it
starts any heavy work. Settings are checked by pydantic v2 (already a dependency of DeepSpeed, so it
costs no install): RunConfig's annotations are the only type map, values from files must already
have their type (strict: "3" is no int, 1 is no bool), unknown keys are refused, `--set` strings are
parsed by pydantic's string mode, and its first complaint becomes one line naming the file or flag
and the key. Rules between settings (lr_end <= learning_rate, heads dividing the width) stay in
`validate`, which runs on the merged settings, never on one layer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .atomic import write_atomic
from .errors import InputError

CONFIG_NAME = "train_config.json"
# Path settings that a run's train_config.json records relative to the run directory when they lie inside
# it (a copied or moved run folder then resumes in place); paths outside it stay absolute.
RUN_PATHS = ("manifest", "dev", "base_model", "deepspeed_config", "hostfile")
REPORT_TO = ("none", "tensorboard", "wandb")

# LIMA (Zhou et al. 2023, section 3): 0.3 at the top layer for 65B, 0.2 for smaller models.
LARGE_MODEL_PARAMS = 30e9
LARGE_MODEL_TOP_DROPOUT = 0.3
SMALL_MODEL_TOP_DROPOUT = 0.2


def comma_separated(value: Any) -> Any:
    """`"q_proj,v_proj"` (a `--set` string or a file's string) as the list of names it spells."""
    return [name for name in value.split(",") if name] if isinstance(value, str) else value


class RunConfig(BaseModel):
    """Every setting of a training run; the defaults are LIMA's recipe."""

    model_config = ConfigDict(strict=True, extra="forbid", validate_assignment=True)

    manifest: str = ""
    out: str = ""
    model: str = "tiny"
    dev: str | None = None
    # the recipe
    epochs: int = 15
    learning_rate: float = 1e-5
    lr_end: float = 1e-6
    adam_beta1: float = 0.9
    adam_beta2: float = 0.95
    weight_decay: float = 0.1
    max_grad_norm: float = 1.0
    global_batch: int = 32
    micro_batch: int | None = None
    max_length: int = 2048
    eot_token: str = "<EOT>"
    top_dropout: float | None = None
    seed: int = 42
    # decoding for the per-epoch dev generations, saved with every checkpoint for `generate`
    gen_top_p: float = 0.9
    gen_temperature: float = 0.7
    gen_repetition_penalty: float = 1.2
    gen_max_new_tokens: int | None = None  # None: up to max_length (LIMA: 2048)
    gen_batch_size: int = 8
    dev_max_new_tokens: int = 256  # per-epoch dev answers: at most this, and gen_max_new_tokens
    # LoRA instead of full fine-tuning
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_targets: Annotated[list[str], BeforeValidator(comma_separated)] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )
    # distribution and numerics
    deepspeed: bool = True
    zero_stage: int = 3
    deepspeed_config: str | None = None
    precision: str = "auto"
    gradient_checkpointing: bool = False
    attn_implementation: str = "sdpa"
    nproc: int = 1
    hostfile: str | None = None
    launcher: str = "deepspeed"
    master_port: int | None = None
    # where the Trainer's logs go besides metrics.jsonl: none, tensorboard (RUN/tensorboard/) or wandb
    report_to: str = "none"
    # the tiny random model built by `--model tiny`
    tiny_hidden: int = 64
    tiny_layers: int = 2
    tiny_heads: int = 4
    tiny_vocab: int = 512
    # recorded by the run itself
    manifest_sha256: str | None = None
    base_model: str | None = None

    def answer_tokens(self) -> int:
        """Most new tokens per generated answer: gen_max_new_tokens, else the whole context."""
        return self.max_length if self.gen_max_new_tokens is None else self.gen_max_new_tokens


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a JSON or TOML settings file (keys are RunConfig field names), each value of its field's type."""
    if not path.is_file():
        raise InputError(f"{path}: config file not found")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except ValueError as error:
        raise InputError(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {error}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a table of settings")
    return _checked_layer(data, str(path))


def parse_assignments(items: list[str]) -> dict[str, Any]:
    """`["epochs=3", "lora=true"]` -> typed settings; `none` or `null` unsets a setting that may be None."""
    settings: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--set {item!r}: expected KEY=VALUE")
        key, value = key.strip().replace("-", "_"), value.strip()
        field = RunConfig.model_fields.get(key)
        if field is not None and field.default is None and value.lower() in ("none", "null"):
            settings.update(_checked_layer({key: None}, "--set"))
        else:
            settings.update(_checked_layer({key: value}, "--set", from_strings=True))
    return settings


def _checked_layer(data: dict[str, Any], where: str, from_strings: bool = False) -> dict[str, Any]:
    """One layer of settings checked field by field and converted to the fields' types."""
    try:
        checked = RunConfig.model_validate_strings(data) if from_strings else RunConfig.model_validate(data)
    except ValidationError as error:
        raise InputError(f"{where}: {first_problem(error)}") from None
    return {key: getattr(checked, key) for key in data}


def first_problem(error: ValidationError) -> str:
    """pydantic's first complaint about settings as one line naming the setting."""
    problem = error.errors(include_url=False)[0]
    location = problem["loc"]
    if not location:
        return problem["msg"]
    key = str(location[0])
    if problem["type"] == "extra_forbidden":
        return f"unknown setting {key!r}; known settings: {', '.join(RunConfig.model_fields)}"
    if len(location) > 1:
        return f"setting {key!r}: item {location[1]}, {problem['input']!r}, is not valid: {problem['msg']}"
    return f"setting {key!r}: {problem['input']!r} is not a valid {_type_name(RunConfig.model_fields[key].annotation)}"


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, UnionType):  # `int | None`: None is never the value that was wrong
        return " or ".join(_type_name(arg) for arg in get_args(annotation) if arg is not type(None))
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)


def build_config(*layers: dict[str, Any]) -> RunConfig:
    """Defaults, then each layer of settings in turn (config file, --set, flags); later wins."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update({key: value for key, value in layer.items() if value is not None})
    try:
        config = RunConfig.model_validate(merged)
    except ValidationError as error:
        raise InputError(f"settings: {first_problem(error)}") from None
    validate(config)
    config.gen_max_new_tokens = config.answer_tokens()  # saved as the number it resolves to
    return config


def validate(config: RunConfig) -> None:
    """Reject settings that cannot work together, before any process starts."""
    checks = [
        (config.epochs >= 1, "epochs must be at least 1"),
        (config.global_batch >= 1, "global_batch must be at least 1"),
        (config.micro_batch is None or config.micro_batch >= 1, "micro_batch must be at least 1"),
        (config.max_length >= 8, "max_length must be at least 8"),
        (config.dev_max_new_tokens >= 1, "dev_max_new_tokens must be at least 1"),
        (
            config.learning_rate > 0 and 0 <= config.lr_end <= config.learning_rate,
            "need learning_rate > 0 and 0 <= lr_end <= learning_rate",
        ),
        (config.top_dropout is None or 0.0 <= config.top_dropout < 1.0, "top_dropout must be in [0, 1)"),
        (config.zero_stage in (0, 1, 2, 3), "zero_stage must be 0, 1, 2 or 3"),
        (config.precision in ("auto", "bf16", "fp16", "fp32"), "precision must be auto, bf16, fp16 or fp32"),
        (config.launcher in ("deepspeed", "torchrun"), "launcher must be deepspeed or torchrun"),
        (config.report_to in REPORT_TO, f"report_to must be one of {', '.join(REPORT_TO)} (--report-to)"),
        (config.nproc >= 1, "nproc must be at least 1"),
        (config.hostfile is None or config.deepspeed, "--hostfile needs DeepSpeed's launcher (deepspeed=true)"),
        (0 < config.gen_top_p <= 1 and config.gen_temperature > 0, "need 0 < gen_top_p <= 1 and gen_temperature > 0"),
        (
            1 <= config.answer_tokens() <= config.max_length,
            f"gen_max_new_tokens must be between 1 and max_length ({config.max_length}); prompt and answer share it",
        ),
        (config.gen_batch_size >= 1, "gen_batch_size must be at least 1"),
        (config.eot_token.strip() != "", "eot_token must not be empty"),
    ]
    if config.model == "tiny":
        checks += [
            (
                min(config.tiny_hidden, config.tiny_heads, config.tiny_layers, config.tiny_vocab) >= 1,
                "tiny_hidden, tiny_heads, tiny_layers and tiny_vocab must be at least 1",
            ),
            (
                config.tiny_heads >= 1 and config.tiny_hidden % config.tiny_heads == 0,
                f"tiny_hidden ({config.tiny_hidden}) must be a multiple of tiny_heads ({config.tiny_heads})",
            ),
        ]
    for ok, message in checks:
        if not ok:
            raise InputError(message)


def save_config(config: RunConfig, run_dir: Path) -> Path:
    """Write the resolved settings into the run directory: every process and a resume read them back.

    `out` is written as "." and every path inside the run directory relative to it, so the folder
    can be copied or moved and still resumes where it is, not in the folder it was started in.
    """
    path = run_dir / CONFIG_NAME
    root = run_dir.resolve()
    data = config.model_dump()
    data["out"] = "."
    for key in RUN_PATHS:
        if data[key] and Path(data[key]).is_absolute() and Path(data[key]).is_relative_to(root):
            data[key] = Path(data[key]).relative_to(root).as_posix() or "."
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


def read_run_config(path: Path) -> RunConfig:
    """Read a run directory's saved settings (or the file itself), paths resolved against where the folder is now.

    A relative path is relative to the run directory; so is an absolute one inside the `out` recorded
    by an older lima-train, which wrote every path absolute: either way the folder found here is the run.
    """
    path = path / CONFIG_NAME if path.is_dir() else path
    if not path.is_file():
        raise InputError(f"{path}: no saved run settings here")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        config = RunConfig.model_validate(data)
    except ValidationError as error:
        raise InputError(f"{path}: unreadable run settings: {first_problem(error)}") from None
    except ValueError as error:
        raise InputError(f"{path}: unreadable run settings: {error}") from None
    root = path.resolve().parent
    recorded = Path(config.out) if config.out and Path(config.out).is_absolute() else root
    config.out = str(root)
    for key in RUN_PATHS:
        value = getattr(config, key)
        if not value:
            continue
        value = Path(value)
        if not value.is_absolute():
            setattr(config, key, str(root / value))
        elif recorded != root and value.is_relative_to(recorded):
            setattr(config, key, str(root / value.relative_to(recorded)))
    return config


@dataclass(frozen=True)
class BatchPlan:
    """How the global batch splits: micro-batch x gradient accumulation x world size.

    `micro_batch` is examples per process per forward pass (at most: an epoch's short last step
    deals fewer), packed into rows by lima_train/batching.py.
    """

    global_batch: int
    micro_batch: int
    grad_accum: int
    world_size: int


def plan_batches(global_batch: int, world_size: int, micro_batch: int | None = None) -> BatchPlan:
    """Split `global_batch` examples per optimizer step over `world_size` processes.

    Without a micro-batch, take the largest of 8, 4, 2, 1 that divides the per-process share. A split
    that does not multiply back to the global batch exactly is an error, never silently rounded.
    """
    if world_size < 1:
        raise InputError("world size must be at least 1")
    if global_batch % world_size:
        raise InputError(f"global batch {global_batch} does not divide over {world_size} processes")
    per_process = global_batch // world_size
    if micro_batch is None:
        micro_batch = next(m for m in (8, 4, 2, 1) if per_process % m == 0)
    if per_process % micro_batch:
        raise InputError(
            f"global batch {global_batch} = micro-batch x gradient accumulation x {world_size} processes "
            f"has no whole solution for micro-batch {micro_batch}; pick one that divides {per_process}"
        )
    plan = BatchPlan(global_batch, micro_batch, per_process // micro_batch, world_size)
    assert plan.micro_batch * plan.grad_accum * plan.world_size == global_batch
    return plan


def default_top_dropout(num_params: int) -> float:
    """LIMA's top-layer residual dropout for a model of this size, when the run sets none."""
    return LARGE_MODEL_TOP_DROPOUT if num_params >= LARGE_MODEL_PARAMS else SMALL_MODEL_TOP_DROPOUT


def residual_dropout_rates(num_layers: int, top: float) -> list[float]:
    """LIMA's schedule: 0.0 at the bottom layer rising linearly to `top` at the top layer."""
    if num_layers == 1:
        return [top]
    return [top * index / (num_layers - 1) for index in range(num_layers)]


def lr_at(step: int, total_steps: int, lr: float, lr_end: float) -> float:
    """LIMA's schedule: no warmup, `lr` at step 0 falling linearly to `lr_end` at `total_steps`."""
    remaining = max(0.0, 1.0 - step / max(1, total_steps))
    return lr_end + (lr - lr_end) * remaining
