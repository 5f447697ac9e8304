"""Super-NaturalInstructions -> one candidate per English generation task in the train split.

The input is the repository's layout: a folder holding ``tasks/taskNNN_name.json`` (one JSON object
per task: ``Definition``, ``Categories``, the three ``*_language`` lists, ``Instances``) and
``splits/default/train_tasks.txt``. LIMA took 50 generation tasks (summarisation, paraphrase, style
transfer, ...) and one random instance of each; the build then samples the tasks.

Only train-split tasks are units: the split decides which task files are read at all (the full
collection has over 1,600 tasks, most of them never eligible), and it keeps each unit's output a
function of that one file, which is what the extraction cache keys on. Task files are small enough
(a few MB at most) to be parsed whole, one at a time.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError, decode_utf8
from ..records import Candidate, chat, rng_for
from .guard import guarded, lone_surrogate

NAME = "superni"
VERSION = 2  # 2: a task holding a lone surrogate escape anywhere is an InputError (it built before when unused)
SUBSETS = ("superni",)
GROUP_FIELD = "task"
GAIR_NAMES = ("nlp",)

TASKS = "tasks"
TRAIN_SPLIT = Path("splits") / "default" / "train_tasks.txt"
TASK_URL = "https://github.com/allenai/natural-instructions/blob/master/tasks/{}"
LICENCE = "Apache-2.0"
LANGUAGE_FIELDS = ("Input_language", "Output_language", "Instruction_language")
REQUIRED_FIELDS = ("Definition", "Categories", *LANGUAGE_FIELDS, "Instances")

# Super-NI category names whose tasks write free text in answer to an instruction: LIMA's
# "summarization, paraphrase, style transfer, etc.". Left out on purpose: question answering and
# classification of every kind (short fixed answers), "Wrong Candidate Generation" and "Sentence
# Perturbation" (deliberately wrong or corrupted text), "Translation" (mostly non-English output),
# "Question Generation", "Fill in The Blank", "Keyword Tagging", "Program Execution", "Misc.".
GENERATION_CATEGORIES = (
    "Summarization",
    "Paraphrasing",
    "Text Simplification",
    "Style Transfer",
    "Title Generation",
    "Question Rewriting",
    "Sentence Composition",
    "Sentence Compression",
    "Sentence Expansion",
    "Story Composition",
    "Poem Generation",
    "Dialogue Generation",
    "Data to Text",
    "Text Completion",
    "Grammar Error Correction",
    "Explanation",
    "Code to Text",
)


@dataclass(frozen=True)
class Settings:
    """The recipe's ``[superni]`` table."""

    languages: tuple[str, ...] = ("English",)  # every language field must list only these
    generation_categories: tuple[str, ...] = GENERATION_CATEGORIES  # every category must be one
    instances_per_task: int = 1  # LIMA: one random instance per task


def units(path: Path) -> list[Path]:
    """The task files of ``path``/tasks that the default train split lists, sorted by name.

    Tasks the split lists but the folder lacks are fine (a partial download); a folder with none
    of them is an error.
    """
    root = Path(path)
    if not root.is_dir():
        raise InputError(root, "expected the Super-NaturalInstructions folder (with tasks/ and splits/)")
    tasks = root / TASKS
    if not tasks.is_dir():
        raise InputError(tasks, "no such folder: the task files live in tasks/")
    train = train_task_names(root / TRAIN_SPLIT)
    found = sorted(p for p in tasks.glob("*.json") if p.stem in train)
    if not found:
        raise InputError(tasks, f"none of the {len(train)} tasks in {TRAIN_SPLIT.as_posix()} has a task file here")
    return found


def files(unit: Path, settings: Settings) -> list[Path]:
    """A unit is one task file, and its candidates depend on it alone."""
    return [unit]


def train_task_names(split_file: Path) -> set[str]:
    """Task names listed in a split file, one a line."""
    try:
        text = decode_utf8(split_file.read_bytes(), split_file)
    except FileNotFoundError:
        raise InputError(split_file, "missing: the train split says which tasks may be used") from None
    return {line.strip() for line in text.splitlines() if line.strip()}


def read(unit: Path, settings: Settings, seed: int, skipped: Counter) -> Iterator[Candidate]:
    """A seeded sample of an English generation task's usable instances (``instances_per_task`` at
    most), in instance-id order; a task that does not qualify is counted in ``skipped`` once. Whatever
    the checks did not foresee is still one InputError naming the task file (``guard``)."""
    return guarded(unit, read_task(unit, settings, seed, skipped))


