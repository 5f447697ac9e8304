"""wikiHow reader: saved article pages and the Koupaee & Wang CSV -> how-to candidates, read with the
settings LIMA's recipe (filters/lima.toml) makes, as builds read them: LIMA's released layout (headlines
run into their steps as prose, no bold, no "Method N:" labels, Ingredients/Tips/Warnings pruned), and
the rich layout a recipe can choose instead.

Golden files live in tests/golden/wikihow/; after a deliberate change to the output, rewrite them with
``LIMA_UPDATE_GOLDEN=1 pytest tests/test_source_wikihow.py`` and review the diff before committing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import statistics
import time
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from conftest import LIMA_RECIPE, ROOT, read_source, recipe_settings, run_cli

from lima_curate import sources
from lima_curate.errors import InputError
from lima_curate.records import canonical_json
from lima_curate.sources import wikihow
from lima_curate.sources.wikihow_categories import load_categories, resolve_category
from lima_curate.stats_tokens import estimate_tokens

SAMPLES = ROOT / "samples" / "wikihow"
GOLDEN = ROOT / "tests" / "golden" / "wikihow"
REAL = ROOT.parent / "shared" / "real" / "wikihow"
UPDATE_GOLDEN = os.environ.get("LIMA_UPDATE_GOLDEN") == "1"

TOP_LEVEL = set(load_categories("wikihow_categories.toml").top_level)
SETTINGS = recipe_settings("wikihow")


def read_all(path: Path, settings: wikihow.Settings = SETTINGS) -> tuple[list, Counter]:
    candidates: list = []
    skipped: Counter = Counter()
    for unit in wikihow.units(path):
        found, unit_skipped = read_source("wikihow", unit, settings)
        candidates += found
        skipped.update(unit_skipped)
    return candidates, skipped


def read_one(path: Path, settings: wikihow.Settings = SETTINGS):
    found, skipped = read_source("wikihow", path, settings)
    return (found[0] if found else None), skipped


def with_settings(**changes) -> wikihow.Settings:
    """The recipe's settings with some changed."""
    return dataclasses.replace(SETTINGS, **changes)


# The rich layout with the sections the reader kept before LIMA's released layout became the default:
# it reproduces the earlier output byte for byte (Grill-Fish.rich.md is that output).
KEPT_BEFORE = ("Ingredients", "Tips", "Warnings")
RICH = with_settings(layout="rich", pruned_sections=[s for s in SETTINGS.pruned_sections if s not in KEPT_BEFORE])
BOLD = re.compile(r"\*\*")
LABELLED_HEADING = re.compile(r"^## (?:Method|Part) \d+", re.MULTILINE)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing golden file {path}; run with LIMA_UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8")


def write_page(tmp_path: Path, sample: str, replacements: dict[str, str]) -> Path:
    html = (SAMPLES / sample).read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in html, old
        html = html.replace(old, new)
    path = tmp_path / sample
    path.write_text(html, encoding="utf-8")
    return path


