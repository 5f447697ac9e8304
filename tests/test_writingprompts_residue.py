"""r/WritingPrompts residue: each rule that cuts what Reddit adds around a story (edit notes, self-promotion
and subreddit links, ``^`` superscript, separator lines, "Part 2" pointers), on text written here and on
real comments from Fan et al.'s files (../shared/real, skipped when absent); the reader counts each rule
per story it cleaned, and the card carries the counts."""

from __future__ import annotations

import csv
import dataclasses
import json
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT, read_source, recipe_settings, run_cli

from lima_curate.sources import writingprompts as wp
from lima_curate.sources import writingprompts_fan as fan
from lima_curate.sources import writingprompts_rules as rules

REAL_CSV = ROOT.parent / "shared" / "real" / "writingprompts" / "writing_prompts_train_subset.csv"
SETTINGS = recipe_settings("writingprompts")
ROOMY = dataclasses.replace(SETTINGS, min_story_chars=0, max_story_chars=100_000)  # every story's residue counts
SUB = "WritingPrompts"

STORY = "The moon sent a letter.\n\nIt was short, and it was sad."


def real_csv() -> Path:
    """Fan et al.'s real train sample, or a clean skip where ../shared/real is absent (a fresh clone)."""
    if not REAL_CSV.is_file():
        pytest.skip(f"{REAL_CSV} is not available")
    return REAL_CSV


@cache
def real_stories() -> dict[str, str]:
    """row_id -> the story as the reader detokenises it (before residue is cut)."""
    with open(real_csv(), newline="", encoding="utf-8") as handle:
        return {row["row_id"]: fan.detokenize(row["story"]) for row in csv.DictReader(handle)}


def real_line(row_id: str, start: str) -> str:
    """The line of a real story that starts with ``start``."""
    return next(line for line in real_stories()[row_id].split("\n") if line.startswith(start))


@cache
def real_candidates() -> dict[str, str]:
    """row_id -> the story the reader keeps for it, with the wide bounds."""
    candidates, _ = read_source(wp.NAME, real_csv(), ROOMY)
    return {c.id.rsplit("-", 1)[1]: c.response for c in candidates}


# -- each rule, on text written here ------------------------------------------------------------------


@pytest.mark.parametrize("line", ["-- -- -- --", "***", "---", "* * *", "______", "= = = = = =", "-- -"])
def test_separator_lines_are_residue(line):
    assert rules.separator(line)
    assert rules.clean_story(f"{STORY}\n\n{line}\n\nAnd then dawn.", SUB) == (f"{STORY}\n\nAnd then dawn.", ("separator",))


@pytest.mark.parametrize("line", ["--", "- a list item", "**bold**", "A line -- with dashes -- inside."])
def test_story_lines_are_no_separator(line):
    assert not rules.separator(line)


@pytest.mark.parametrize(
    "line",
    [
        "Edit: formatting",
        "EDIT: thanks for the gold!",
        "edit - typo",
        "Edit 2: fixed the ending",
        "**Edit:** words",
        "(Edit: typo)",
    ],
)
def test_edit_notes_are_residue(line):
    assert rules.edit_note(line)
    assert rules.clean_story(f"{STORY}\n\n{line}", SUB) == (STORY, ("edit_note",))


@pytest.mark.parametrize(
    "line", ["Editing the manuscript took years.", "Edith smiled: it was over.", "He wanted to edit: nothing."]
)
def test_story_lines_are_no_edit_note(line):
    assert not rules.edit_note(line)


@pytest.mark.parametrize(
    "line",
    [
        "For more of my writing come to /r/MoonLetters",
        "Consider subscribing to [r/MoonLetters](https://www.reddit.com/r/MoonLetters/)",
        "/r/MoonLetters",
        "More stories at r/MoonLetters",
        "[More by me](https://www.reddit.com/r/MoonLetters/)",
    ],
)
def test_self_promotion_is_residue(line):
    assert rules.self_promotion(line, SUB)
    assert rules.clean_story(f"{line}\n\n{STORY}", SUB) == (STORY, ("self_promotion",))


