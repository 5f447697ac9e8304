"""The review file (lima_curate/review.py) and builds that apply it: decisions are data, rebuilt by verify."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal

import pytest

from lima_curate import review
from lima_curate.errors import InputError

BASE = "Whisk the eggs.\n\nHeat the pan, then pour them in and stir slowly.\n"
NEW = "Whisk the eggs well.\n\nHeat the pan, then pour them in and stir slowly.\n"


def record(action: str, example_id: str = "wikihow/1", **kwargs) -> dict:
    return review.decision(action, example_id, "wikihow", reviewer="ana", time="2026-01-31T12:00:00Z", **kwargs)


# -- the file on its own ---------------------------------------------------------------------------


def test_an_edit_stores_a_patch_that_gives_the_new_text_exactly(tmp_path):
    edit = record("edit", field="response", base=BASE, new=NEW)
    assert "Heat the pan, then pour them in and stir slowly" not in edit["patch"]  # a diff, not a copy
    assert review.apply_edit(BASE, edit) == NEW
    assert review.apply_edit(BASE.replace("eggs", "egg"), edit) is None  # stale: never applied blindly
    path = tmp_path / review.REVIEW_FILE
    review.append(path, edit)
    review.append(path, record("reject", "wikihow/2", reason="off-topic"))
    assert review.read(path) == [edit, record("reject", "wikihow/2", reason="off-topic")]
    assert path.read_bytes().count(b"\n") == 2


def test_the_last_decision_of_an_id_is_in_force():
    records = [
        record("reject", reason="low quality"),
        record("edit", field="prompt", base="How to cook?", new="How to cook an omelette?"),
        record("accept"),
        record("edit", field="prompt", base="How to cook?", new="How to cook eggs?"),
    ]
    force = review.in_force(records)
    assert force.decisions == {"wikihow/1": (3, records[2])}
    assert force.edits == {("wikihow/1", "prompt"): (4, records[3])}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"action": "reject"}, "'reason' must be a non-empty string"),
        ({"action": "replace"}, "'with' must be a non-empty string"),
        ({"action": "drop"}, "action must be one of accept, reject, replace, edit"),
        ({"action": "edit", "field": "title", "base": "a", "new": "b"}, "field must be one of prompt, response"),
        ({"action": "edit", "field": "prompt", "base": "a", "new": "a"}, "the edit changes nothing"),
        ({"action": "accept", "time": "2026-01-31 12:00"}, "time must be UTC ISO-8601"),
    ],
)
def test_a_record_the_build_would_refuse_is_refused_before_it_is_written(kwargs, message):
    action = kwargs.pop("action")
    with pytest.raises(ValueError, match=message):
        review.decision(action, "wikihow/1", "wikihow", reviewer="ana", **{"time": "2026-01-31T12:00:00Z", **kwargs})


def test_a_bad_line_is_named_by_file_and_line(tmp_path):
    path = tmp_path / review.REVIEW_FILE
    good = json.dumps(record("accept"))
    path.write_text(good + "\n" + good.replace('"accept"', '"maybe"') + "\n")
    with pytest.raises(InputError) as caught:
        review.read(path)
    assert str(caught.value) == f"{path}:2: action must be one of accept, reject, replace, edit, found 'maybe'"
    path.write_text(good + "\n{not json\n")
    with pytest.raises(InputError, match=rf"^{path}:2: not a JSON line"):
        review.read(path)


def test_a_torn_last_line_is_reported_and_never_appended_onto(tmp_path):
    path = tmp_path / review.REVIEW_FILE
    review.append(path, record("accept"))
    with open(path, "ab") as handle:
        handle.write(b'{"schema":"lima-review/1","id":"wiki')
    with pytest.raises(InputError) as caught:
        review.read(path)
    assert str(caught.value) == f"{path}:2: {review.TORN}"
    with pytest.raises(InputError, match=r":2: torn last line .*remove it by hand"):
        review.append(path, record("accept", "wikihow/2"))
    assert path.read_bytes().endswith(b'"id":"wiki')


def appender(path, big, ready) -> None:
    ready.set()
    while True:
        review.append(path, big)


def test_a_process_killed_while_appending_leaves_only_whole_lines(tmp_path):
    path = tmp_path / review.REVIEW_FILE
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    big = record("edit", field="response", base=BASE * 200, new=NEW * 200)  # a 16 kB line
    process = context.Process(target=appender, args=(path, big, ready))
    process.start()
    ready.wait(10)
    while not path.exists() or path.stat().st_size < 400_000:
        pass
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    records = review.read(path)  # raises on a torn line
    assert records and all(r["action"] == "edit" for r in records)