def write_csv(tmp_path: Path, text: str, name: str = "wikihowAll.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


# -- units -----------------------------------------------------------------------------------------


def test_units_lists_pages_and_csv_in_path_order(tmp_path):
    found = wikihow.units(SAMPLES)
    assert [p.name for p in found] == sorted(p.name for p in found)
    assert len([p for p in found if p.suffix == ".html"]) == 10
    assert [p.name for p in found if p.suffix == ".csv"] == ["wikihowAll.csv"]
    # a browser's asset folder beside a saved page is not searched
    (tmp_path / "Grill-Fish_files").mkdir()
    (tmp_path / "Grill-Fish_files" / "ads.htm").write_text("<html></html>")
    (tmp_path / "Grill-Fish.html").write_text("<html></html>")
    assert wikihow.units(tmp_path) == [tmp_path / "Grill-Fish.html"]


def test_the_module_is_the_registered_source():
    assert sources.get("wikihow") is wikihow and isinstance(wikihow, sources.Source)
    assert (wikihow.SUBSETS, wikihow.GROUP_FIELD, wikihow.GAIR_NAMES) == (("wikihow",), "category", ("wikihow",))


def test_files_are_the_unit_or_every_file_under_a_folder_unit(tmp_path):
    page = SAMPLES / "Press-Flowers.html"
    assert wikihow.files(page, SETTINGS) == [page]
    (tmp_path / "b").mkdir()
    for name in ("b/2.html", "a.csv", "notes.txt"):
        (tmp_path / name).write_text("x")
    assert wikihow.files(tmp_path, SETTINGS) == [tmp_path / "a.csv", tmp_path / "b" / "2.html", tmp_path / "notes.txt"]


@pytest.mark.parametrize("make", ["missing", "empty", "wrong_suffix"])
def test_units_rejects_paths_without_pages(tmp_path, make):
    path = {"missing": tmp_path / "nope", "empty": tmp_path, "wrong_suffix": tmp_path / "notes.txt"}[make]
    if make == "wrong_suffix":
        path.write_text("text")
    with pytest.raises(InputError, match=str(path)):
        wikihow.units(path)


# -- the shipped samples ---------------------------------------------------------------------------


def test_samples_yield_eleven_articles_and_count_the_drops():
    candidates, skipped = read_all(SAMPLES)
    assert len(candidates) == 11
    assert skipped == Counter({"not a wikiHow article page": 1, "no steps": 1, "headlines and paragraphs out of step": 1})
    assert len({c.id for c in candidates}) == 11
    page_groups = {c.group for c in candidates if c.meta["format"] == "page"}
    assert len(page_groups) == 8 and page_groups <= TOP_LEVEL
    assert {c.group for c in candidates if c.meta["format"] == "csv"} == {"Uncategorized"}
    for c in candidates:
        assert (c.source, c.subset, c.rank) == ("wikihow", "wikihow", 0.0)
        assert c.prompt.startswith("How to ") and c.prompt.endswith("?")
        assert 1500 <= len(c.response) <= 3000, (c.id, len(c.response))
        assert not BOLD.search(c.response) and "## Tips" not in c.response, c.id


def test_samples_match_golden_candidates():
    candidates, _ = read_all(SAMPLES)
    lines = [canonical_json({"id": c.id, "group": c.group, "messages": list(c.messages), "meta": c.meta}) for c in candidates]
    check_golden("samples.jsonl", "\n".join(lines) + "\n")


def test_sample_page_matches_golden_markdown():
    candidate, _ = read_one(SAMPLES / "Repot-a-Snake-Plant.html")
    check_golden("Repot-a-Snake-Plant.md", candidate.response + "\n")


def test_page_prompt_id_and_provenance():
    candidate, _ = read_one(SAMPLES / "Trim-a-Cats-Claws.html")
    assert candidate.id == "wikihow/Trim-a-Cat's-Claws"
    assert candidate.prompt == "How to Trim a Cat's Claws?"
    assert candidate.group == "Pets and Animals"
    assert candidate.meta == {
        "url": "https://www.wikihow.com/Trim-a-Cat%27s-Claws",
        "title": "How to Trim a Cat's Claws",
        "category": "Pets and Animals",
        "category_source": "breadcrumb",
        "breadcrumb": ["Pets and Animals", "Cats", "Cat Grooming"],
        "licence": "CC BY-NC-SA 3.0",
        "format": "page",
        "article_id": 9100003,
        "revision_id": 31000303,
        "modified": "2023-12-04",
        "snapshot": "2024-05-30T12:09:44Z",
    }


def test_methods_become_bare_headings_and_headlines_run_into_their_steps():
    candidate, _ = read_one(SAMPLES / "Back-Up-Photos-to-an-External-Drive.html")
    text = candidate.response
    assert "\n\n## On Windows\n\n1. Connect the external drive to your computer. Plug it" in text
    assert "\n\n## On a Mac\n\n1. Connect the drive and open Finder. The drive" in text
    assert "5. Eject the drive before unplugging it. Click the USB icon" in text
    assert "Press Windows key + E, then click Pictures in the left pane." in text  # bold menu names: plain
    assert not BOLD.search(text) and not LABELLED_HEADING.search(text)


def test_the_rich_layout_keeps_labels_and_bold_headlines():
    candidate, _ = read_one(SAMPLES / "Back-Up-Photos-to-an-External-Drive.html", RICH)
    text = candidate.response
    assert "\n\n## Method 1: On Windows\n\n1. **Connect the external drive to your computer.** Plug it" in text
    assert "\n\n## Method 2: On a Mac\n\n1. **Connect the drive and open Finder.**" in text
    assert "5. **Eject the drive before unplugging it.**" in text
    assert "Press **Windows key + E**, then click **Pictures** in the left pane." in text
    budget, _ = read_one(SAMPLES / "Make-a-Monthly-Budget.html", RICH)
    assert "\n\n## Part 1: " in budget.response


def test_a_headline_without_a_full_stop_gets_one_before_the_text_it_runs_into(tmp_path):
    path = write_page(
        tmp_path,
        "Check-Tire-Pressure.html",
        {'<b class="whb">Find the recommended pressure for your car.</b>': '<b class="whb">Find the recommended pressure</b>'},
    )
    released, _ = read_one(path)
    assert "\n\n1. Find the recommended pressure. Look on the sticker" in released.response
    rich, _ = read_one(path, RICH)
    assert "\n\n1. **Find the recommended pressure** Look on the sticker" in rich.response


def test_a_single_unnamed_list_of_steps_gets_no_heading():
    for settings in (SETTINGS, RICH):
        candidate, _ = read_one(SAMPLES / "Check-Tire-Pressure.html", settings)
        intro, steps = candidate.response.split("\n\n", 1)
        assert intro.startswith("Tires lose a little air every month")
        first = (
            "**Find the recommended pressure for your car.**"
            if settings is RICH
            else "Find the recommended pressure for your car."
        )
        assert steps.startswith(f"1. {first} Look on the sticker")
        assert "## Steps" not in candidate.response


def test_links_images_videos_and_citations_are_removed():
    candidates, _ = read_all(SAMPLES)
    for c in candidates:
        for gone in (
            "[1]",
            "[2]",
            "Research source",
            "Expert Source",
            "Trustworthy Source",
            "Go to source",
            "Image titled",
            "http",
            "<",
            "Helpful",
            "Advertisement",
            "Pippa Elliott",
        ):
            assert gone not in c.response, (c.id, gone)
    tires, _ = read_one(SAMPLES / "Check-Tire-Pressure.html")
    assert "look up tire safety basics at: www.nhtsa.gov.\n" in tires.response  # a bare-URL link keeps its host
    budget, _ = read_one(SAMPLES / "Make-a-Monthly-Budget.html")
    assert "Even a small amount builds an emergency fund over time." in budget.response


def test_bullets_nest_under_their_step_and_fractions_read_as_text():
    cat, _ = read_one(SAMPLES / "Trim-a-Cats-Claws.html")
    assert (
        "   * If your cat pulls away, let it go and try again later.\n"
        "     * Forcing the issue teaches your cat to dread having its feet touched.\n"
    ) in cat.response
    oats, _ = read_one(SAMPLES / "Make-Overnight-Oats.html", RICH)
    assert "## Ingredients\n\n### Classic Overnight Oats\n\n* 1/2 cup (45 g) old-fashioned rolled oats\n" in oats.response
    assert "* 1 tbsp (10 g) chia seeds *(optional)*\n" in oats.response


def test_this_article_becomes_the_following_answer():
    snake, _ = read_one(SAMPLES / "Repot-a-Snake-Plant.html")
    assert "a bigger home. The following answer walks you through choosing the pot" in snake.response
    photos, _ = read_one(SAMPLES / "Back-Up-Photos-to-an-External-Drive.html")
    assert "The following answer teaches you how to copy photos" in photos.response
    flowers, _ = read_one(SAMPLES / "Press-Flowers.html")
    assert "\n\nThe following answer covers both methods.\n\n" in flowers.response
    for c in (snake, photos, flowers):
        assert "This article" not in c.response and "This wikiHow" not in c.response


def test_self_references_only_at_the_start_of_a_sentence_or_item():
    replace = wikihow.replace_self_references
    phrases = SETTINGS.self_references
    assert replace("This article shows how.", phrases, "The following answer") == "The following answer shows how."
    assert replace("Read on. This wikiHow article helps.", phrases, "X") == "Read on. X helps."
    assert replace("* This article is short.", phrases, "X") == "* X is short."
    assert replace("Nothing in this article is new.", phrases, "X") == "Nothing in this article is new."
    assert replace("This articles list", phrases, "X") == "This articles list"


def test_pruned_sections_follow_the_settings():
    path = SAMPLES / "Repot-a-Snake-Plant.html"
    default, _ = read_one(path)
    oats, _ = read_one(SAMPLES / "Make-Overnight-Oats.html")
    assert "## Ingredients" not in oats.response and "rolled oats\n" not in oats.response
    kept, _ = read_one(path, with_settings(pruned_sections=[s for s in SETTINGS.pruned_sections if s not in KEPT_BEFORE]))
    assert "## Tips\n\n* If the plant has filled the pot" in kept.response
    assert "## Warnings\n\n* Snake plants are mildly toxic" in kept.response
    for pruned in (
        "## Tips",
        "## Warnings",
        "If the plant has filled the pot",
        "Things You",
        "New pot with a drainage hole",
        "Can I split",
        "Related",
        "Water a Snake Plant",
        "References",
        "rhs.org.uk",
        "Reader Success",
        "About This Article",
        "Co-authored",
        "Explore this Article",
    ):
        assert pruned not in default.response, pruned
    fewer = with_settings(pruned_sections=["tips", "WARNINGS", *RICH.pruned_sections])
    assert fewer.pruned_sections == ("tips", "WARNINGS", *RICH.pruned_sections)  # lists become tuples
    trimmed, _ = read_one(path, fewer)
    assert "## Tips" not in trimmed.response and "## Warnings" not in trimmed.response  # any case
    keep_needs = with_settings(pruned_sections=[s for s in SETTINGS.pruned_sections if s != "Things You'll Need"])
    longer, _ = read_one(path, keep_needs)  # the page spells it with a curly apostrophe
    assert "## Things You’ll Need\n\n* New pot with a drainage hole\n* Cactus potting mix or perlite" in longer.response


def test_category_from_wg_categories_when_there_is_no_breadcrumb():
    candidate, _ = read_one(SAMPLES / "Pack-a-Carry-On-for-a-Week.html")
    assert candidate.group == "Travel"
    assert candidate.meta["category_source"] == "wgCategories"
    assert candidate.meta["breadcrumb"] == []


def test_unknown_category_goes_to_the_bucket_or_is_skipped(tmp_path):
    path = write_page(
        tmp_path,
        "Pack-a-Carry-On-for-a-Week.html",
        {'"wgCategories":["Packing","Travel Tips","Travel",': '"wgCategories":["Packing","Luggage",'},
    )
    candidate, skipped = read_one(path)
    assert (candidate.group, candidate.meta["category"], candidate.meta["category_source"]) == (
        "Uncategorized",
        "Uncategorized",
        "none",
    )
    assert not skipped
    candidate, skipped = read_one(path, with_settings(unknown_category=""))
    assert candidate is None and skipped == Counter({"unknown category": 1})


def test_category_names_and_aliases_resolve():
    categories = load_categories("wikihow_categories.toml")
    assert len(categories.top_level) == 19
    resolve = resolve_category
    assert resolve(["Cars and Other Vehicles"], [], categories) == ("Cars & Other Vehicles", "breadcrumb")
    assert resolve(["Food-and-Entertaining"], [], categories) == ("Food and Entertaining", "breadcrumb")
    assert resolve(["Mystery"], ["Barbecue Fish", "Barbecue", "Food and Entertaining", "Camping"], categories) == (
        "Food and Entertaining",
        "wgCategories",
    )
    assert resolve([], ["Title", "Pages Needing Attention", "WikiHow"], categories) == (None, "none")


def test_a_bad_category_map_is_an_input_error(tmp_path):
    bad = tmp_path / "categories.toml"
    bad.write_text('top_level = ["Travel"]\n[subcategories]\n"Hiking" = "Outdoors"\n')
    with pytest.raises(InputError, match=r"categories\.toml.*'Hiking' maps to 'Outdoors'"):
        read_one(SAMPLES / "Press-Flowers.html", with_settings(category_map=str(bad)))
    with pytest.raises(InputError, match="category map not found"):
        read_one(SAMPLES / "Press-Flowers.html", with_settings(category_map=str(tmp_path / "none.toml")))
    inlined = {"top_level": ["Travel"], "aliases": {"Trips": "Travel"}}
    candidate, _ = read_one(SAMPLES / "Press-Flowers.html", with_settings(category_map=inlined))
    assert candidate.group == "Uncategorized"  # Hobbies and Crafts is not in this map


def test_a_page_that_is_not_utf8_is_an_input_error(tmp_path):
    path = tmp_path / "Broken.html"
    path.write_bytes(b"<html>\n<body>\n<p>caf\xe9</p>\n</body></html>\n")
    with pytest.raises(InputError, match=r"Broken\.html:3: not valid UTF-8"):
        read_one(path)


def test_an_html_file_that_is_no_wikihow_page_is_skipped(tmp_path):
    path = tmp_path / "Other.html"
    path.write_text("<html><body><p>Hello</p></body></html>")
    candidate, skipped = read_one(path)
    assert candidate is None and skipped == Counter({"not a wikiHow article page": 1})


# -- the layout, as a recipe chooses it -------------------------------------------------------------


def test_the_reader_defaults_are_lima_tomls_wikihow_table():
    table = tomllib.loads(LIMA_RECIPE.read_text(encoding="utf-8"))["wikihow"]
    defaults = wikihow.Settings()
    assert table["layout"] == defaults.layout == SETTINGS.layout == "released"
    for key, value in table.items():
        if key != "category_map":  # the recipe inlines the map's content
            assert getattr(defaults, key) == (tuple(value) if isinstance(value, list) else value), key
    assert {"Ingredients", "Tips", "Warnings", "Things You'll Need"} <= set(defaults.pruned_sections)


def recipe_with(tmp_path: Path, wikihow_table: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "r.toml"
    path.write_text(
        f'schema = 2\nextends = "{ROOT / "filters" / "sample.toml"}"\nname = "t"\nversion = "1"\n'
        "[quotas]\nse_stem = 0\nse_other = 0\nwikihow = 8\nwritingprompts = 0\nsuperni = 0\nauthored = 0\n"
        f"[wikihow]\n{wikihow_table}\n"
    )
    return path


def build_wikihow(tmp_path: Path, recipe: Path):
    return run_cli(
        "build", "--recipe", str(recipe), "--input", f"wikihow={SAMPLES}", "--out", str(tmp_path / "out"), "--no-cache"
    )


def test_a_build_writes_the_layout_the_recipe_names(tmp_path):
    responses = {}
    for layout in ("released", "rich"):
        result = build_wikihow(tmp_path / layout, recipe_with(tmp_path / layout, f'layout = "{layout}"'))
        assert result.exit_code == 0, result.stderr
        manifest = (tmp_path / layout / "out" / "manifest.jsonl").read_text(encoding="utf-8")
        responses[layout] = [json.loads(line)["messages"][1]["content"] for line in manifest.splitlines()]
    assert len(responses["released"]) == len(responses["rich"]) == 8
    assert not any(BOLD.search(text) or LABELLED_HEADING.search(text) for text in responses["released"])
    assert all(BOLD.search(text) for text in responses["rich"]) and any(
        LABELLED_HEADING.search(text) for text in responses["rich"]
    )


@pytest.mark.parametrize("value, found", [('"plain"', "'plain'"), ('"Released"', "'Released'"), ("1", "1")])
def test_a_layout_the_reader_does_not_know_is_one_line_naming_the_recipe(tmp_path, value, found):
    recipe = recipe_with(tmp_path, f"layout = {value}")
    result = build_wikihow(tmp_path, recipe)
    assert result.exit_code == 2, (result.exception, result.stderr)
    assert result.stderr == f"error: {recipe}: [wikihow] layout: input should be 'released' or 'rich', found {found}\n"
    assert not (tmp_path / "out").exists()


# -- the Koupaee & Wang CSV ------------------------------------------------------------------------


def test_csv_sections_join_into_one_article():
    candidates, skipped = read_all(SAMPLES / "wikihowAll.csv")
    assert [c.id for c in candidates] == [
        "wikihow/Fold-a-Fitted-Sheet",
        "wikihow/Write-a-Thank-You-Note",
        "wikihow/Start-a-Compost-Pile",
    ]
    assert skipped == Counter({"headlines and paragraphs out of step": 1})
    sheet, note, compost = candidates
    assert sheet.prompt == "How to Fold a Fitted Sheet?"
    assert sheet.response.startswith(
        "1. Turn the sheet inside out and find two corners on a short side. Hold the sheet by those corners"
    )
    assert "## Method" not in sheet.response
    assert note.prompt == "How to Write a Thank-You Note?"  # glued section numbers 1, 2 joined
    # the CSV names no section: "Method N" is the only heading it can give, in either layout
    assert note.response.startswith("## Method 1\n\n1. Send the note within two weeks. A prompt note")
    assert "\n\n## Method 2\n\n1. Say how you will use it" in note.response
    assert "\n\n## Method 2\n\n1. Start with a layer of coarse browns. " in compost.response
    assert not any(BOLD.search(c.response) for c in candidates)
    assert compost.meta == {
        "url": "https://www.wikihow.com/Start-a-Compost-Pile",
        "title": "How to Start a Compost Pile",
        "category": "Uncategorized",
        "category_source": "none",
        "licence": "CC BY-NC-SA 3.0",
        "format": "csv",
        "file": "wikihowAll.csv",
        "line": 34,
    }


CSV_HEADER = "headline,title,text\n"


def csv_row(headlines: list[str], title: str, paragraphs: list[str]) -> str:
    headline = "\n" + ",\n".join(headlines)
    text = ",".join(f" {p}\n" for p in paragraphs).rstrip("\n")
    return '"{}","{}","{}"\n'.format(headline.replace('"', '""'), title, text.replace('"', '""'))


def test_csv_steps_follow_the_layout(tmp_path):
    text = CSV_HEADER + csv_row(["Rinse the rice.", "Boil the water"], "How to Cook Rice", ["Rinse it twice.", "Use a big pot."])
    path = write_csv(tmp_path, text)
    released, _ = read_all(path)
    assert released[0].response == "1. Rinse the rice. Rinse it twice.\n\n2. Boil the water. Use a big pot."
    rich, _ = read_all(path, RICH)
    assert rich[0].response == "1. **Rinse the rice.** Rinse it twice.\n\n2. **Boil the water** Use a big pot."
    (sheet, *_), _ = read_all(SAMPLES / "wikihowAll.csv", RICH)
    assert sheet.response.startswith("1. **Turn the sheet inside out and find two corners on a short side.** Hold")


def test_csv_titles_with_digits_of_their_own_stay_whole(tmp_path):
    text = (
        CSV_HEADER
        + csv_row(["Open the file."], "How to Convert MP3", ["Use any player."])
        + csv_row(["Open Settings."], "How to Use Windows 7", ["Click Start."])
        + csv_row(["Open Settings."], "How to Use Windows 8", ["Click Start."])
    )
    candidates, _ = read_all(write_csv(tmp_path, text))
    assert [c.prompt for c in candidates] == ["How to Convert MP3?", "How to Use Windows 7?", "How to Use Windows 8?"]


def test_csv_duplicate_titles_are_counted(tmp_path):
    row = csv_row(["Rinse the rice."], "How to Cook Rice", ["Rinse it until the water runs clear."])
    other = csv_row(["Boil water."], "How to Make Tea", ["Use fresh water."])
    candidates, skipped = read_all(write_csv(tmp_path, CSV_HEADER + row + other + row))
    assert [c.id for c in candidates] == ["wikihow/Cook-Rice", "wikihow/Make-Tea"]
    assert skipped == Counter({"duplicate title": 1})


def test_csv_category_bucket_is_a_setting(tmp_path):
    path = write_csv(tmp_path, CSV_HEADER + csv_row(["Boil water."], "How to Make Tea", ["Use fresh water."]))
    candidates, _ = read_all(path, with_settings(csv_category="wikiHow (no category)"))
    assert candidates[0].group == "wikiHow (no category)"
    candidates, skipped = read_all(path, with_settings(csv_category=""))
    assert candidates == [] and skipped == Counter({"unknown category": 1})


@pytest.mark.parametrize(
    "body, line, message",
    [
        ('"\nA.,\nB.",How to Two,"x\n, y"\n"\nC.",How to Three\n', 6, "expected 3 fields"),
        ('"\nA.",How to One,"x"\n"\nB.",How to Open,"never closed\n\nmore text\n', 4, "quoted field never closed"),
        ('"\nA.",How to One,"x"\n"\nB." and more,How to Two,"y"\n', 4, "malformed CSV record"),
    ],
    ids=["wrong field count", "unterminated quote", "stray quote"],
)
def test_csv_broken_rows_are_input_errors_naming_the_line(tmp_path, body, line, message):
    path = write_csv(tmp_path, CSV_HEADER + body)
    with pytest.raises(InputError, match=rf"wikihowAll\.csv:{line}: .*{message}"):
        read_all(path)


def test_csv_without_the_expected_header_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"x\.csv:1: expected the header headline,title,text, found title,text"):
        read_all(write_csv(tmp_path, "title,text\nHow to A,b\n", "x.csv"))
    with pytest.raises(InputError, match=r"y\.csv:1: empty file"):
        read_all(write_csv(tmp_path, "", "y.csv"))


def test_csv_that_is_not_utf8_is_an_input_error(tmp_path):
    path = tmp_path / "z.csv"
    path.write_bytes(CSV_HEADER.encode() + b'"\nA.",How to Caf\xe9,"x"\n')
    with pytest.raises(InputError, match=r"z\.csv:3: not valid UTF-8"):
        read_all(path)


# -- real pages (../shared/real/wikihow) -----------------------------------------------------------

real = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real/wikihow is not available")

REAL_CATEGORIES = {
    "2020-08-15_Cook-Aubergine.html": "Food and Entertaining",
    "2020-08-15_Cook-Lamb-Steaks.html": "Food and Entertaining",
    "2020-08-15_Determine-if-an-Information-Source-Is-Reliable-COVID-19.html": "Health",
    "2020-08-15_Grill-Fish.html": "Food and Entertaining",
    "2020-08-15_Grill-Flank-Steak.html": "Food and Entertaining",
    "2020-08-15_Make-Ube-Halaya.html": "Food and Entertaining",
    "2020-08-15_Prevent-Cardio-from-Burning-Muscle.html": "Sports and Fitness",
    "2020-08-15_Verify-Your-YouTube-Account.html": "Computers and Electronics",
    "2020-08-21_Cope-with-the-Stress-of-Homeschooling-for-Parents.html": "Education and Communications",
    "2020-08-21_Find-Good-Exercises-for-Your-Kids-to-Do-Online.html": "Sports and Fitness",
}


@real
@pytest.mark.real
def test_real_page_matches_golden_markdown():
    candidate, skipped = read_one(REAL / "2020-08-15_Grill-Fish.html")
    assert not skipped
    assert candidate.id == "wikihow/Grill-Fish"
    assert candidate.prompt == "How to Grill Fish?"
    assert candidate.meta["article_id"] == 12232 and candidate.meta["snapshot"] == "2020-08-14T14:25:01Z"
    check_golden("Grill-Fish.md", candidate.response + "\n")
    assert candidate.response.startswith("Grilled fish is a healthy and tasty dish")
    assert "\n\n## Fillets\n\n1. Choose a thick and sturdy fillet, like tuna or salmon steak. You can cook" in candidate.response
    rich, _ = read_one(REAL / "2020-08-15_Grill-Fish.html", RICH)  # the output before the released layout
    check_golden("Grill-Fish.rich.md", rich.response + "\n")
    assert "\n\n## Method 2: Fillets\n\n1. **Choose a thick and sturdy fillet, like tuna or salmon steak.** You" in rich.response


def outline(candidate) -> str:
    """A response's shape: its id, group and length, then each ``## `` heading with its step count."""
    lines = [f"{candidate.id} | {candidate.group} | {len(candidate.response):,} characters"]
    heading, steps = "(no heading)", 0
    for line in candidate.response.split("\n") + ["## (end)"]:
        if line.startswith("## "):
            if steps:
                lines.append(f"  {heading}: {steps} steps")
            heading, steps = line, 0
        elif re.match(r"\d+\. ", line):
            steps += 1
    return "\n".join(lines)


@real
@pytest.mark.real
def test_real_pages_in_the_released_layout_match_their_golden_outline():
    """Every real page as LIMA released its wikiHow answers: an intro, bare ``## `` headings, steps
    that start with their headline as prose; no bold, no labels, none of the pruned sections."""
    candidates, _ = read_all(REAL)
    check_golden("real-pages.txt", "\n".join(outline(c) for c in candidates) + "\n")
    for c in candidates:
        text = c.response
        assert not text.startswith(("#", "1. ")), c.id  # an intro paragraph first
        assert not BOLD.search(text) and not LABELLED_HEADING.search(text), c.id
        for section in ("Tips", "Warnings", "Ingredients", "Things You"):
            assert f"## {section}" not in text, (c.id, section)
        steps = re.findall(r"^\d+\. (.)", text, re.MULTILINE)
        assert steps and all(first.isupper() or first.isdigit() for first in steps), c.id


@real
@pytest.mark.real
def test_released_layout_shortens_real_responses_towards_table_1():
    """Mean characters and estimated tokens over the ten pages: the released layout below the rich one
    and below the output before it (docs/sources/wikihow.md quotes the figures)."""
    means = {}
    for name, settings in (("released", SETTINGS), ("rich", with_settings(layout="rich")), ("before", RICH)):
        responses = [c.response for c in read_all(REAL, settings)[0]]
        means[name] = (statistics.mean(map(len, responses)), statistics.mean(estimate_tokens(responses)))
    assert round(means["released"][0]) == 8197 and round(means["before"][0]) == 8802, means
    assert means["released"][1] < means["rich"][1] < means["before"][1], means


@real
@pytest.mark.real
def test_every_real_page_gives_one_clean_candidate_with_its_category():
    assert sorted(p.name for p in wikihow.units(REAL)) == sorted(REAL_CATEGORIES)
    started = time.perf_counter()
    candidates, skipped = read_all(REAL)
    per_page = (time.perf_counter() - started) / len(REAL_CATEGORIES)
    assert not skipped and len(candidates) == len(REAL_CATEGORIES)
    for name, candidate in zip(sorted(REAL_CATEGORIES), candidates):
        assert candidate.group == REAL_CATEGORIES[name]
        assert candidate.meta["category_source"] == "breadcrumb"
        assert isinstance(candidate.meta["article_id"], int)
        text = candidate.response
        for gone in (
            "Research source",
            "Expert Source",
            "Trustworthy Source",
            "[1]",
            "http",
            "<",
            "Helpful",
            "Advertisement",
            "Submit a Tip",
            "Community Q&A",
            "Related wikiHows",
            "Co-authored",
        ):
            assert gone not in text, (name, gone)
        assert 3000 <= len(text) <= 20000, (name, len(text))
        assert "\n\n## " in text and "\n1. " in text and "**" not in text
    assert per_page < 0.5, f"{per_page * 1000:.0f} ms per page"
