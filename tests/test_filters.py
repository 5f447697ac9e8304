"""LIMA filters: each decision, its score and its reason, with the shipped recipe's word lists."""

from __future__ import annotations

import pytest
from conftest import ROOT

from lima_curate.filters import Chain, judge
from lima_curate.recipe import load_recipe
from lima_curate.records import Candidate, chat


@pytest.fixture(scope="module")
def settings() -> Chain:
    return load_recipe(ROOT / "filters" / "lima.toml").filters["stackexchange"]


def candidate(response: str = "x" * 1500, title: str = "How do I store fresh basil for a week?", **meta) -> Candidate:
    meta = {"title": title, "answer_score": 25, "closed": False, **meta}
    return Candidate(id="t/1", source="stackexchange", subset="se_other", group="g", messages=chat(title, response), meta=meta)


def first_drop(settings, c):
    decision, _ = judge(c, settings.filters)
    return decision


def test_an_eligible_candidate_passes_every_filter_and_gets_every_score(settings):
    decision, scores = judge(candidate("Keep the stems in water. " * 60), settings.filters)
    assert decision is None
    assert set(scores) == set(settings.names) and scores["length"] == 1500


@pytest.mark.parametrize("score, keep", [(9, False), (10, True), (250, True)])
def test_answer_score_gate(settings, score, keep):
    decision = first_drop(settings, candidate(answer_score=score))
    assert (decision is None) is keep
    if not keep:
        assert decision.filter == "answer_score" and decision.score == 9 and "9 < 10" in decision.reason


@pytest.mark.parametrize("n, keep", [(1199, False), (1200, True), (4096, True), (4097, False)])
def test_length_bounds_are_inclusive(settings, n, keep):
    decision = first_drop(settings, candidate("a" * n))
    assert (decision is None) is keep
    if not keep:
        assert decision.filter == "length" and decision.score == n


@pytest.mark.parametrize(
    "sentence",
    [
        "I would blanch it first.",
        "In my experience it wilts.",
        "I'm sure it keeps.",
        "We usually freeze it.",
        "Give me a minute.",
        "It worked for us.",
        "Ask myself.",
    ],
)
def test_first_person_is_dropped(settings, sentence):
    decision = first_drop(settings, candidate(("Fresh basil keeps best in water. " * 40) + sentence))
    assert decision.filter == "first_person" and decision.score >= 1


@pytest.mark.parametrize(
    "text",
    [
        "The loop variable i counts rows, in section ii.",
        "Prices in the US rose.",
        "Use `my_var` here.",
        "Run this:\n\n```\nfor i in items: print(my, me)\n```\n",
        "Immediate, minefield, medium, mystery items.",
    ],
)
def test_first_person_ignores_code_lowercase_i_acronyms_and_word_parts(settings, text):
    assert first_drop(settings, candidate(("Fresh basil keeps best in water. " * 40) + text)) is None


@pytest.mark.parametrize(
    "sentence",
    [
        "As mentioned in the other answer, dry it.",
        "See the accepted answer.",
        "This is common on Stack Exchange.",
        "Edit: fixed the link.",
        "As others have said, freeze it.",
    ],
)
def test_references_to_other_answers_are_dropped(settings, sentence):
    decision = first_drop(settings, candidate(("Fresh basil keeps best in water. " * 40) + sentence))
    assert decision.filter == "other_answers"


@pytest.mark.parametrize(
    "title, keep",
    [
        ("How do I store fresh basil for a week?", True),
        ("Why does bread go stale faster in the fridge?", True),
        ("What is wrong with this code?", False),
        ("How to fix the following error", False),
        ("Error in title", False),
        ("See below", False),
        ("Basil", False),
        ("Which of these is better, as in the image?", False),
    ],
)
def test_self_contained_title(settings, title, keep):
    decision = first_drop(settings, candidate(title=title))
    assert (decision is None) is keep
    if not keep:
        assert decision.filter == "self_contained_title" and decision.reason


def test_closed_questions_are_dropped(settings):
    assert first_drop(settings, candidate(closed=True)).filter == "open_question"


def test_the_chain_stops_at_the_first_drop_in_recipe_order(settings):
    decision, scores = judge(candidate("I think so.", answer_score=2), settings.filters)
    assert decision.filter == "answer_score" and list(scores) == ["answer_score"]


def test_an_empty_chain_keeps_everything():
    assert judge(candidate("short"), Chain().filters) == (None, {})
