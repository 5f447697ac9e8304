"""The review file (lima_curate/review.py) and builds that apply it: decisions are data, rebuilt by verify."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_INPUTS, run_cli

from lima_curate import publish, review
from lima_curate.errors import InputError
from lima_curate.manifest import Outputs, file_sha256
from lima_curate.records import Candidate, chat

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
        ({"action": "edit", "field": "prompt", "base": "a", "new": " \n"}, "the edit leaves the prompt blank"),
        ({"action": "edit", "field": "response", "base": "a", "new": ""}, "the edit leaves the response blank"),
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


def test_a_torn_last_line_is_refused_by_read_and_cut_off_by_the_next_append(tmp_path):
    path = tmp_path / review.REVIEW_FILE
    review.append(path, record("accept"))
    whole = path.read_bytes()
    torn = b'{"schema":"lima-review/1","id":"wiki' + b"x" * 70_000  # longer than the 64 KiB blocks read back
    with open(path, "ab") as handle:
        handle.write(torn)
    with pytest.raises(InputError) as caught:
        review.read(path)
    assert str(caught.value) == f"{path}:2: {review.TORN}"
    assert review.append(path, record("accept", "wikihow/2")) == len(torn)  # no append returned for it: nothing lost
    assert review.read(path) == [record("accept"), record("accept", "wikihow/2")]
    assert path.read_bytes().startswith(whole)


def test_a_whole_last_line_without_its_newline_is_kept_by_the_next_append(tmp_path):
    path = tmp_path / review.REVIEW_FILE
    path.write_bytes(json.dumps(record("accept")).encode())  # written by hand, no newline at its end
    assert review.append(path, record("accept", "wikihow/2")) == 0
    assert review.read(path) == [record("accept"), record("accept", "wikihow/2")]


def test_an_edit_back_to_the_sampled_text_is_a_revert_the_last_edit_wins(tmp_path):
    edit, revert = record("edit", field="response", base=BASE, new=NEW), record("edit", field="response", base=BASE, new=BASE)
    assert revert["patch"] == "" and revert["base_sha256"] == revert["new_sha256"]
    path = tmp_path / review.REVIEW_FILE
    review.append(path, edit)
    review.append(path, revert)
    force = review.in_force(review.read(path))
    assert review.apply_edit(BASE, force.edits[("wikihow/1", "response")][1]) == BASE


def test_a_bad_patch_on_a_matching_base_is_a_value_error_not_a_traceback():
    edit = record("edit", field="response", base=BASE, new=NEW)
    swapped = {**edit, "patch": review.make_patch("something else entirely", "something other entirely")}
    with pytest.raises(ValueError, match="does not give the text it was made to give"):
        review.apply_edit(BASE, swapped)


DIALOGUE = [
    {"role": "user", "content": "first question"},
    {"role": "assistant", "content": "first answer"},
    {"role": "user", "content": "follow-up"},
    {"role": "assistant", "content": "last answer"},
]


def test_the_prompt_is_the_first_user_turn_and_the_response_the_last_assistant_turn():
    assert review.edit_target(DIALOGUE, "prompt") == 0 and review.edit_target(DIALOGUE, "response") == 3
    with pytest.raises(ValueError, match="no assistant turn"):
        review.edit_target(DIALOGUE[:1], "response")


def candidate(example_id: str, url: str = "", subset: str = "se_stem", messages=None) -> Candidate:
    return Candidate(example_id, "stackexchange", subset, "site", tuple(messages or chat("q", "a")), meta={"url": url})


def applied(records, chosen, reserves, tmp_path):
    return review.apply(tmp_path / review.REVIEW_FILE, records, chosen, reserves, {})


def test_a_response_edit_of_a_dialogue_changes_its_last_assistant_turn(tmp_path):
    talk = candidate("se/d", subset="dialogue", messages=DIALOGUE)
    edit = review.decision(
        "edit", "se/d", "dialogue", reviewer="a", field="response", base="last answer", new="the last answer, edited"
    )
    result = applied([edit], {"dialogue": [talk]}, {}, tmp_path)
    assert result.counts["edited"] == 1 and not result.stale
    assert [m["content"] for m in result.chosen["dialogue"][0].messages] == [
        "first question",
        "first answer",
        "follow-up",
        "the last answer, edited",
    ]


def test_a_reject_skips_a_reserve_draw_whose_thread_is_already_a_dialogue_example(tmp_path):
    chosen = {"se_stem": [candidate("se/a", "u1")], "dialogue": [candidate("se/d", "u2", "dialogue")]}
    reserves = {"se_stem": [candidate("se/r1", "u2"), candidate("se/r2", "u3")]}
    reject = review.decision("reject", "se/a", "se_stem", reviewer="a", reason="other")
    assert review.assign(review.in_force([reject]), chosen, reserves) == {"se/a": "se/r2"}
    result = applied([reject], chosen, reserves, tmp_path)
    assert [c.id for c in result.chosen["se_stem"]] == ["se/r2"]
    assert result.chosen["se_stem"][0].meta["review"] == {"replaces": "se/a", "reserve_rank": 2}


def test_assign_takes_manifest_lines_as_the_page_has_them():
    chosen = {"se_stem": [{"id": "se/a", "meta": {}}, {"id": "se/b", "meta": {}}]}
    reserves = {"se_stem": [{"id": "se/r1", "meta": {}}, {"id": "se/r2", "meta": {}}, {"id": "se/r3", "meta": {}}]}
    force = review.in_force(
        [
            review.decision("reject", "se/b", "se_stem", reviewer="a", reason="other"),
            review.decision("reject", "se/r2", "se_stem", reviewer="a", reason="other"),
            review.decision("replace", "se/a", "se_stem", reviewer="a", candidate="se/r1"),
        ]
    )
    assert review.assign(force, chosen, reserves) == {"se/a": "se/r1", "se/b": "se/r3"}  # replaces first, skips rejected


def test_an_edit_of_an_example_left_outside_the_manifest_is_counted_and_reported(tmp_path):
    chosen, reserves = {"se_stem": [candidate("se/a")]}, {"se_stem": [candidate("se/r1"), candidate("se/r2")]}
    records = [
        review.decision("edit", "se/r2", "se_stem", reviewer="a", field="response", base="a", new="b"),
        review.decision("reject", "se/a", "se_stem", reviewer="a", reason="other"),
    ]
    result = applied(records, chosen, reserves, tmp_path)
    assert result.counts["dropped_edits"] == 1 and result.counts["edited"] == 0
    path = tmp_path / review.REVIEW_FILE
    assert result.warnings == [
        f"{path}:1: edit of se/r2's response not applied: the example is not in the manifest "
        "(rejected, or a reserve draw no decision took)"
    ]


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


# -- builds that apply a review (the shipped sample dumps and recipe, as `make sample-manifest`) --------

SAMPLE_RECIPE = ROOT / "filters" / "sample.toml"


def build(out, *extra: str, recipe=SAMPLE_RECIPE, cache=None):
    inputs = [arg for value in SAMPLE_INPUTS for arg in ("--input", value)]
    where = ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    return run_cli("build", "--recipe", str(recipe), *inputs, "--out", str(out), *where, *extra)


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("review-cache")


@pytest.fixture(scope="module")
def unreviewed(tmp_path_factory, cache):
    """The sample set as published, built once: its manifest and reserve, which the reviews below name."""
    out = tmp_path_factory.mktemp("unreviewed") / "set"
    assert build(out, cache=cache).exit_code == 0
    return out


def first(examples: list[dict], subset: str) -> dict:
    return next(e for e in examples if e["subset"] == subset)


def sample_review(folder, path) -> dict:
    """Reject the first se_stem example, replace the first se_other one with its reserve's second
    draw, edit the first wikihow example's response: the three kinds of change a reviewer makes."""
    examples, reserve = lines(folder / "manifest.jsonl"), lines(folder / "reserve.jsonl")
    stem, other, how = first(examples, "se_stem"), first(examples, "se_other"), first(examples, "wikihow")
    candidate = [e for e in reserve if e["subset"] == "se_other"][1]
    base = how["messages"][-1]["content"]
    new = base.replace("\n\n", "\n\nAlways wash your hands first.\n\n", 1)
    for r in (
        review.decision("reject", stem["id"], "se_stem", reviewer="ana", reason="low quality"),
        review.decision("replace", other["id"], "se_other", reviewer="ana", candidate=candidate["id"]),
        review.decision("edit", how["id"], "wikihow", reviewer="ana", field="response", base=base, new=new),
        review.decision("accept", first(examples, "superni")["id"], "superni", reviewer="ana"),
    ):
        review.append(path, r)
    return {"stem": stem, "other": other, "how": how, "candidate": candidate, "new": new, "reserve": reserve}


