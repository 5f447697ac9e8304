"""Recipe files: extends, overrides, and a clear error naming the file and the key for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

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
    assert se.names == ("answer_score", "open_question", "self_contained_title", "length", "first_person", "other_answers")
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
        ("[sampling.se_stem]\ntemperature = 0\n", "temperature must be > 0"),
        ('[sampling.se_stem]\nwithin = "best"\n', "within must be one of"),
        ('[stackexchange]\ntitle_prompt_share = "half"\n', "title_prompt_share: input should be a valid number, found 'half'"),
        ('[sampling.se_stem]\ntemperature = "hot"\n', "temperature must be > 0"),
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
