"""Dialogue chains from Stack Exchange comment threads: the turn rules, the reader, the build switch."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, read_source, recipe_settings
from se_comments import ANSWERER, ASKER, OTHER, comment, site_archive_with_comments, site_folder_with_comments
from se_dump import answer, question, varied_answer

from lima_curate.build import run_build
from lima_curate.errors import InputError
from lima_curate.recipe import load_recipe
from lima_curate.sources import stackexchange as se
from lima_curate.sources.stackexchange_dialogue import Comment, chain_turns
from lima_curate.sources.stackexchange_xml import comments_path
from lima_curate.verify import verify_manifest

REAL = ROOT.parent / "shared" / "real" / "stackexchange"
SITE = "unix.stackexchange.com"  # a STEM site in LIMA's site list, like cardano
CHAINS = replace(recipe_settings("stackexchange"), dialogue_chains=True)  # the recipe's chain rules, switched on

FOLLOW_UP = "@Ann Does the same hold when the file sits on a network share mounted over SMB?"
REPLY = (
    "@Bob Yes, as long as the share is mounted with the right character set; check the "
    "[mount options](https://example.com/mount) first. The full list is at https://example.com/docs for reference."
)


def thread(q: int, comments: list[str], answer_score: int = 15, asker: int = ASKER, answerer: int = ANSWERER) -> list[str]:
    """Question ``q`` by the asker, its answer ``q + 1`` by the answerer, then the comment rows."""
    return [
        question(
            q,
            f"How can a program read a file in encoding number {q} safely?",
            score=q,
            body=f"<p>Files in encoding {q} come out garbled. What is the safe way to read them?</p>",
            OwnerUserId=asker,
        ),
        answer(q + 1, q, score=answer_score, body=varied_answer(q), OwnerUserId=answerer),
        *comments,
    ]


def read_all(unit: Path, settings: se.Settings = CHAINS) -> tuple[list, Counter]:
    """The reader over one unit as a build with chains switched on reads it."""
    return read_source("stackexchange", unit, settings)


def split_rows(rows: list[str]) -> tuple[list[str], list[str]]:
    """Post rows and comment rows, for the two tables."""
    return [r for r in rows if "PostTypeId" in r], [r for r in rows if "PostId=" in r]


def chains_of(candidates: list) -> list:
    """The dialogue candidates among a unit's."""
    return [c for c in candidates if c.subset == "dialogue"]


def test_a_thread_between_asker_and_answerer_becomes_a_chain(tmp_path):
    posts, comments = split_rows(
        thread(
            10,
            [
                comment(1, 11, ASKER, FOLLOW_UP, 0),
                comment(2, 11, ANSWERER, REPLY, 5),
                comment(3, 11, ASKER, "@Ann Thanks, got it!", 9),  # courtesy only: the chain ends before it
            ],
        )
    )
    candidates, _ = read_all(site_folder_with_comments(tmp_path, SITE, posts, comments))
    [single] = [c for c in candidates if c.subset == "se_stem"]
    [chain] = chains_of(candidates)
    assert chain.id == f"stackexchange/{SITE}/q10-a11-chain" and chain.group == SITE
    assert [m["role"] for m in chain.messages] == ["user", "assistant", "user", "assistant"]
    assert chain.messages[0]["content"].startswith("How can a program read a file in encoding number 10 safely?\n\n")
    assert "come out garbled" in chain.messages[0]["content"]
    assert chain.messages[1]["content"] == single.response  # the answer, converted like the single-turn one
    assert chain.messages[2]["content"] == FOLLOW_UP.removeprefix("@Ann ")
    reply = chain.messages[3]["content"]
    assert reply.startswith("Yes, as long as") and "check the mount options first." in reply
    assert "http" not in reply and "full list" not in reply  # the sentence with a bare URL is dropped
    assert chain.meta["comment_ids"] == [1, 2] and chain.meta["url"] == single.meta["url"]
    assert chain.meta["prompt_from"] == "title+body"


