"""Nothing silent (issue 13, item 6): every input unit that yields no eligible candidate is one warning
on the console saying why and what to do; a Stack Exchange folder named like one site is that site;
a site can be named on ``--input``; links and named inputs verify; ``verify`` takes the set's folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from se_dump import answer, eligible_pairs, question, site_archive, site_folder

REAL_CARDANO = ROOT.parent / "shared" / "real" / "stackexchange" / "cardano.stackexchange.com"
TITLE = "How can a shell script read a file line by line?"


@pytest.fixture(scope="module")
def recipe(tmp_path_factory) -> Path:
    """LIMA's recipe with room for two STEM and two Other examples and nothing else."""
    path = tmp_path_factory.mktemp("recipe") / "r.toml"
    path.write_text(
        f'schema = 1\nextends = "{ROOT / "filters" / "lima.toml"}"\nname = "t"\nversion = "1"\n'
        "[quotas]\nse_stem = 2\nse_other = 2\nwikihow = 0\nwritingprompts = 0\nsuperni = 0\nauthored = 0\n"
    )
    return path


def build(recipe: Path, out: Path, *inputs: str):
    """``lima-curate build`` of some ``--input`` values, allowed short, without a cache."""
    args = [a for value in inputs for a in ("--input", value)]
    return run_cli("build", "--recipe", str(recipe), *args, "--out", str(out), "--no-cache", "--allow-short")


def warnings(result) -> list[str]:
    """The warning lines a command printed on stderr."""
    return [line for line in result.stderr.splitlines() if line.startswith("warning: ")]