def test_a_build_applies_the_review_and_verify_rebuilds_it_until_the_file_changes(unreviewed, tmp_path, cache):
    out = tmp_path / "set"
    shutil.copytree(unreviewed, out)
    path = out / review.REVIEW_FILE
    said = sample_review(unreviewed, path)
    built = build(out, "--review", str(path), cache=cache)
    assert built.exit_code == 0, built.stderr
    assert "review review.jsonl: 1 accepted, 1 rejected, 1 replaced, 1 edited, 0 stale edits" in built.stdout

    examples = lines(out / "manifest.jsonl")
    by_id = {e["id"]: e for e in examples}
    first_stem_draw = next(e for e in said["reserve"] if e["subset"] == "se_stem")
    assert said["stem"]["id"] not in by_id and said["other"]["id"] not in by_id
    assert by_id[first_stem_draw["id"]]["meta"]["review"] == {"replaces": said["stem"]["id"], "reserve_rank": 1}
    assert by_id[said["candidate"]["id"]]["meta"]["review"] == {"replaces": said["other"]["id"], "reserve_rank": 2}
    edited = by_id[said["how"]["id"]]
    assert edited["messages"][-1]["content"] == said["new"]
    assert edited["meta"]["edited"] == {"response": review.patch_sha256(review.read(path)[2])}
    before = lines(unreviewed / "manifest.jsonl")
    assert len(examples) == len(before) and [e["subset"] for e in examples] == [e["subset"] for e in before]
    assert [e["id"] for e in examples if e["subset"] == "se_stem"] == sorted(
        e["id"] for e in examples if e["subset"] == "se_stem"
    )
    card = json.loads((out / "manifest.card.json").read_text())
    assert card["review"]["file"] == {"path": "review.jsonl", "bytes": path.stat().st_size, "sha256": file_sha256(path)[1]}
    assert (out / "reserve.jsonl").read_bytes() == (unreviewed / "reserve.jsonl").read_bytes()  # the draws, not the review
    assert (out / "sampled.jsonl").read_bytes() == (unreviewed / "manifest.jsonl").read_bytes()  # what the review is made on
    assert card["files"]["sampled.jsonl"] == file_sha256(out / "sampled.jsonl")[1]
    assert not (unreviewed / "sampled.jsonl").exists()
    assert "sampled.jsonl" not in json.loads((unreviewed / "manifest.card.json").read_text())["files"]

    verified = run_cli("verify", str(out))
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    sampled = (out / "sampled.jsonl").read_bytes()
    (out / "sampled.jsonl").write_bytes(sampled.replace(b'"se_stem"', b'"se_other"', 1))
    tampered = run_cli("verify", str(out))
    assert tampered.exit_code == 1 and "sampled.jsonl: does not match the digest" in " ".join(tampered.stderr.split())
    (out / "sampled.jsonl").write_bytes(sampled)
    review.append(path, review.decision("accept", said["stem"]["id"], "se_stem", reviewer="bo"))
    changed = run_cli("verify", str(out))
    assert changed.exit_code == 1
    assert f"{path}: the review file changed since the build" in " ".join(changed.stderr.split())