def test_archive_with_comments_gives_the_same_candidates_as_the_folder(tmp_path):
    posts, comments = split_rows(thread(10, [comment(1, 11, ASKER, FOLLOW_UP, 0), comment(2, 11, ANSWERER, REPLY, 5)]))
    folder, _ = read_all(site_folder_with_comments(tmp_path / "a", SITE, posts, comments))
    archive, _ = read_all(site_archive_with_comments(tmp_path / "b", SITE, posts, comments))
    assert [c.to_row() for c in folder] == [c.to_row() for c in archive]
    assert len(chains_of(archive)) == 1


def turns(comments: list[tuple[int | None, str]], **settings) -> tuple[list[str], list[int]]:
    """The turn rules over (user, text) comments a minute apart, the recipe's rules changed by ``settings``."""
    rows = [
        Comment(i, f"2021-05-02T10:{i:02d}:00.000", "" if user is None else str(user), text)
        for i, (user, text) in enumerate(comments, start=1)
    ]
    return chain_turns(rows, str(ASKER), str(ANSWERER), replace(CHAINS, **settings))


ASK = "Would the same approach work for a file that is still being written?"
ANSWER = "Only if the writer flushes whole lines; otherwise the reader may see half a record."


def test_turn_rules():
    assert turns([(ASKER, ASK), (ANSWERER, ANSWER)]) == ([ASK, ANSWER], [1, 2])
    # consecutive comments by one person are one turn
    assert turns([(ASKER, "Follow-up on the encoding part."), (ASKER, ASK), (ANSWERER, ANSWER)]) == (
        ["Follow-up on the encoding part.\n\n" + ASK, ANSWER],
        [1, 2, 3],
    )
    # a third voice ends the chain; a thread opened by the answerer (or anyone but the asker) gives none
    assert turns([(ASKER, ASK), (ANSWERER, ANSWER), (OTHER, ASK), (ANSWERER, ANSWER)]) == ([ASK, ANSWER], [1, 2])
    assert turns([(OTHER, ASK), (ASKER, ASK), (ANSWERER, ANSWER)]) == ([], [])
    assert turns([(ANSWERER, ANSWER), (ASKER, ASK), (ANSWERER, ANSWER)]) == ([], [])
    assert turns([(None, ASK), (ANSWERER, ANSWER)]) == ([], [])  # a deleted user is nobody we know
    # the asker must ask; courtesy-only and too-short turns end the chain
    assert turns([(ASKER, "That explains the garbled output in the log files."), (ANSWERER, ANSWER)]) == ([], [])
    assert turns([(ASKER, ASK), (ANSWERER, "@Ann Glad it helped, cheers!")]) == ([], [])
    assert turns([(ASKER, ASK), (ANSWERER, "Yes.")]) == ([], [])
    # a last question without a reply is dropped; follow-ups are capped
    assert turns([(ASKER, ASK), (ANSWERER, ANSWER), (ASKER, ASK)]) == ([ASK, ANSWER], [1, 2])
    four = [(ASKER, ASK), (ANSWERER, ANSWER)] * 2
    assert len(turns(four)[0]) == 4 and turns(four, chain_max_follow_ups=1) == ([ASK, ANSWER], [1, 2])


def test_no_chain_below_the_gate_for_self_answers_or_without_comments_file(tmp_path):
    good = [comment(1, 11, ASKER, FOLLOW_UP, 0), comment(2, 11, ANSWERER, REPLY, 5)]
    low = split_rows(thread(10, good, answer_score=4))
    assert chains_of(read_all(site_folder_with_comments(tmp_path / "low", SITE, *low))[0]) == []
    own = split_rows(thread(10, [comment(1, 11, ASKER, FOLLOW_UP, 0), comment(2, 11, ASKER, REPLY, 5)], answerer=ASKER))
    assert chains_of(read_all(site_folder_with_comments(tmp_path / "own", SITE, *own))[0]) == []
    folder = site_folder_with_comments(tmp_path / "none", SITE, *split_rows(thread(10, good)))
    (folder / "Comments.xml").unlink()
    candidates, skipped = read_all(folder)
    assert chains_of(candidates) == [] and skipped["no_comments_file"] == 1


