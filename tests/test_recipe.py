"""Recipe files: extends, overrides, and a clear error naming the file and the key for every mistake."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from lima_curate.errors import InputError
from lima_curate.recipe import load_recipe

LIMA = ROOT / "filters" / "lima.toml"


def recipe_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "r.toml"
    path.write_text(f'schema = 2\nextends = "{LIMA}"\nname = "t"\nversion = "1"\n{body}')
    return path


def test_lima_recipe_has_the_papers_numbers():
    recipe = load_recipe(LIMA)
    assert recipe.quotas == {
        "se_stem": 200,
        "se_other": 200,
        "wikihow": 200,
        "writingprompts": 150,
        "superni": 50,
        "authored": 200,
        "dialogue": 0,
    }
    assert sum(recipe.quotas.values()) == 1000
    se = recipe.filters["stackexchange"]
    papers = ("answer_score", "open_question", "self_contained_title", "length", "first_person", "other_answers")
    assert [name for name in se.names if name in papers] == list(papers)  # the paper's, in order (others may follow)
    assert (se.get("answer_score").min_score, se.get("length").min_chars, se.get("length").max_chars) == (10, 1200, 4096)
    assert recipe.sampling["se_stem"].temperature == 3.0 and recipe.sampling["wikihow"].temperature == float("inf")
    assert "I" in se.get("first_person").words and "stack exchange" in se.get("other_answers").phrases
    assert recipe.sources["stackexchange"].site_list["cooking.stackexchange.com"] == "other"
    assert recipe.sources["stackexchange"].min_answer_score == 10


def test_extends_overrides_only_what_it_names_and_the_digest_follows(tmp_path):
    base = load_recipe(LIMA)
    derived = load_recipe(recipe_file(tmp_path, "[quotas]\nse_stem = 5\n"))
    assert derived.quotas["se_stem"] == 5 and derived.quotas["se_other"] == 200
    assert derived.filters == base.filters and derived.sha256 != base.sha256
    assert load_recipe(LIMA, {"seed": 7}).seed == 7


@pytest.mark.parametrize(
    "body, message",
    [
        ("colour = 1\n", "unknown recipe table or key 'colour'"),
        ("[quotas]\nse_gold = 3\n", "unknown subset 'se_gold'"),
        ("[quotas]\nse_stem = -1\n", "se_stem must be a whole number"),
        ('[filters.stackexchange]\nchain = ["sparkle"]\n', "unknown filter 'sparkle'"),
        (
            '[filters.stackexchange.length]\nmin_chars = "long"\n',
            r"\[filters.stackexchange.length\] min_chars: input should be a valid integer, found 'long'",
        ),
        ("[filters.stackexchange.length]\nmin_char = 3\n", "unknown setting 'min_char'; known: min_chars, max_chars"),
        ("[filters.stackexchange]\nmin_chars = 3\n", "unknown key 'min_chars': give chain"),
        ('[stackexchange]\ndrop_post_ids = [1, "2"]\n', r"\[stackexchange\] drop_post_ids.1: input should be a valid integer"),
        ("[sampling.se_stem]\ntemperature = 0\n", "temperature must be a number >= 0.1"),
        ('[sampling.se_stem]\nwithin = "best"\n', "within must be one of"),
        ('[stackexchange]\ntitle_prompt_share = "half"\n', "title_prompt_share: input should be a valid number, found 'half'"),
        ('[sampling.se_stem]\ntemperature = "hot"\n', "temperature must be a number >= 0.1"),
        ("[sampling]\nwikihow = 3\n", "must be a table"),
        ("seed = true\n", "'seed' must be a int"),
        ("quotas = 5\n", "'quotas' must be a table"),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path, body, message):
    with pytest.raises(InputError, match=message) as info:
        load_recipe(recipe_file(tmp_path, body))
    assert str(info.value).startswith(str(tmp_path / "r.toml"))


def test_unreadable_recipes(tmp_path):
    with pytest.raises(InputError, match="recipe file not found"):
        load_recipe(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("schema = = 1\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_recipe(bad)
    loop = tmp_path / "loop.toml"
    loop.write_text('schema = 1\nextends = "loop.toml"\n')
    with pytest.raises(InputError, match="extends itself"):
        load_recipe(loop)


def test_data_files_a_recipe_names_are_inlined_so_the_digest_covers_their_content(tmp_path):
    import shutil

    for name in ("lima.toml", "stackexchange_sites.toml", "wikihow_categories.toml"):
        shutil.copy(ROOT / "filters" / name, tmp_path / name)
    before = load_recipe(tmp_path / "lima.toml")
    assert isinstance(before.sources["wikihow"].category_map, dict)
    assert before.resolved["stackexchange"]["site_list"]["sites"]["cooking.stackexchange.com"] == "other"
    with open(tmp_path / "wikihow_categories.toml", "a") as handle:
        handle.write("\n# a comment changes nothing\n")
    assert load_recipe(tmp_path / "lima.toml").sha256 == before.sha256
    text = (tmp_path / "stackexchange_sites.toml").read_text()
    (tmp_path / "stackexchange_sites.toml").write_text(
        text.replace('"cooking.stackexchange.com" = "other"', '"cooking.stackexchange.com" = "stem"')
    )
    assert load_recipe(tmp_path / "lima.toml").sha256 != before.sha256


def test_a_schema_1_recipe_is_read_with_its_flat_filter_keys_and_words_moved(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text(
        f'schema = 1\nextends = "{LIMA}"\nname = "old"\nversion = "1"\n'
        '[filters.stackexchange]\nmin_chars = 900\nmin_answer_score = 5\n[words]\nfirst_person = ["I"]\n'
    )
    chain = load_recipe(path).filters["stackexchange"]
    assert chain.get("length").min_chars == 900 and chain.get("length").max_chars == 4096
    assert chain.get("answer_score").min_score == 5 and chain.get("first_person").words == ("I",)
    assert load_recipe(path).sources["stackexchange"].min_answer_score == 5  # the reader's gate follows


def test_every_reader_default_is_what_lima_toml_says():
    """A reader's dataclass defaults are a second copy of the recipe's numbers: they must agree."""
    import dataclasses

    from lima_curate import sources
    from lima_curate.recipe import INLINED_FILES

    recipe = load_recipe(LIMA)
    for name in sources.names():
        table = recipe.resolved.get(name, {})
        defaults = sources.get(name).Settings()
        for key in table:
            if (name, key) in INLINED_FILES:
                continue
            expected = getattr(recipe.sources[name], key)
            assert getattr(defaults, key) == expected, f"{name}.Settings().{key} differs from [{name}] {key} in lima.toml"
        assert dataclasses.is_dataclass(defaults)


# -- hostile recipes through the command line: one line naming the file and the key, the set kept --


QUOTAS = "[quotas]\nse_stem = 0\nse_other = 0\nwikihow = 0\nwritingprompts = 0\nsuperni = 0\nauthored = 3\n"


def build_authored(recipe: Path, out: Path):
    """``build`` of the authored sample with ``recipe`` into ``out`` (in process)."""
    return run_cli(
        "build", "--recipe", str(recipe), "--input", f"authored={ROOT / 'samples' / 'authored'}", "--out", str(out), "--no-cache"
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A good set built from the authored sample, which every refused recipe must leave as it was."""
    root = tmp_path_factory.mktemp("recipes")
    recipe = recipe_file(root, QUOTAS)
    result = build_authored(recipe, root / "out")
    assert result.exit_code == 0, result.stderr
    return root / "out"