def test_a_stale_edit_is_reported_and_not_applied(unreviewed, tmp_path, cache):
    path = tmp_path / review.REVIEW_FILE
    how = first(lines(unreviewed / "manifest.jsonl"), "wikihow")
    text = how["messages"][-1]["content"]
    made_on_another_dump = review.decision(
        "edit", how["id"], "wikihow", reviewer="ana", field="response", base=text + " (older)", new=text
    )
    review.append(path, made_on_another_dump)
    built = build(tmp_path / "set", "--review", str(path), cache=cache)
    assert built.exit_code == 0, built.stderr
    assert f"{path}:1: stale edit of {how['id']}'s response" in " ".join(built.stderr.split())
    assert f"0 edited, 1 stale edits, 0 dropped edits (stale, not applied: {how['id']} response)" in built.stdout
    assert (tmp_path / "set" / "manifest.jsonl").read_bytes() == (unreviewed / "manifest.jsonl").read_bytes()
    card = json.loads((tmp_path / "set" / "manifest.card.json").read_text())
    assert card["review"]["counts"]["stale_edits"] == 1 and card["review"]["stale"] == [f"{how['id']} response"]


def test_a_torn_review_file_stops_the_build_with_one_line_and_writes_nothing(unreviewed, tmp_path, cache):
    path = tmp_path / review.REVIEW_FILE
    review.append(
        path, review.decision("accept", first(lines(unreviewed / "manifest.jsonl"), "wikihow")["id"], "wikihow", reviewer="a")
    )
    with open(path, "ab") as handle:
        handle.write(b'{"schema": "lima-review/1", "id": "stack')
    built = build(tmp_path / "set", "--review", str(path), cache=cache)
    assert built.exit_code == 2
    assert built.stderr == f"error: {path}:2: {review.TORN}\n"
    assert not (tmp_path / "set").exists()


def test_a_decision_the_build_cannot_take_names_the_review_file_and_line(unreviewed, tmp_path, cache):
    examples = lines(unreviewed / "manifest.jsonl")
    stem = [e for e in examples if e["subset"] == "se_stem"]
    path = tmp_path / review.REVIEW_FILE
    review.append(path, review.decision("accept", stem[0]["id"], "se_stem", reviewer="a"))
    review.append(path, review.decision("replace", stem[0]["id"], "se_stem", reviewer="a", candidate=stem[1]["id"]))
    built = build(tmp_path / "set", "--review", str(path), cache=cache)
    assert built.exit_code == 2
    assert built.stderr == f"error: {path}:2: {stem[1]['id']!r} is already in the manifest\n"
    path.unlink()
    review.append(path, review.decision("reject", "stackexchange/nowhere/q1-a2", "se_stem", reviewer="a", reason="other"))
    built = build(tmp_path / "set", "--review", str(path), cache=cache)
    assert (
        built.stderr == f"error: {path}:1: 'stackexchange/nowhere/q1-a2' is neither in the manifest nor in its subset's reserve\n"
    )
    assert built.exit_code == 2 and not (tmp_path / "set").exists()