def test_comments_are_read_and_hashed_only_when_chains_are_on(tmp_path):
    posts, comments = split_rows(thread(10, [comment(1, 11, ASKER, FOLLOW_UP, 0), comment(2, 11, ANSWERER, REPLY, 5)]))
    folder = site_folder_with_comments(tmp_path, SITE, posts, comments)
    off = recipe_settings("stackexchange")
    assert se.files(folder, off) == [folder / "Posts.xml"]
    assert se.files(folder, CHAINS) == [folder / "Posts.xml", folder / "Comments.xml"]
    assert chains_of(read_all(folder, off)[0]) == []
    split = tmp_path / "stackoverflow.com-Posts.7z"
    assert comments_path(split) == tmp_path / "stackoverflow.com-Comments.7z"


def test_bad_comments_xml_is_one_line_naming_the_file(tmp_path):
    posts, _ = split_rows(thread(10, []))
    folder = site_folder_with_comments(tmp_path, SITE, posts, [])
    (folder / "Comments.xml").write_text('<?xml version="1.0"?>\n<comments>\n  <row Id="1" PostId=\n')
    with pytest.raises(InputError, match=r"Comments\.xml:\d+: not well-formed"):
        read_all(folder)


@pytest.mark.real
def test_real_cardano_comment_thread_gives_a_chain():
    folder = REAL / "cardano.stackexchange.com"
    if not (folder / "Comments.xml").is_file():
        pytest.skip("../shared/real/stackexchange/cardano.stackexchange.com is absent")
    candidates, skipped = read_all(folder)
    chains = {c.id: c for c in chains_of(candidates)}
    chain = chains["stackexchange/cardano.stackexchange.com/q216-a217-chain"]
    assert chain.meta["comment_ids"] == [239, 285] and chain.meta["answer_score"] >= 10
    assert [m["role"] for m in chain.messages] == ["user", "assistant", "user", "assistant"]
    assert chain.messages[0]["content"].startswith("Is there a maximum number of transactions a block can hold?\n\n")
    assert chain.messages[2]["content"].endswith("?.07*14.29 = 1.003") and "?" in chain.messages[2]["content"]
    assert chain.messages[3]["content"].startswith("Yes. An epoch is 5 days")  # "@IsaacPadberg " dropped
    assert skipped["comments_without_chain"] > 0  # most threads are not asker/answerer conversations
    assert all(len(c.messages) % 2 == 0 and len(c.messages) >= 4 for c in chains.values())


# -- the recipe switch -----------------------------------------------------------------------------


AUTHORED_CHAIN = {
    "id": "chain-budget",
    "split": "train",
    "messages": [
        {"role": "user", "content": "How much of a first salary should go to savings?"},
        {"role": "assistant", "content": "A common starting point is a fifth, adjusted once rent and debts are known."},
        {"role": "user", "content": "And if rent alone takes half of it?"},
        {
            "role": "assistant",
            "content": "Then save what is left after essentials, even a small amount, and review it each year.",
        },
    ],
}


@pytest.fixture
def dialogue_inputs(tmp_path) -> list[tuple[str, Path]]:
    """Four answered questions (the first two with a chain in their comments) and one authored chain."""
    rows = []
    for q in (10, 20, 30, 40):
        reply = REPLY.replace("right character set", f"character set of encoding {q}")
        chat = (
            [comment(q * 10 + 1, q + 1, ASKER, FOLLOW_UP, 0), comment(q * 10 + 2, q + 1, ANSWERER, reply, 5)] if q <= 20 else []
        )
        rows += thread(q, chat)
    posts, comments = split_rows(rows)
    site_folder_with_comments(tmp_path / "se", SITE, posts, comments)
    (tmp_path / "authored").mkdir()
    (tmp_path / "authored" / "examples.jsonl").write_text(json.dumps(AUTHORED_CHAIN) + "\n")
    return [("stackexchange", tmp_path / "se"), ("authored", tmp_path / "authored")]