def read_task(unit: Path, settings: Settings, seed: int, skipped: Counter) -> Iterator[Candidate]:
    """``read`` without the guard."""
    task = load_task(unit)
    name = unit.stem
    if not is_english(task, settings.languages):
        skipped["not English"] += 1
        return
    if not is_generation(task["Categories"], settings.generation_categories):
        skipped["not a generation task"] += 1
        return
    instances = usable_instances(task["Instances"], skipped)
    if not instances:
        skipped["no usable instance"] += 1
        return
    count = min(settings.instances_per_task, len(instances))
    chosen = rng_for(seed, NAME, name).sample(instances, count)
    definition = "\n\n".join(part.strip() for part in task["Definition"] if part.strip())
    for instance in sorted(chosen, key=lambda item: item["id"]):
        yield candidate(unit, task, definition, instance)


def load_task(path: Path) -> dict[str, Any]:
    """Parse one task file and check the fields the reader relies on; anything off is an InputError."""
    data = path.read_bytes()
    text = decode_utf8(data, path)
    try:
        task = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(path, f"not valid JSON ({error.msg}, column {error.colno})", error.lineno) from None
    except RecursionError:
        raise InputError(path, "not valid JSON here (nested too deeply)") from None
    except ValueError:  # the only other ValueError json raises: int(), past sys.get_int_max_str_digits()
        raise InputError(path, f"not valid JSON here (an integer of more than {sys.get_int_max_str_digits()} digits)") from None
    if lone_surrogate(text, task):
        raise InputError(path, "holds a \\u escape of a lone surrogate, which is not text")
    if not isinstance(task, dict):
        raise InputError(path, "not a Super-NaturalInstructions task: expected a JSON object")
    for key in REQUIRED_FIELDS:
        if key not in task:
            raise InputError(path, f"missing field {key!r}")
    for key in ("Definition", "Categories", *LANGUAGE_FIELDS):
        if not is_list_of_strings(task[key]):
            raise InputError(path, f"field {key!r} must be a list of strings")
    if not any(part.strip() for part in task["Definition"]):
        raise InputError(path, "field 'Definition' is empty")
    if not isinstance(task["Instances"], list):
        raise InputError(path, "field 'Instances' must be a list")
    return task


def is_list_of_strings(value: Any) -> bool:
    """The shape of a task's definition, categories, languages and outputs."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def is_english(task: dict[str, Any], languages: tuple[str, ...]) -> bool:
    """Instructions, inputs and outputs all in the allowed languages (LIMA is English only)."""
    return all(task[key] and all(language in languages for language in task[key]) for key in LANGUAGE_FIELDS)


def is_generation(categories: list[str], generation_categories: tuple[str, ...]) -> bool:
    """Every category the task lists is a generation one, so a partly-classification task stays out."""
    return bool(categories) and all(category in generation_categories for category in categories)


def usable_instances(instances: list[Any], skipped: Counter) -> list[dict[str, Any]]:
    """Instances with an id, a non-empty input and a non-empty first output, sorted by id."""
    usable = []
    for instance in instances:
        if not is_well_formed(instance):
            skipped["malformed instance"] += 1
        elif not instance["output"] or not instance["output"][0].strip():
            skipped["empty output"] += 1
        elif not instance["input"].strip():
            skipped["empty input"] += 1
        else:
            usable.append(instance)
    return sorted(usable, key=lambda item: item["id"])


def is_well_formed(instance: Any) -> bool:
    """An object with a non-empty string id, a string input and a list of string outputs."""
    return (
        isinstance(instance, dict)
        and isinstance(instance.get("id"), str)
        and bool(instance["id"])
        and isinstance(instance.get("input"), str)
        and is_list_of_strings(instance.get("output"))
    )


def candidate(unit: Path, task: dict[str, Any], definition: str, instance: dict[str, Any]) -> Candidate:
    """Prompt: the definition, a blank line, the instance input. Response: the first output."""
    name = unit.stem
    meta = {
        "task": name,
        "categories": list(task["Categories"]),
        "instance_id": instance["id"],
        "url": TASK_URL.format(unit.name),
        "licence": LICENCE,
    }
    if is_list_of_strings(task.get("Instance License")):
        meta["instance_licence"] = list(task["Instance License"])
    return Candidate(
        id=f"{NAME}/{name}/{instance['id']}",
        source=NAME,
        subset=NAME,
        group=name,
        messages=chat(f"{definition}\n\n{instance['input'].strip()}", instance["output"][0].strip()),
        meta=meta,
    )
