"""Near duplicates (MinHash) and decontamination against dev/test prompts, alone and inside a build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, cli, parquet_rows
from se_dump import answer, eligible_pairs, question, site_folder, varied_answer

from lima_curate.dedup import contamination, duplicate_of, near_duplicates
from lima_curate.errors import InputError
from lima_curate.recipe import load_recipe
from lima_curate.records import Candidate, chat

LONG = (
    "Backups fail silently when the destination disk fills up halfway through the night. The job reports success "
    "because the copy command only checks its own exit status, not whether every file arrived intact. A safer job "
    "writes to a temporary folder, compares checksums of both sides, and only then renames the folder into place, "
    "so that a partial copy can never be mistaken for a complete one."
)
TEST_PROMPT = "Write a short guide to reading files whose character encoding is unknown, with the commands to check it first."


def candidate(id: str, *turns: str, subset: str = "se_stem", **meta) -> Candidate:
    """A unix.stackexchange.com candidate: a prompt and a response, or a whole dialogue chain's turns."""
    return Candidate(
        id=id, source="stackexchange", subset=subset, group="unix.stackexchange.com", messages=chat(*turns), meta=meta
    )


def test_near_duplicate_keeps_the_first_and_names_it():
    first = candidate("a", "How do backups fail?", LONG)
    edited = candidate("b", "How do backups fail?", LONG.replace("halfway", "midway"))
    other = candidate("c", "How do backups fail?", varied_answer(100))
    dropped = near_duplicates([first, edited, other], threshold=0.8, words_per_shingle=5, num_perm=128)
    assert list(dropped) == ["b"]
    assert dropped["b"].filter == "near_duplicate" and "near duplicate of a" in dropped["b"].reason
    assert 0.8 <= dropped["b"].score < 1
    assert list(near_duplicates([edited, first, other], 0.8, 5, 128)) == ["a"]  # order decides, nothing else
    assert near_duplicates([first, edited, other], threshold=0.0, words_per_shingle=5, num_perm=128) == {}
    assert near_duplicates([first, edited], threshold=0.99, words_per_shingle=5, num_perm=128) == {}


def test_a_thread_and_its_dialogue_chain_are_not_duplicates_of_each_other():
    url = "https://unix.stackexchange.com/questions/1"
    single = candidate("q1-a2", "How do backups fail?", LONG, url=url)
    chain = candidate(
        "q1-a2-chain",
        "How do backups fail?",
        LONG,
        "And on a network share?",
        "The same, only slower to notice.",
        subset="dialogue",
        url=url,
    )
    assert near_duplicates([single, chain], 0.5, 5, 128) == {}
    seen: dict = {}
    assert duplicate_of(single, seen) is None and duplicate_of(chain, seen) is None
    copy = candidate("q9-a10", "Another title entirely?", LONG, url="https://unix.stackexchange.com/questions/9")
    assert "same response as q1-a2" in duplicate_of(copy, seen).reason


def test_contamination_names_the_held_out_prompt_and_spares_partial_overlap():
    held_out = {
        "test": [Candidate("authored/t1", "authored", "authored", "authored", chat(TEST_PROMPT), meta={"split": "test"})],
        "dev": [Candidate("authored/d1", "authored", "authored", "authored", chat("Tell me a joke."), meta={"split": "dev"})],
    }
    leaked = candidate("x", "How to read files?", LONG + "\n\n" + TEST_PROMPT.upper())  # case and punctuation do not hide it
    partial = candidate("y", "How to read files?", LONG + " Reading files whose character encoding is unknown is hard.")
    short = candidate("z", "Tell me a joke!", LONG)  # a prompt shorter than n words is one n-gram of its own length
    clean = candidate("w", "How do backups fail?", LONG)
    dropped = contamination([leaked, partial, short, clean], held_out, n=8, threshold=0.5)
    assert sorted(dropped) == ["x", "z"]
    assert dropped["x"].filter == "contamination" and dropped["x"].score == 1.0
    assert "test prompt authored/t1" in dropped["x"].reason and "word 8-grams" in dropped["x"].reason
    assert "dev prompt authored/d1" in dropped["z"].reason
    assert contamination([leaked], held_out, n=8, threshold=0.0) == {}