def recipe_with(tmp_path: Path, se_stem: int, dialogue: int, chains: bool = True):
    """LIMA's recipe with only Stack Exchange STEM and dialogue quotas, chains switched on or off."""
    path = tmp_path / "recipe.toml"
    path.write_text(
        f'schema = 1\nextends = "{ROOT / "filters" / "lima.toml"}"\nname = "dialogue-test"\nversion = "0.0.1"\n'
        f"[quotas]\nse_stem = {se_stem}\nse_other = 0\nwikihow = 0\nwritingprompts = 0\nsuperni = 0\nauthored = 0\n"
        f"dialogue = {dialogue}\n[stackexchange]\ndialogue_chains = {str(chains).lower()}\n"
    )
    return load_recipe(path)


def test_the_switch_adds_stack_exchange_chains_and_authored_chains_and_verify_passes(tmp_path, dialogue_inputs):
    out = tmp_path / "out"
    result = run_build(recipe_with(tmp_path, se_stem=2, dialogue=3), dialogue_inputs, out)
    chosen = {c.id for c in result.chosen["dialogue"]}
    assert chosen == {f"stackexchange/{SITE}/q10-a11-chain", f"stackexchange/{SITE}/q20-a21-chain", "authored/chain-budget"}
    singles = {c.meta["url"] for c in result.chosen["se_stem"]}
    assert singles == {f"https://{SITE}/questions/30", f"https://{SITE}/questions/40"}  # highest-scored first
    card = result.outputs.card
    assert card["subsets"]["dialogue"]["chosen"] == 3
    assert any(f["name"] == "Comments.xml" for i in card["inputs"] for f in i["files"])
    assert verify_manifest(out / "manifest.jsonl").ok


def test_a_thread_is_never_in_the_build_twice(tmp_path, dialogue_inputs):
    """Questions 10 and 20 are chosen as single-turn examples, so their chains are not drawn."""
    result = run_build(recipe_with(tmp_path, se_stem=4, dialogue=1), dialogue_inputs, tmp_path / "out")
    assert [c.id for c in result.chosen["dialogue"]] == ["authored/chain-budget"]
    assert result.outputs.card["subsets"]["dialogue"]["eligible"] == 1


def test_without_the_switch_no_chain_is_read(tmp_path, dialogue_inputs):
    result = run_build(recipe_with(tmp_path, se_stem=2, dialogue=1, chains=False), dialogue_inputs, tmp_path / "out")
    assert [c.id for c in result.chosen["dialogue"]] == ["authored/chain-budget"]
    assert not any(f["name"] == "Comments.xml" for i in result.outputs.card["inputs"] for f in i["files"])


def test_shipped_samples_give_chains_from_their_comment_threads(tmp_path):
    samples = ROOT / "samples" / "stackexchange"
    out = tmp_path / "out"
    path = tmp_path / "recipe.toml"
    path.write_text(
        f'schema = 1\nextends = "{ROOT / "filters" / "lima.toml"}"\nname = "dialogue-sample"\nversion = "0.0.1"\n'
        "[quotas]\nse_stem = 2\nse_other = 2\nwikihow = 0\nwritingprompts = 0\nsuperni = 0\nauthored = 0\ndialogue = 6\n"
        "[stackexchange]\ndialogue_chains = true\n"
    )
    result = run_build(load_recipe(path), [("stackexchange", samples)], out)
    chains = result.chosen["dialogue"]
    assert len(chains) == 6 and all(c.id.endswith("-chain") and len(c.messages) >= 4 for c in chains)
    assert all([m["role"] for m in c.messages] == ["user", "assistant"] * (len(c.messages) // 2) for c in chains)
    singles = {c.meta["url"] for s in ("se_stem", "se_other") for c in result.chosen[s]}
    assert not singles & {c.meta["url"] for c in chains}
    assert verify_manifest(out / "manifest.jsonl").ok
