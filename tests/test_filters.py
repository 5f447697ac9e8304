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


BASIL = "Fresh basil keeps best in water. " * 40


@pytest.mark.parametrize(
    "sentence, word",
    [
        ("I would blanch it first.", "I"),
        ("In my experience it wilts.", "my"),
        ("I'm sure it keeps.", "I'm"),
        ("I’ve frozen it.", "I’ve"),
        ("I'd blanch it.", "I'd"),
        ("I’ll say no.", "I’ll"),
        ("Give me a minute.", "me"),
        ("That jar is mine.", "mine"),
        ("Ask myself.", "myself"),
    ],
)
def test_the_papers_first_person_is_dropped_with_the_word_it_found(settings, sentence, word):
    decision = first_drop(settings, candidate(BASIL + sentence))
    assert decision.filter == "first_person" and decision.score == 1
    assert decision.reason == f"first person: {word!r} (1 times)"


@pytest.mark.parametrize("sentence", ["We usually freeze it.", "It worked for us.", "Our cooks agree.", "We've all done it."])
def test_the_plural_passes_the_lima_recipe_as_the_paper_states_it(settings, sentence):
    assert first_drop(settings, candidate(BASIL + sentence)) is None


def test_the_plural_is_an_opt_in_filter_of_the_recipe(tmp_path):
    recipe = tmp_path / "strict.toml"
    recipe.write_text(
        f'extends = "{(ROOT / "filters" / "lima.toml").as_posix()}"\nname = "strict"\n\n[filters.stackexchange]\nchain = '
        '["length", "first_person", "first_person_plural"]\n',
        encoding="utf-8",
    )
    chain = load_recipe(recipe).filters["stackexchange"]
    decision = first_drop(chain, candidate(BASIL + "We usually freeze it, and our cooks agree."))
    assert (decision.filter, decision.score) == ("first_person_plural", 2)
    assert decision.reason == "first person plural: 'We' (2 times)"


@pytest.mark.parametrize(
    "text",
    [
        "The loop variable i counts rows, in section ii.",
        "Prices in the US rose.",
        "Use `my_var` here.",
        "Run this:\n\n```\nfor i in items: print(my, me)\n```\n",
        "Immediate, minefield, medium, mystery items.",
        "The I/O is slow, i.e. the disk.",
        "An I-beam holds it. I.e. steel.",
        "Set my_flag and MY_FLAG; see the ME-2 model.",
    ],
)
def test_first_person_ignores_code_lowercase_i_acronyms_and_word_parts(settings, text):
    assert first_drop(settings, candidate(BASIL + text)) is None


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
    "text",
    [
        "A no-op here changes nothing.",
        "Use an op-amp for the buffer.",
        "The opcode OP_CODE is reserved.",
        "An op amp, an Op. 27 nocturne, the op-code.",
    ],
)
def test_op_never_matches_inside_another_word_or_identifier(settings, text):
    assert first_drop(settings, candidate(BASIL + text)) is None


@pytest.mark.parametrize(
    "text, found", [("As the OP says, dry it.", "the op"), ("So OP's pot is small.", "OP"), ("Ask OP, not the cook.", "OP")]
)
def test_op_as_a_word_still_refers_to_the_asker(settings, text, found):
    decision = first_drop(settings, candidate(BASIL + text))
    assert decision.filter == "other_answers" and decision.reason == f"refers to other answers: {found.lower()!r}"


@pytest.mark.parametrize(
    "sentence, phrase",
    [
        ("Dry it (as you say).", "as you say"),
        ("As you mentioned, it wilts.", "as you mentioned"),
        ("In your example the leaves are wet.", "in your example"),
        ("To answer your question: freeze it.", "your question"),
        ("What you asked is common.", "you asked"),
    ],
)
def test_a_reference_to_the_question_drops_a_title_only_prompt(settings, sentence, phrase):
    decision = first_drop(settings, candidate(BASIL + sentence, prompt_from="title"))
    assert decision.filter == "question_reference" and decision.score == 1
    assert decision.reason == f"refers to the question, prompt is the title only: {phrase!r}"


@pytest.mark.parametrize("prompt_from", ["body", "title+body"])
def test_a_reference_to_the_question_is_kept_when_the_body_is_in_the_prompt(settings, prompt_from):
    decision, scores = judge(candidate(BASIL + "As you mentioned, it wilts.", prompt_from=prompt_from), settings.filters)
    assert decision is None and scores["question_reference"] == 1


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