def test_recipe_rejects_out_of_range_settings(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(f'schema = 1\nextends = "{ROOT / "filters" / "lima.toml"}"\n[dedup]\nnear_threshold = 1.5\n')
    with pytest.raises(InputError, match=r"\[dedup\] near_threshold must be between 0 and 1"):
        load_recipe(path)
    path.write_text(f'schema = 1\nextends = "{ROOT / "filters" / "lima.toml"}"\n[decontam]\nngram = 0\n')
    with pytest.raises(InputError, match=r"\[decontam\] ngram must be between 1 and 1000, found 0"):
        load_recipe(path)


# -- inside a build --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """Two sites of eligible pairs, a near copy of question 100's answer under question 900 and a
    test prompt pasted into question 4900's answer; the test prompt sits in the authored test set."""
    root = tmp_path_factory.mktemp("planted")
    near_copy = varied_answer(100).replace("<p>", "<p>In short: ", 1)
    site_folder(
        root / "se",
        "unix.stackexchange.com",
        eligible_pairs(100, 6)
        + [
            question(900, "What is the safe way to read a file in an unknown encoding?", score=5),
            answer(901, 900, body=near_copy),
        ],
    )
    site_folder(
        root / "se",
        "travel.stackexchange.com",
        eligible_pairs(4000, 6)
        + [
            question(4900, "How should a traveller read files from a foreign laptop?", score=3),
            answer(4901, 4900, body=varied_answer(4900) + f"<p>{TEST_PROMPT}</p>"),
        ],
    )
    (root / "authored").mkdir()
    (root / "authored" / "test.jsonl").write_text(
        json.dumps({"id": "encoding-guide", "split": "test", "messages": [{"role": "user", "content": TEST_PROMPT}]}) + "\n"
    )
    (root / "recipe.toml").write_text(
        f'schema = 1\nextends = "{ROOT / "filters" / "lima.toml"}"\nname = "dedup-test"\nversion = "0.0.1"\n'
        "[quotas]\nse_stem = 6\nse_other = 6\nwikihow = 0\nwritingprompts = 0\nsuperni = 0\nauthored = 0\n"
    )
    return root


def test_planted_near_duplicate_and_test_prompt_are_removed_counted_and_verifiable(planted, tmp_path):
    out = tmp_path / "out"
    built = cli(
        "build",
        "--recipe",
        str(planted / "recipe.toml"),
        "--input",
        f"stackexchange={planted / 'se'}",
        "--input",
        f"authored={planted / 'authored'}",
        "--out",
        str(out),
        "--no-cache",
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr
    card = json.loads((out / "manifest.card.json").read_text())
    assert card["rejects"] == {"stackexchange/contamination": 1, "stackexchange/near_duplicate": 1}
    assert card["held_out"] == {"dev": 0, "test": 1} and card["total"] == 12
    rejects = {r["id"]: r for r in parquet_rows(out / "rejects.parquet")}
    near = rejects["stackexchange/unix.stackexchange.com/q900-a901"]
    assert near["filter"] == "near_duplicate" and "stackexchange/unix.stackexchange.com/q100-a101" in near["reason"]
    leak = rejects["stackexchange/travel.stackexchange.com/q4900-a4901"]
    assert leak["filter"] == "contamination" and "test prompt authored/encoding-guide" in leak["reason"]
    manifest = (out / "manifest.jsonl").read_text()
    assert "q900-a901" not in manifest and "q4900-a4901" not in manifest and TEST_PROMPT not in manifest
    verified = cli("verify", str(out / "manifest.jsonl"), cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr


def test_switched_off_both_stay_in_the_pool(planted, tmp_path):
    recipe = planted / "off.toml"
    recipe.write_text(
        planted.joinpath("recipe.toml").read_text() + "[dedup]\nnear_threshold = 0.0\n[decontam]\nthreshold = 0.0\n"
    )
    out = tmp_path / "out"
    built = cli(
        "build",
        "--recipe",
        str(recipe),
        "--input",
        f"stackexchange={planted / 'se'}",
        "--input",
        f"authored={planted / 'authored'}",
        "--out",
        str(out),
        "--no-cache",
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr
    card = json.loads((out / "manifest.card.json").read_text())
    assert card["rejects"] == {}
    assert card["subsets"]["se_stem"]["eligible"] == 7 and card["subsets"]["se_other"]["eligible"] == 7


def test_known_bands_are_datasketchs():
    from datasketch import MinHashLSH

    from lima_curate.dedup import KNOWN_BANDS, lsh_bands

    for (threshold, num_perm), (b, r) in KNOWN_BANDS.items():
        index = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert (index.b, index.r) == (b, r) and lsh_bands(threshold, num_perm) == index.hashranges


def test_the_columnar_checks_decide_as_the_per_candidate_ones(tmp_path):
    """Exact and near duplicates over a shard's columns and signature matrix: the same drops, reasons
    and order as ``duplicate_of`` and ``near_duplicates`` over whole candidates."""
    from lima_curate.extract import Shards, SurvivorWriter, Unit
    from lima_curate.survivors import exact_duplicates, gather, near_duplicates_of, without

    recipe = load_recipe(ROOT / "filters" / "lima.toml")
    url = "https://unix.stackexchange.com/questions/1"
    pool = [
        candidate("q1-a2", "How do backups fail?", LONG, url=url),
        candidate(
            "q1-a2-chain",
            "How do backups fail?",
            LONG,
            "And on a network share?",
            "The same, only slower.",
            subset="dialogue",
            url=url,
        ),
        candidate("q3-a4", "A different title?", varied_answer(3) + " " + LONG, url="u3"),
        candidate("q3-a5", "Yet another title?", varied_answer(3) + " " + LONG.replace("halfway", "midway"), url="u4"),
        candidate("q5-a6", "How do backups fail?", varied_answer(5), url="u5"),
        candidate("q7-a8", "Why?", varied_answer(7), url="u7"),
        candidate("q9-a10", "Why?", varied_answer(7), url="u9"),
        *(candidate(f"r{i}", f"Question {i} here?", varied_answer(100 + i)) for i in range(20)),
    ]
    writer = SurvivorWriter(tmp_path / "unit.survivors.parquet", recipe)
    for c in reversed(pool):  # shard order is not the build's order
        writer.add(c)
    writer.close()
    counts = {"dropped": {}, "unknown": {}, "excluded": {}, "survivors": len(pool), "rejects": 0}
    shards = Shards(Unit("stackexchange", tmp_path), (), tmp_path / "unit.survivors.parquet", tmp_path / "x", counts)
    survivors = gather([shards], recipe.dedup.num_perm).kept
    assert survivors.column("id").to_pylist() == sorted(c.id for c in pool)

    ordered = sorted(pool, key=lambda c: c.id)
    seen: dict = {}
    expected_exact = {c.id: d for c in ordered if (d := duplicate_of(c, seen)) is not None}
    got: list = []
    after_exact = without(survivors, exact_duplicates(survivors), lambda c, d: got.append((c.id, d)))
    assert dict(got) == expected_exact and expected_exact
    left = [c for c in ordered if c.id not in expected_exact]
    expected_near = near_duplicates(left, recipe.dedup.near_threshold, recipe.dedup.shingle_words, recipe.dedup.num_perm)
    near = near_duplicates_of(after_exact, recipe.dedup.near_threshold)
    ids = after_exact.column("id").to_pylist()
    assert {ids[p]: d for p, d in near.items()} == expected_near and expected_near