def test_a_subreddit_named_in_the_story_stays_unless_it_closes_the_story():
    inside = "Hey /r/LucidDreaming, I had a cool experience with my dreams last night."
    assert not rules.self_promotion(inside, SUB)
    assert rules.clean_story(f"{inside}\n\n{STORY}", SUB) == (f"{inside}\n\n{STORY}", ())
    assert rules.self_promotion(inside, SUB, last=True)
    own = "This is my first time posting to /r/WritingPrompts, check out the sidebar."
    assert not rules.self_promotion(own, SUB) and not rules.self_promotion(own, SUB, last=True)


@pytest.mark.parametrize(
    "line, text",
    [
        ("^(Thanks for reading!)", ""),
        ("It ^really mattered.", "It really mattered."),
        ("Small ^(print here) ok", "Small print here ok"),
    ],
)
def test_superscript_markup_is_residue(line, text):
    cleaned, fired = rules.clean_story(f"{STORY}\n\n{line}", SUB)
    assert fired == ("superscript",)
    assert cleaned == f"{STORY}\n\n{text}".strip()


def test_an_exponent_or_a_face_is_no_superscript():
    assert rules.strip_superscript("2^10 is 1024") == "2^10 is 1024"
    assert rules.strip_superscript("She smiled ^_^ and left ^.^") == "She smiled ^_^ and left ^.^"
    assert not rules.superscript_note("^_^")
    assert rules.clean_story(f"{STORY}\n\n2^10 letters.", SUB) == (f"{STORY}\n\n2^10 letters.", ())


@pytest.mark.parametrize(
    "line",
    ["Part 2 in the comments", "*Part 2 below*", "[Part 2](https://redd.it/x)", "I posted part two [here](https://redd.it/x)."],
)
def test_part_pointers_are_residue(line):
    assert rules.part_pointer(line)
    assert rules.clean_story(f"{STORY}\n\n{line}", SUB) == (STORY, ("part_pointer",))


@pytest.mark.parametrize("line", ["**Part 2**", "Part of the magic.", "It was part two of the plan."])
def test_story_lines_are_no_part_pointer(line):
    assert not rules.part_pointer(line)


def test_an_authors_note_closing_the_story_goes_line_by_line_from_the_end():
    text = f"{STORY}\n\n---\n\nThanks! Check out my subreddit for more: [link](https://example.com)\n\nEdit: typo"
    assert rules.clean_story(text, SUB) == (STORY, ("separator", "edit_note", "self_promotion"))


def test_a_story_without_residue_is_returned_as_it_is():
    assert rules.clean_story(STORY, SUB) == (STORY, ())


# -- on real comments (Fan et al.'s train sample) --------------------------------------------------------

REAL_RESIDUE = [  # row_id, the line's start, the rule that drops it
    ("211069", "Edit: formatting fixed", "edit_note"),
    ("158242", "Edit: wow! I can't believe how much attention this got!", "edit_note"),
    ("36762", "Edit 2: I'm outta here", "edit_note"),
    ("10696", "Edit **July 1**: Added in a third part", "edit_note"),
    (
        "183947",
        "I enjoyed writing this prompt! I hope you enjoyed reading it too! Visit my subreddit at /r/Script_Writes!",
        "self_promotion",
    ),
    ("122329", "> I hope that you liked it, if you want more then I am starting up my own subreddit", "self_promotion"),
    ("1545", "/r/rarelyfunny", "self_promotion"),
    ("36995", "^If ^you ^enjoy ^my ^writing ^style", "self_promotion"),
    ("20809", "^ (Work in progress; feedback welcome: D)", "superscript"),
    ("268760", "-- -- -- -- --", "separator"),
    ("60339", "-- -", "separator"),
    ("87342", "*******", "separator"),
    ("122329", "= = = = = =", "separator"),
    ("19146", "*Part 2 below*", "part_pointer"),
    ("36358", "Thank you for the gold, and thank all of you for you r interest. I have uploaded part 2 [here]", "part_pointer"),
    ("66756", "A continuation of a story: [Part 1](", "part_pointer"),
]


@pytest.mark.real
@pytest.mark.parametrize("row_id, start, rule", REAL_RESIDUE)
def test_real_residue_is_named_by_its_rule_and_gone_from_the_story(row_id, start, rule):
    line = real_line(row_id, start)
    assert rules.line_residue(line, SUB) == rule
    assert line not in real_candidates()[row_id]


@pytest.mark.real
def test_real_superscript_markup_is_stripped_to_its_text():
    line = real_line("36995", "^If ^you")
    assert rules.strip_superscript(line).startswith(
        "If you enjoy my writing style, feel free to check out some of my other short stories"
    )