def refused(built: Path, recipe: Path, expected: str) -> None:
    """The build with ``recipe`` exits 2 with one line naming the recipe, and the set is untouched
    (in process, Typer's runner: a traceback would show as exit 1)."""
    before = {p.name: p.read_bytes() for p in built.iterdir()}
    result = build_authored(recipe, built)
    assert result.exit_code == 2, (result.exception, result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {recipe}: "), result.stderr
    assert expected in result.stderr, result.stderr
    assert {p.name: p.read_bytes() for p in built.iterdir()} == before


@pytest.mark.parametrize(
    "body, expected",
    [
        ("[sampling.se_stem]\ntemperature = 0.001\n", '[sampling.se_stem] temperature must be a number >= 0.1 (or "inf"'),
        ("[sampling.authored]\ntemperature = nan\n", "[sampling.authored] temperature must be a number >= 0.1"),
        ("[superni]\ninstances_per_task = -3\n", "[superni] instances_per_task must be at least 1, found -3"),
        ("[dedup]\nnum_perm = 200000000\n", "[dedup] num_perm must be between 16 and 4096, found 200000000"),
        ("[dedup]\nnum_perm = 2e8\n", "[dedup] num_perm: input should be a valid integer, found 200000000.0"),
        ("[dedup]\nshingle_words = 0\n", "[dedup] shingle_words must be between 1 and 1000, found 0"),
        ("[stackexchange]\ntitle_prompt_share = nan\n", "[stackexchange] title_prompt_share must be between 0 and 1, found nan"),
        ("[stackexchange]\nchain_max_follow_ups = -1\n", "[stackexchange] chain_max_follow_ups must be at least 0"),
        (
            "[writingprompts]\nmin_story_chars = 4000\nmax_story_chars = 3500\n",
            "[writingprompts] min_story_chars (4000) is above max_story_chars (3500)",
        ),
        (
            "[filters.stackexchange.length]\nmin_chars = -5\n",
            "[filters.stackexchange.length] min_chars must be at least 0, found -5",
        ),
        ("[stackexchange]\nsite_list = 5\n", "[stackexchange] site_list must name a site list file, found 5"),
        ("[decontam]\nthreshold = 2.0\n", "[decontam] threshold must be between 0 and 1, found 2.0"),
    ],
    ids=lambda value: value.split("\n")[1].split(" ")[0] if "\n" in value else None,
)
def test_out_of_range_numbers_are_one_line_naming_the_key(built, tmp_path, body, expected):
    refused(built, recipe_file(tmp_path, QUOTAS + body), expected)


def test_a_recipe_that_is_no_text_file_is_one_line(built, tmp_path):
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\x9d\xff\x00PK\x03\x04" * 40)
    refused(built, binary, "not a TOML text file (not valid UTF-8 at byte 1)")
    refused(built, tmp_path, "is a folder, not a recipe file")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    refused(built, fifo, "is not a regular file, not a recipe file")  # never opened: opening a FIFO blocks
    parent = recipe_file(tmp_path, "")
    parent.write_text(parent.read_text().replace(f'extends = "{LIMA}"', "extends = 5"))
    refused(built, parent, "'extends' must name a recipe file (a string), found 5")
    bad_schema = recipe_file(tmp_path, "")
    bad_schema.write_text(bad_schema.read_text().replace("schema = 2", "schema = true"))
    refused(built, bad_schema, "schema must be 2, found True")


def test_lowest_temperature_builds(tmp_path):
    """At the lowest temperature allowed, the largest group weighs no more than a float holds."""
    from lima_curate.sampling import group_weights

    recipe = load_recipe(recipe_file(tmp_path, "[sampling.se_stem]\ntemperature = 0.1\n"))
    assert recipe.sampling["se_stem"].temperature == 0.1
    weights = group_weights({"big": 2**63, "small": 1}, recipe.sampling["se_stem"].temperature)
    assert weights["small"] == 1.0 and 1e189 < weights["big"] < float("inf")


# -- the shipped recipes by name, from any folder ---------------------------------------------------

SHIPPED_NAMES = "shipped recipes, by name from any folder: lima, sample)"


def test_a_shipped_recipe_is_found_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lima").mkdir()  # a folder of that name in the working folder does not hide it
    for name in ("lima", "lima.toml"):
        recipe = load_recipe(name)
        assert recipe.path == LIMA and recipe.sha256 == load_recipe(LIMA).sha256
    sample = load_recipe("sample")
    assert sample.name == "lima-sample" and sample.quotas["se_stem"] == 8  # extends lima.toml beside it
    assert sample.sources["stackexchange"].site_list["cooking.stackexchange.com"] == "other"


def test_a_path_that_is_a_file_wins_over_a_shipped_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lima.toml").write_text(f'schema = 2\nextends = "{LIMA}"\nname = "mine"\nversion = "1"\n')
    assert load_recipe("lima.toml").name == "mine"
    assert load_recipe("lima").name == "lima"  # no file called lima here: the shipped one


def test_a_recipe_of_ones_own_extends_a_shipped_one_and_names_the_shipped_site_list(tmp_path):
    mine = tmp_path / "elsewhere" / "mine.toml"
    mine.parent.mkdir()
    mine.write_text(
        'schema = 2\nextends = "lima.toml"\nname = "mine"\nversion = "1"\n'
        '[stackexchange]\nsite_list = "stackexchange_sites.toml"\n[quotas]\nse_stem = 3\n'
    )
    recipe = load_recipe(mine)
    assert recipe.quotas["se_stem"] == 3 and recipe.quotas["se_other"] == 200
    assert recipe.sources["stackexchange"].site_list == load_recipe(LIMA).sources["stackexchange"].site_list
    (mine.parent / "lima.toml").write_text(f'schema = 2\nextends = "{LIMA}"\nname = "beside"\nversion = "1"\nseed = 5\n')
    (mine.parent / "stackexchange_sites.toml").write_text('[sites]\n"cooking.stackexchange.com" = "stem"\n')
    beside = load_recipe(mine)  # a file beside the recipe comes first, for extends and for data files
    assert beside.sources["stackexchange"].site_list["cooking.stackexchange.com"] == "stem"
    assert recipe.sources["stackexchange"].site_list["cooking.stackexchange.com"] == "other"
    assert (beside.name, beside.seed, recipe.seed) == ("mine", 5, 20230518)


def test_a_missing_data_file_names_itself_beside_the_recipe(tmp_path):
    mine = tmp_path / "mine.toml"
    mine.write_text(f'schema = 2\nextends = "{LIMA}"\nname = "m"\nversion = "1"\n[stackexchange]\nsite_list = "sites.toml"\n')
    with pytest.raises(InputError) as info:
        load_recipe(mine)
    assert (
        str(info.value) == f"{tmp_path / 'sites.toml'}: file not found (a relative name is read beside the recipe that names it)"
    )


def test_an_unknown_recipe_name_is_one_line_listing_the_shipped_ones(built, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refused(built, Path("nosuch"), f"recipe file not found (give a recipe's name or the path of a .toml file; {SHIPPED_NAMES}")
    refused(built, Path("filters/lima.toml"), SHIPPED_NAMES)  # a checkout's path, outside the checkout
    refused(built, Path("stackexchange_sites"), SHIPPED_NAMES)  # shipped, but a site list, not a recipe
