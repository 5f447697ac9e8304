"""The shipped Stack Exchange samples: every planted question gets exactly the decision it was written for."""

from __future__ import annotations

import sys

import pytest
from conftest import LIMA_RECIPE, ROOT, read_source

from lima_curate.filters import judge
from lima_curate.recipe import load_recipe
from lima_curate.sources import stackexchange as se

sys.path.insert(0, str(ROOT / "samples"))
import stackexchange_content  # noqa: E402

EXPECTED_FILTER = {
    "low-score": "answer_score",
    "too-short": "length",
    "too-long": "length",
    "first-person": "first_person",
    "refers-to-others": "other_answers",
    "title": "self_contained_title",
    "closed": "open_question",
}
SITES = {site["site"]: site for site in stackexchange_content.SITES}


@pytest.fixture(scope="module")
def recipe():
    return load_recipe(LIMA_RECIPE)


@pytest.mark.parametrize("site", sorted(SITES))
def test_each_planted_question_is_decided_as_written(recipe, site):
    [unit] = [u for u in se.units(ROOT / "samples" / "stackexchange") if se.site_of(u) == site]
    read, skipped = read_source("stackexchange", unit, recipe.sources["stackexchange"], recipe.seed)
    candidates = {c.meta["question_id"]: c for c in read}
    chain = recipe.filters["stackexchange"].filters
    for question in SITES[site]["questions"]:
        expect = question["expect"]
        if expect == "drop:no-answer":
            assert question["id"] not in candidates
            continue
        decision, _ = judge(candidates[question["id"]], chain)
        if expect == "eligible":
            assert decision is None, f"{site} q{question['id']}: {decision}"
        else:
            assert decision is not None and decision.filter == EXPECTED_FILTER[expect.split(":")[1]], (
                f"{site} q{question['id']} expected {expect}, got {decision}"
            )
    assert skipped["planted_post"] == 2 and skipped["missing_body"] == 1 and skipped["invalid_id_or_score"] == 1
    assert candidates and {c.subset for c in candidates.values()} == {se.subset_of(site, recipe.sources["stackexchange"])}
