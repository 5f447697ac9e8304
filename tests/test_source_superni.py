"""Super-NaturalInstructions reader: eligibility, the seeded instance choice, prompt layout, errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, recipe_settings

from lima_curate.errors import InputError
from lima_curate.sources import superni
from lima_curate.sources.superni import Settings

SAMPLES = ROOT / "samples" / "superni"
REAL = ROOT.parent / "shared" / "real" / "superni"

ELIGIBLE = [
    "task9001_recipe_note_summarization",
    "task9002_formal_to_casual_style_transfer",
    "task9003_everyday_sentence_paraphrasing",
    "task9004_lease_clause_simplification",
    "task9005_local_news_title_generation",
    "task9006_trail_report_data_to_text",
]


def read_all(root: Path, settings: Settings | None = None, seed: int = 0):
    skipped: Counter = Counter()
    found = [c for unit in superni.units(root) for c in superni.read(unit, settings or recipe_settings("superni"), seed, skipped)]
    return found, skipped


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write_root(tmp_path: Path, tasks: dict[str, dict], train: list[str] | None = None) -> Path:
    """A Super-NI folder with the given task bodies, all in the train split unless told otherwise."""
    (tmp_path / "tasks").mkdir()
    (tmp_path / "splits" / "default").mkdir(parents=True)
    for name, body in tasks.items():
        (tmp_path / "tasks" / f"{name}.json").write_text(json.dumps(body, indent=4), encoding="utf-8")
    names = list(tasks) if train is None else train
    (tmp_path / "splits" / "default" / "train_tasks.txt").write_text("\n".join(names) + "\n")
    return tmp_path


def task_body(categories=("Summarization",), language="English", instances=None) -> dict:
    if instances is None:
        instances = [
            {"id": f"task9999-{i:032x}", "input": f"Input number {i}.", "output": [f"Output number {i}."]} for i in range(5)
        ]
    return {
        "Definition": ["Summarize the text."],
        "Categories": list(categories),
        "Input_language": [language],
        "Output_language": [language],
        "Instruction_language": [language],
        "Instances": instances,
    }


# -- the shipped samples ----------------------------------------------------------------------------


def test_units_are_the_train_split_tasks_only():
    names = [unit.stem for unit in superni.units(SAMPLES)]
    assert names == sorted(names)
    assert "task9009_short_story_continuation" not in names  # test split
    assert "task9010_short_story_title_generation" not in names  # excluded split
    assert set(ELIGIBLE) < set(names)


def test_samples_give_one_candidate_per_english_generation_task():
    found, skipped = read_all(SAMPLES)
    assert [c.group for c in found] == ELIGIBLE
    assert skipped == Counter({"not English": 1, "not a generation task": 1, "empty output": 2})


def test_prompt_is_definition_blank_line_input_and_response_is_first_output():
    found, _ = read_all(SAMPLES)
    for cand in found:
        task = load(SAMPLES / "tasks" / f"{cand.group}.json")
        instance = next(i for i in task["Instances"] if i["id"] == cand.meta["instance_id"])
        assert cand.id == f"superni/{cand.group}/{instance['id']}"
        assert cand.prompt == task["Definition"][0] + "\n\n" + instance["input"]
        assert cand.response == instance["output"][0]
        assert cand.source == cand.subset == "superni"
        assert cand.meta["task"] == cand.group
        assert cand.meta["categories"] == task["Categories"]
        assert cand.meta["licence"] == "Apache-2.0"
        assert cand.meta["url"] == f"https://github.com/allenai/natural-instructions/blob/master/tasks/{cand.group}.json"


def test_choice_depends_on_seed_only():
    first, _ = read_all(SAMPLES, seed=7)
    again, _ = read_all(SAMPLES, seed=7)
    assert [c.manifest_line() for c in first] == [c.manifest_line() for c in again]
    chosen = {c.meta["instance_id"] for seed in range(12) for c in read_all(SAMPLES, seed=seed)[0] if c.group == ELIGIBLE[0]}
    assert len(chosen) > 1


def test_instances_with_empty_output_are_never_chosen():
    task = load(SAMPLES / "tasks" / "task9003_everyday_sentence_paraphrasing.json")
    empty = {i["id"] for i in task["Instances"] if not i["output"] or not i["output"][0]}
    assert empty
    for seed in range(20):
        found, _ = read_all(SAMPLES, seed=seed)
        assert not empty & {c.meta["instance_id"] for c in found}


def test_instances_per_task_draws_distinct_instances():
    found, _ = read_all(SAMPLES, Settings(instances_per_task=3))
    per_task = Counter(c.group for c in found)
    assert set(per_task.values()) == {3}
    assert len({c.id for c in found}) == len(found)


# -- eligibility rules ------------------------------------------------------------------------------


def test_every_category_must_be_a_generation_category(tmp_path):
    root = write_root(
        tmp_path,
        {
            "task9990_mixed": task_body(categories=("Summarization", "Sentiment Analysis")),
            "task9991_pure": task_body(categories=("Paraphrasing", "Style Transfer")),
        },
    )
    found, skipped = read_all(root)
    assert [c.group for c in found] == ["task9991_pure"]
    assert skipped["not a generation task"] == 1


def test_any_non_english_language_field_excludes_the_task(tmp_path):
    body = task_body()
    body["Output_language"] = ["Khmer"]
    root = write_root(tmp_path, {"task9992_translation": body, "task9993_english": task_body()})
    found, skipped = read_all(root)
    assert [c.group for c in found] == ["task9993_english"]
    assert skipped["not English"] == 1


def test_task_without_usable_instances_is_counted(tmp_path):
    instances = [
        {"id": "task9994-a", "input": "Text.", "output": []},
        {"id": "task9994-b", "input": "  ", "output": ["Something."]},
        {"id": "task9994-c", "input": "Text."},
    ]
    root = write_root(tmp_path, {"task9994_empty": task_body(instances=instances)})
    found, skipped = read_all(root)
    assert found == []
    assert skipped == Counter({"empty output": 1, "empty input": 1, "malformed instance": 1, "no usable instance": 1})


def test_split_tasks_without_a_file_are_ignored(tmp_path):
    root = write_root(tmp_path, {"task9995_here": task_body()}, train=["task9995_here", "task0001_not_downloaded"])
    assert [u.stem for u in superni.units(root)] == ["task9995_here"]


# -- bad input --------------------------------------------------------------------------------------


def test_invalid_json_names_file_and_line(tmp_path):
    root = write_root(tmp_path, {"task9996_broken": task_body()})
    path = root / "tasks" / "task9996_broken.json"
    path.write_text('{\n    "Definition": ["x"],\n    "Categories": ["Summarization"]\n    "Instances": []\n}\n')
    with pytest.raises(InputError) as caught:
        list(superni.read(path, recipe_settings("superni"), 0, Counter()))
    assert str(caught.value).startswith(f"{path}:4: not valid JSON")
    assert "\n" not in str(caught.value)


def test_invalid_utf8_names_file_and_line(tmp_path):
    root = write_root(tmp_path, {"task9997_bytes": task_body()})
    path = root / "tasks" / "task9997_bytes.json"
    path.write_bytes(b'{\n  "Definition": ["caf\xe9"]\n}\n')
    with pytest.raises(InputError, match=r":2: not valid UTF-8"):
        list(superni.read(path, recipe_settings("superni"), 0, Counter()))


@pytest.mark.parametrize("field", ["Definition", "Categories", "Input_language", "Instances"])
def test_missing_field_names_file_and_field(tmp_path, field):
    body = task_body()
    del body[field]
    root = write_root(tmp_path, {"task9998_partial": body})
    path = root / "tasks" / "task9998_partial.json"
    with pytest.raises(InputError) as caught:
        list(superni.read(path, recipe_settings("superni"), 0, Counter()))
    assert str(caught.value) == f"{path}: missing field {field!r}"


def test_definition_must_be_a_list_of_strings(tmp_path):
    body = task_body()
    body["Definition"] = "Summarize the text."
    root = write_root(tmp_path, {"task9998_flat": body})
    with pytest.raises(InputError, match="field 'Definition' must be a list of strings"):
        read_all(root)


def test_missing_split_file_is_an_error(tmp_path):
    root = write_root(tmp_path, {"task9995_here": task_body()})
    (root / "splits" / "default" / "train_tasks.txt").unlink()
    with pytest.raises(InputError, match="train_tasks.txt: missing"):
        superni.units(root)


def test_folder_without_train_tasks_is_an_error(tmp_path):
    root = write_root(tmp_path, {"task9995_here": task_body()}, train=["task0002_elsewhere"])
    with pytest.raises(InputError, match="none of the 1 tasks"):
        superni.units(root)


def test_a_file_is_not_a_super_ni_folder():
    with pytest.raises(InputError, match="expected the Super-NaturalInstructions folder"):
        superni.units(SAMPLES / "splits" / "default" / "train_tasks.txt")


# -- real files -------------------------------------------------------------------------------------

real = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real/superni is absent")


@pytest.mark.real
@real
def test_real_splits():
    train = superni.train_task_names(REAL / "splits" / "default" / "train_tasks.txt")
    test = superni.train_task_names(REAL / "splits" / "default" / "test_tasks.txt")
    assert (len(train), len(test)) == (756, 119)
    assert not train & test
    assert "task1146_country_capital" in train


@pytest.mark.real
@real
def test_real_country_capital_task_is_not_a_generation_task():
    task = superni.load_task(REAL / "tasks" / "task1146_country_capital.json")
    assert task["Categories"] == ["Misc."]  # one-word lookups, not generation in LIMA's sense
    assert [u.name for u in superni.units(REAL)] == ["task1146_country_capital.json"]
    found, skipped = read_all(REAL)
    assert found == []
    assert skipped == Counter({"not a generation task": 1})


@pytest.mark.real
@real
def test_real_task_reads_when_its_category_is_allowed():
    settings = Settings(generation_categories=("Misc.",))
    found, skipped = read_all(REAL, settings, seed=3)
    assert len(found) == 1 and not skipped
    cand = found[0]
    task = load(REAL / "tasks" / "task1146_country_capital.json")
    instance = next(i for i in task["Instances"] if i["id"] == cand.meta["instance_id"])
    assert cand.id.startswith("superni/task1146_country_capital/task1146-")
    assert cand.prompt == task["Definition"][0] + "\n\n" + instance["input"]
    assert cand.response == instance["output"][0]
    assert cand.meta["instance_licence"] == ["Public Domain"]