@pytest.mark.real
@pytest.mark.parametrize(
    "row_id, start",
    [
        ("79781", "Hey /r/LucidDreaming"),
        ("217772", "This is one of my first times posting to /r/writingprompts."),
        ("87342", "In the morning"),
    ],
)
def test_real_story_lines_stay(row_id, start):
    line = real_line(row_id, start)
    assert rules.line_residue(line, SUB) == ""
    assert line in real_candidates()[row_id]


@pytest.mark.real
def test_real_closing_promotion_goes_as_the_last_line():
    line = real_line("224933", "Step into the light or darkness of **r/maisieklaassen**!")
    assert rules.line_residue(line, SUB) == "" and rules.line_residue(line, SUB, last=True) == "self_promotion"
    assert line not in real_candidates()["224933"]


@pytest.mark.real
def test_real_sample_counts_each_rule_per_story_it_cleaned():
    _, skipped = read_source(wp.NAME, real_csv(), ROOMY)
    residue = {k: v for k, v in skipped.items() if k.startswith("residue_")}
    assert residue == {
        "residue_separator": 62,
        "residue_edit_note": 15,
        "residue_self_promotion": 14,
        "residue_part_pointer": 3,
        "residue_superscript": 1,
    }
    for story in real_candidates().values():
        assert all(rules.line_residue(line, SUB) == "" for line in story.split("\n") if line.strip())


@pytest.mark.real
def test_real_cleaned_length_bound_holds():
    """The Fan reader skips detokenising a story whose untouched lines already exceed the maximum."""
    with open(real_csv(), newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            cleaned, _ = rules.clean_story(fan.detokenize(row["story"]), SUB)
            assert fan.shortest_cleaned(row["story"]) <= len(cleaned)


@pytest.mark.real
def test_real_bounds_put_the_mean_story_near_limas():
    candidates, _ = read_source(wp.NAME, real_csv())
    mean = sum(len(c.response) for c in candidates) / len(candidates)
    assert len(candidates) == 112 and 950 <= mean <= 1100  # LIMA's released stories: ~1,030 characters


# -- the counts reach the card ----------------------------------------------------------------------------


def test_a_build_cleans_stories_and_records_each_rule_in_the_card(tmp_path):
    first = " ".join(f"The lighthouse answered letter {n} in a hand nobody knew." for n in range(12))
    second = " ".join(f"On night {n} the moon wrote one more line in its diary." for n in range(12))
    rows = [
        ("1", "[ WP ] The lighthouse writes back.", f"{first} <newline> <newline> -- -- -- -- <newline> <newline> Edit : typo"),
        ("2", "[ WP ] The moon keeps a diary.", f"{second} <newline> <newline> More stories at /r/MoonLetters"),
    ]
    data = tmp_path / "wp.csv"
    with open(data, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row_id", "prompt", "story", "completion"])
        writer.writerows(row + ("",) for row in rows)
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(
        f'schema = 2\nextends = "{ROOT / "filters" / "lima.toml"}"\nname = "t"\nversion = "0.0.1"\n'
        "[quotas]\nse_stem = 0\nse_other = 0\nwikihow = 0\nwritingprompts = 2\nsuperni = 0\nauthored = 0\n"
    )
    out = tmp_path / "out"
    result = run_cli(
        "build", "--recipe", str(recipe), "--input", f"writingprompts={data}", "--out", str(out), "--no-cache", "-j", "1"
    )
    assert result.exit_code == 0, result.output
    responses = [json.loads(line)["messages"][1]["content"] for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert sorted(responses) == sorted([first, second])
    card = json.loads((out / "manifest.card.json").read_text())
    [entry] = [i for i in card["inputs"] if i["source"] == "writingprompts"]
    assert {k: v for k, v in entry["skipped"].items() if k.startswith("residue_")} == {
        "residue_edit_note": 1,
        "residue_separator": 1,
        "residue_self_promotion": 1,
    }


def test_the_rules_are_the_documented_ones():
    page = (ROOT / "docs" / "sources" / "writingprompts.md").read_text()
    assert all(f"`residue_{rule}`" in page for rule in rules.RESIDUE_RULES)
    assert Path(rules.__file__).name == "writingprompts_rules.py"
