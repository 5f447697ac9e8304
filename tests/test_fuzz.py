"""The fuzzing suite of issue 12 (item 10), bounded for the normal run: every reader's input, the recipe
loader and ``html_to_markdown`` under hypothesis, each input either building or raising the one-line
InputError naming a file of the input (``tests/fuzz_targets.py`` holds the targets; ``make fuzz`` runs
them for long: docs/fuzzing.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fuzz_targets import BY_NAME, TARGETS, FuzzFailure, Hang, holds, main, run_test, scratch, time_limit

from lima_curate.errors import InputError

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))  # FUZZ_SCALE=10: ten times the examples, same targets


@pytest.mark.parametrize("name", [target.name for target in TARGETS])
def test_every_input_builds_or_is_one_line_input_error(name):
    target = BY_NAME[name]
    counter = [0]
    run_test(target, max(1, int(target.examples * SCALE)), counter)
    assert counter[0] >= min(10, target.examples)  # the examples ran: the property was checked, not skipped


# The harness itself: each way an input can break the property is caught, so the suite above can fail.


def test_harness_accepts_a_one_line_input_error_naming_the_input(tmp_path):
    def bad():
        raise InputError(tmp_path / "Posts.xml", "not well-formed XML (x)", 3)

    assert holds(bad, tmp_path, "x") is None


class MultiLineError(InputError):
    """An InputError whose text breaks the one-line rule (InputError itself cannot, since 0.2.0)."""

    def __str__(self) -> str:
        return f"{self.path}: two\nlines"


@pytest.mark.parametrize(
    "raised, expected",
    [
        (lambda folder: OverflowError("int too large"), "OverflowError: int too large at "),
        (lambda folder: RecursionError("deep"), "RecursionError at "),
        (lambda folder: InputError(Path("/elsewhere/file"), "x"), "InputError names no input file"),
        (lambda folder: MultiLineError(folder / "f", "x"), "InputError of more than one line"),
    ],
)
def test_harness_reports_any_other_outcome_with_the_input(tmp_path, raised, expected):
    def bad():
        raise raised(tmp_path)

    with pytest.raises(FuzzFailure) as caught:
        holds(bad, tmp_path, {"Score": "9" * 30})
    assert str(caught.value).startswith(expected)
    assert "input: {'Score': '999" in str(caught.value)


def test_harness_reports_a_hang(tmp_path, monkeypatch):
    import fuzz_targets

    monkeypatch.setattr(fuzz_targets, "HANG_SECONDS", 0.2)

    def forever():
        while True:
            pass

    with pytest.raises(FuzzFailure, match=r"^hang: still running after 0.2 s"):
        holds(forever, tmp_path, "x")
    with pytest.raises(Hang), time_limit(0.05):
        while True:
            pass


def test_scratch_folders_are_removed():
    with scratch() as folder:
        (folder / "x").write_text("x")
    assert not folder.exists()


def test_long_run_prints_figures_per_target(capsys):
    assert main(["--minutes", "0.02", "--batch", "5", "authored_jsonl"]) == 0
    out = capsys.readouterr().out
    assert "authored_jsonl" in out and "examples tried" in out and "failures found 0" in out
    assert "total: 0 distinct failure(s)" in out


def test_long_run_rejects_an_unknown_target(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["nosuch"])
    assert caught.value.code == 2
    assert "unknown target 'nosuch'" in capsys.readouterr().err


def test_a_reader_that_breaks_on_one_input_is_found_and_shrunk(monkeypatch):
    """End to end through hypothesis: the Posts.xml target over a reader that overflows on a big score,
    as main did before issue 12, fails with the smallest such row named."""
    import fuzz_targets

    real = fuzz_targets.read_all

    def overflowing(name, unit, reader_settings=None):
        if b'Score="99999999999999999999999"' in (unit / "Posts.xml").read_bytes():
            raise OverflowError("Python int too large to convert to C long")
        return real(name, unit, reader_settings)

    monkeypatch.setattr(fuzz_targets, "read_all", overflowing)
    with pytest.raises(FuzzFailure) as caught:
        run_test(BY_NAME["stackexchange_posts"], 5)
    assert str(caught.value).startswith("OverflowError: Python int too large to convert to C long at ")
    assert 'Score="99999999999999999999999"' in str(caught.value)


@pytest.mark.parametrize("table", ["Posts.xml", "Comments.xml"])
def test_a_nul_byte_in_a_dump_table_is_a_one_line_error(table):
    from fuzz_targets import FOUND_POSTS_NUL, check_comments, check_posts

    if table == "Posts.xml":
        check_posts(FOUND_POSTS_NUL)
    else:
        check_comments(([], [(60, b"\x00")]))


def test_a_recipe_extending_a_name_with_a_newline_is_a_one_line_error():
    from fuzz_targets import check_recipe

    check_recipe(([("extends", '"\\n"')], [], False))