def test_the_recipe_names_its_review_file_and_the_bytes_are_the_same_with_one_worker_or_two(unreviewed, tmp_path):
    sample_review(unreviewed, tmp_path / "decisions.jsonl")
    recipe = tmp_path / "reviewed.toml"
    recipe.write_text(f'schema = 2\nextends = "{SAMPLE_RECIPE}"\n\n[review]\nfile = "decisions.jsonl"\n')
    one, two = build(tmp_path / "j1", "-j", "1", recipe=recipe), build(tmp_path / "j2", "-j", "2", recipe=recipe)
    assert one.exit_code == two.exit_code == 0, one.stderr + two.stderr
    assert "1 rejected, 1 replaced, 1 edited" in one.stdout
    for name in ("manifest.jsonl", "reserve.jsonl", "manifest.card.json", "rejects.parquet", "eligible.parquet"):
        assert (tmp_path / "j1" / name).read_bytes() == (tmp_path / "j2" / name).read_bytes(), name


def test_the_reserve_is_the_draws_after_the_quota(unreviewed, tmp_path, cache):
    recipe = tmp_path / "more.toml"
    recipe.write_text(f'schema = 2\nextends = "{SAMPLE_RECIPE}"\n\n[quotas]\nse_stem = 11\n\n[review]\nreserve = 0\n')
    assert build(tmp_path / "set", recipe=recipe, cache=cache).exit_code == 0
    wider = {e["id"] for e in lines(tmp_path / "set" / "manifest.jsonl") if e["subset"] == "se_stem"}
    chosen = {e["id"] for e in lines(unreviewed / "manifest.jsonl") if e["subset"] == "se_stem"}
    reserve = [e["id"] for e in lines(unreviewed / "reserve.jsonl") if e["subset"] == "se_stem"]
    assert len(reserve) >= 3 and wider == chosen | set(reserve[:3])
    assert not (tmp_path / "set" / "reserve.jsonl").exists()


# -- publishing over a folder a page is reviewing -----------------------------------------------------


def small_set(text: str) -> Outputs:
    return Outputs(manifest=text.encode(), dev=b"", test=b"", card={"digest": text})


@pytest.mark.parametrize("atomic_exchange", [True, False])
def test_a_decision_appended_while_the_set_is_swapped_lands_in_the_new_folder(tmp_path, monkeypatch, atomic_exchange):
    out = tmp_path / "set"
    publish.write_set(out, small_set("one\n"))
    path = out / review.REVIEW_FILE
    review.append(path, record("accept"))
    real_exchange = publish.exchange

    def exchange_then_a_page_appends(a, b):
        swapped = real_exchange(a, b) if atomic_exchange else False
        if swapped:  # the page's next decision, in the moment after the swap
            review.append(path, record("accept", "wikihow/2"))
        return swapped

    real_rename = os.rename

    def rename_then_a_page_appends(src, dst):
        real_rename(src, dst)
        if Path(dst) == out and not atomic_exchange:
            review.append(path, record("accept", "wikihow/2"))

    monkeypatch.setattr(publish, "exchange", exchange_then_a_page_appends)
    monkeypatch.setattr(publish.os, "rename", rename_then_a_page_appends)
    publish.write_set(out, small_set("two\n"))
    assert (out / "manifest.jsonl").read_bytes() == b"two\n"
    assert review.read(path) == [record("accept"), record("accept", "wikihow/2")]
    assert [p.name for p in tmp_path.iterdir()] == ["set"]  # no staging or previous folder left behind


def test_an_ablation_refuses_a_recipe_that_names_a_review_file(tmp_path):
    recipe = tmp_path / "reviewed.toml"
    recipe.write_text(f'schema = 2\nextends = "{SAMPLE_RECIPE}"\n\n[review]\nfile = "decisions.jsonl"\n')
    inputs = [arg for value in SAMPLE_INPUTS for arg in ("--input", value)]
    result = run_cli("ablate", "quantity", "--recipe", str(recipe), *inputs, "--out", str(tmp_path / "study"), "--sizes", "4")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {recipe}: [review] file = 'decisions.jsonl': an ablation applies no review (its variants are drawn "
        "afresh, so the decisions name examples they may not hold); ablate a recipe without [review] file\n"
    )
    assert not (tmp_path / "study").exists()