def ids(out: Path) -> list[str]:
    """The example ids of a built set, in manifest order."""
    return [json.loads(line)["id"] for line in (out / "manifest.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(
    "name", ["stackexchange_quantumcomputing", "quantumcomputing", "quantumcomputing.stackexchange.com_2024"]
)
def test_a_folder_named_like_one_known_site_is_that_site(recipe, tmp_path, name):
    unit = site_folder(tmp_path / "dumps", name, eligible_pairs(100, 2))
    result = build(recipe, tmp_path / "out", f"stackexchange={unit}")
    assert result.exit_code == 0, result.stderr
    assert ids(tmp_path / "out") == [
        "stackexchange/quantumcomputing.stackexchange.com/q100-a101",
        "stackexchange/quantumcomputing.stackexchange.com/q110-a111",
    ]
    card = json.loads((tmp_path / "out" / "manifest.card.json").read_text())
    assert card["inputs"][0]["path"] == f"../dumps/{name}" and card["unknown_sites"] == {}


@pytest.mark.parametrize("kind", ["folder", "archive"])
def test_a_name_that_is_no_known_site_says_rename_it_or_name_it(recipe, tmp_path, kind):
    make = site_folder if kind == "folder" else site_archive
    unit = make(tmp_path / "dumps", "stackexchange_quantumcomputng", eligible_pairs(100, 2))
    result = build(recipe, tmp_path / "out", f"stackexchange={unit}")
    assert result.exit_code == 0, result.stderr
    renamed = "quantumcomputing.stackexchange.com" + (".7z" if kind == "archive" else "")
    assert warnings(result) == [
        f"warning: {unit}: {kind} '{unit.name}' is not a known site (2 candidates unused): rename it to the site's "
        f"host, e.g. {renamed}, or name the site on the input: --input stackexchange:quantumcomputing.stackexchange.com={unit}"
    ]
    assert "stackexchange_sites.toml" not in result.stderr  # never "edit the shipped site list"


def test_a_name_with_no_close_site_gives_the_form_of_a_host(recipe, tmp_path):
    unit = site_folder(tmp_path / "dumps", "mysite", eligible_pairs(100, 1))
    result = build(recipe, tmp_path / "out", f"stackexchange={unit}")
    assert warnings(result) == [
        f"warning: {unit}: folder 'mysite' is not a known site (1 candidate unused): rename it to the site's host as the "
        f"site list spells it (like cooking.stackexchange.com), or name the site on the input: --input stackexchange:HOST={unit}"
    ]


def test_a_name_that_means_several_sites_names_them(recipe, tmp_path):
    unit = site_folder(tmp_path / "dumps", "stackexchange_cooking_travel", eligible_pairs(100, 2))
    result = build(recipe, tmp_path / "out", f"stackexchange={unit}")
    assert warnings(result) == [
        f"warning: {unit}: folder 'stackexchange_cooking_travel' could be any of 2 known sites (cooking.stackexchange.com, "
        f"travel.stackexchange.com; 2 candidates unused): rename it to the site's host, or name it: "
        f"--input stackexchange:cooking.stackexchange.com={unit}"
    ]


@pytest.mark.parametrize("name", ["cooking.meta.stackexchange.com", "stackexchange_cooking_meta"])
def test_a_meta_site_is_excluded_by_rule_and_says_so(recipe, tmp_path, name):
    unit = site_folder(tmp_path / "dumps", name, eligible_pairs(100, 2))
    result = build(recipe, tmp_path / "out", f"stackexchange={unit}")
    assert result.exit_code == 0, result.stderr
    assert warnings(result) == [
        f"warning: {unit}: cooking.meta.stackexchange.com is a meta site, excluded by the rule excluded_patterns "
        "'*.meta.stackexchange.com' (2 candidates): its questions are about the site itself; pass the main site's dump instead"
    ]


def test_a_site_the_site_list_excludes_says_so(recipe, tmp_path):
    unit = site_folder(tmp_path / "dumps", "codegolf.stackexchange.com", eligible_pairs(100, 3))
    result = build(recipe, tmp_path / "out", f"stackexchange={unit}")
    assert warnings(result) == [
        f"warning: {unit}: codegolf.stackexchange.com is excluded by the site list (3 candidates; "
        "docs/stackexchange_sites.md says why)"
    ]


def test_every_answer_under_the_score_gate_says_so(recipe, tmp_path):
    rows = [question(10, TITLE), answer(11, 10, score=3), question(20, TITLE + " Twice?"), answer(21, 20, score=9)]
    unit = site_folder(tmp_path / "dumps", "unix.stackexchange.com", rows)
    result = build(recipe, tmp_path / "out", f"stackexchange={unit}")
    assert warnings(result) == [
        f"warning: {unit}: none of its 2 answered questions has a top answer scored 10 or more (the score gate, "
        "[filters.stackexchange.answer_score] min_score): a young or small site; add other sites"
    ]


def test_a_unit_a_source_cannot_explain_gets_the_generic_line(recipe, tmp_path):
    rows = [question(10, TITLE, AnswerCount=0), question(20, TITLE, Score="x")]
    unit = site_folder(tmp_path / "dumps", "unix.stackexchange.com", rows)
    result = build(recipe, tmp_path / "out", f"stackexchange={unit}")
    assert warnings(result) == [
        f"warning: {unit}: no eligible candidate (stackexchange): 2 skipped (invalid_id_or_score 1, unanswered_question 1); "
        "see docs/sources/stackexchange.md"
    ]


def test_units_that_yield_are_not_warned_about(recipe, tmp_path):
    unit = site_folder(tmp_path / "dumps", "unix.stackexchange.com", eligible_pairs(100, 2))
    result = build(recipe, tmp_path / "out", f"stackexchange={unit}")
    assert result.exit_code == 0 and warnings(result) == [], result.stderr


def test_a_site_named_on_input_is_recorded_and_verifies_from_the_folder(recipe, tmp_path):
    unit = site_folder(tmp_path / "dumps", "my-download", eligible_pairs(100, 2))
    out = tmp_path / "out"
    result = build(recipe, out, f"stackexchange:QuantumComputing={unit}")
    assert result.exit_code == 0 and warnings(result) == [], result.stderr
    assert ids(out)[0] == "stackexchange/quantumcomputing.stackexchange.com/q100-a101"
    card = json.loads((out / "manifest.card.json").read_text())
    assert card["inputs"][0]["name"] == "quantumcomputing" and card["inputs"][0]["path"] == "../dumps/my-download"
    verified = run_cli("verify", str(out))
    assert verified.exit_code == 0, verified.stderr
    assert verified.stdout.startswith(f"OK {out / 'manifest.jsonl'}: rebuilt byte for byte")


def test_a_named_site_the_site_list_lacks_says_check_the_host(recipe, tmp_path):
    unit = site_folder(tmp_path / "dumps", "dl", eligible_pairs(100, 1))
    result = build(recipe, tmp_path / "out", f"stackexchange:nosuch.stackexchange.com={unit}")
    assert warnings(result) == [
        f"warning: {unit}: site 'nosuch.stackexchange.com' named on --input is not in the recipe's site list (1 candidate "
        "unused): give the site's host as the site list spells it"
    ]


def test_a_name_goes_with_one_site_of_a_source_that_takes_names(recipe, tmp_path):
    site_folder(tmp_path / "dumps", "unix.stackexchange.com", eligible_pairs(100, 1))
    site_folder(tmp_path / "dumps", "cooking.stackexchange.com", eligible_pairs(100, 1))
    two = build(recipe, tmp_path / "a", f"stackexchange:unix={tmp_path / 'dumps'}")
    assert two.exit_code == 2 and two.stderr == (
        f"error: {tmp_path / 'dumps'}: the name 'unix' goes with one site, and this folder holds 2: "
        "pass each site on its own --input\n"
    )
    other = build(recipe, tmp_path / "b", f"wikihow:unix={ROOT / 'samples' / 'wikihow'}")
    assert other.exit_code == 2 and other.stderr.count("\n") == 1
    assert "source 'wikihow' takes no name (wikihow:unix=PATH); only a Stack Exchange site is named" in other.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_link_named_after_the_host_builds_and_verifies(recipe, tmp_path):
    target = site_folder(tmp_path / "store", "download-2024", eligible_pairs(100, 2))
    links = tmp_path / "links"
    links.mkdir()
    (links / "unix.stackexchange.com").symlink_to(target)
    out = tmp_path / "out"
    result = build(recipe, out, f"stackexchange={links / 'unix.stackexchange.com'}")
    assert result.exit_code == 0 and warnings(result) == [], result.stderr
    assert ids(out)[0] == "stackexchange/unix.stackexchange.com/q100-a101"
    card = json.loads((out / "manifest.card.json").read_text())
    assert card["inputs"][0]["path"] == "../links/unix.stackexchange.com"  # the link, not where it points
    for given in (out, out / "manifest.jsonl"):
        verified = run_cli("verify", str(given))
        assert verified.exit_code == 0, verified.stderr


def test_verify_of_a_folder_without_a_manifest_is_one_line(tmp_path):
    from lima_curate.errors import InputError
    from lima_curate.verify import verify_manifest

    with pytest.raises(InputError) as raised:
        verify_manifest(tmp_path)
    assert str(raised.value) == (
        f"{tmp_path}: no manifest.jsonl in this folder: pass a folder written by `lima-curate build`, or its manifest.jsonl"
    )
    result = run_cli("verify", str(tmp_path))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: {tmp_path}")


@pytest.mark.real
def test_real_cardano_through_a_link_named_otherwise_builds_and_verifies_when_named(recipe, tmp_path):
    if not REAL_CARDANO.is_dir():
        pytest.skip("../shared/real is absent")
    (tmp_path / "mysite").symlink_to(REAL_CARDANO)
    unnamed = build(recipe, tmp_path / "a", f"stackexchange={tmp_path / 'mysite'}")
    [line] = warnings(unnamed)
    assert line.startswith(f"warning: {tmp_path / 'mysite'}: folder 'mysite' is not a known site (")
    named = build(recipe, tmp_path / "b", f"stackexchange:cardano={tmp_path / 'mysite'}")
    assert named.exit_code == 0 and warnings(named) == [], named.stderr
    assert ids(tmp_path / "b") and all(i.startswith("stackexchange/cardano.stackexchange.com/") for i in ids(tmp_path / "b"))
    verified = run_cli("verify", str(tmp_path / "b"))
    assert verified.exit_code == 0, verified.stderr


def test_a_site_name_comes_from_the_input_never_from_a_recipe(recipe, tmp_path):
    own = tmp_path / "own.toml"
    own.write_text(f'schema = 1\nextends = "{recipe}"\n[stackexchange]\nsite_name = "cooking.stackexchange.com"\n')
    unit = site_folder(tmp_path / "dumps", "mysite", eligible_pairs(100, 1))
    result = build(own, tmp_path / "out", f"stackexchange={unit}")
    assert [line.split(": ", 2)[2][:35] for line in warnings(result)] == ["folder 'mysite' is not a known site"]


def test_why_names_the_unknown_or_excluded_site_of_an_id(recipe, tmp_path):
    unknown = site_folder(tmp_path / "dumps", "mysite", eligible_pairs(100, 1))
    meta = site_folder(tmp_path / "dumps", "cooking.meta.stackexchange.com", eligible_pairs(100, 1))
    out = tmp_path / "out"
    assert build(recipe, out, f"stackexchange={unknown}", f"stackexchange={meta}").exit_code == 0
    said = run_cli("why", "stackexchange/mysite/q100-a101", str(out))
    assert said.exit_code == 1 and said.stdout == (
        "stackexchange/mysite/q100-a101: not a candidate of this set: its input's name 'mysite' is no known site "
        "(1 candidate unused): rename the folder to the site's host, or name it on the input "
        "(--input stackexchange:HOST=PATH), and build again\n"
    )
    said = run_cli("why", "stackexchange/cooking.meta.stackexchange.com/q100-a101", str(out))
    assert (
        said.exit_code == 1 and "its site cooking.meta.stackexchange.com is excluded by the recipe (1 candidate;" in said.stdout
    )
