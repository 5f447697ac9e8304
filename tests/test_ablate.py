"""`lima-curate ablate`: quantity sets nest, quality sets share their site mix, diversity sets share
their size, every variant passes `lima-curate verify`, and a shortfall stops before anything is written."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, cli, run_cli
from se_dump import answer, eligible_pairs, question, site_archive, site_folder, varied_answer

from lima_curate import sources

SAMPLES = ROOT / "samples"


def lower_quality(start: int) -> list[str]:
    """Two high-scoring questions whose accepted answers pass the score gate but not the quality filters."""
    short = f"<p>Run <code>iconv -f latin1 -t utf-8 file{start}.txt</code> once, then read the result as UTF-8.</p>"
    first_person = varied_answer(start).replace("<p>Start by", "<p>I always start by")
    return [
        question(
            start,
            f"How should a script convert file number {start} to UTF-8?",
            score=500,
            body=f"<p>File {start} is Latin-1. How can it become UTF-8?</p>",
        ),
        answer(start + 1, start, body=short),
        question(
            start + 2,
            f"Which tool converts log file number {start} safely?",
            score=400,
            body=f"<p>Log {start} mixes encodings. Which tool copes?</p>",
        ),
        answer(start + 3, start + 2, body=first_person),
    ]


@pytest.fixture(scope="module")
def dumps(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ablate")
    site_archive(root / "se", "unix.stackexchange.com", eligible_pairs(100, 8) + lower_quality(9000))
    site_folder(root / "se", "askubuntu.com", eligible_pairs(2000, 4) + lower_quality(9100))
    site_folder(root / "se", "cooking.stackexchange.com", eligible_pairs(300, 7) + lower_quality(9200))
    site_archive(root / "se", "travel.stackexchange.com", eligible_pairs(4000, 5) + lower_quality(9300))
    return root


def ablate(study: str, dumps: Path, out: Path, *args: str, inputs: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    inputs = inputs or (f"stackexchange={dumps / 'se'}",)
    return cli(
        "ablate",
        study,
        "--recipe",
        str(ROOT / "filters" / "lima.toml"),
        *[a for i in inputs for a in ("--input", i)],
        "--out",
        str(out),
        "--no-cache",
        "-j",
        "1",
        *args,
        cwd=out.parent,
    )


def manifest(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]


def card(folder: Path) -> dict:
    return json.loads((folder / "manifest.card.json").read_text())


def site_mix(folder: Path) -> Counter:
    return Counter((e["subset"], e["meta"]["site"]) for e in manifest(folder))


def assert_verifies(folder: Path) -> None:
    result = cli("verify", str(folder / "manifest.jsonl"), "-j", "1", cwd=folder.parent)
    assert result.returncode == 0, f"{folder.name}: {result.stderr}"
    assert "OK" in result.stdout


def test_quantity_sets_nest_and_each_verifies(dumps, tmp_path):
    out = tmp_path / "quantity"
    result = ablate("quantity", dumps, out, "--sizes", "8,2,12,4")
    assert result.returncode == 0, result.stderr
    folders = [out / f"quantity-{n}" for n in (2, 4, 8, 12)]
    ids = [{e["id"] for e in manifest(folder)} for folder in folders]
    assert [len(s) for s in ids] == [2, 4, 8, 12]
    assert ids[0] < ids[1] < ids[2] < ids[3]  # each set is inside the next one
    for folder, n in zip(folders, (2, 4, 8, 12)):
        c = card(folder)
        assert c["ablation"] == {"variant": folder.name, "study": "quantity", "size": n}
        assert c["name"] == f"lima-{folder.name}" and c["recipe"]["quotas"]["se_stem"] == n - n // 2
        assert {e["subset"] for e in manifest(folder)} == {"se_stem", "se_other"}
        assert not any(e["meta"]["question_score"] >= 400 for e in manifest(folder))  # the filters ran
        assert_verifies(folder)


def test_quality_sets_have_the_same_site_mix_and_only_one_is_filtered(dumps, tmp_path):
    out = tmp_path / "quality"
    result = ablate("quality", dumps, out, "--size", "8")
    assert result.returncode == 0, result.stderr
    filtered, unfiltered = out / "quality-filtered-8", out / "quality-unfiltered-8"
    assert site_mix(filtered) == site_mix(unfiltered) and sum(site_mix(filtered).values()) == 8
    chosen = manifest(unfiltered)
    # within each site the unfiltered set takes the highest-scoring questions of the unfiltered pool:
    # here the planted short and first-person answers (question scores 500 and 400)
    responses = [e["messages"][1]["content"] for e in chosen]
    assert any(len(r) < 1200 for r in responses) and any(r.startswith("I always start by") for r in responses)
    for site, n in Counter(e["meta"]["site"] for e in chosen).items():
        scores = sorted((e["meta"]["question_score"] for e in chosen if e["meta"]["site"] == site), reverse=True)
        assert scores[: min(n, 2)] == [500, 400][: min(n, 2)]
    assert all(len(e["messages"][1]["content"]) >= 1200 for e in manifest(filtered))
    c = card(unfiltered)
    assert c["ablation"]["site_mix_of"] == "quality-filtered-8"
    assert c["recipe"]["filters"]["stackexchange"]["chain"] == ["answer_score", "open_question", "self_contained_title"]
    assert sum(c["recipe"]["sampling"]["se_stem"]["counts"].values()) == c["recipe"]["quotas"]["se_stem"]
    assert_verifies(filtered)
    assert_verifies(unfiltered)


def test_diversity_sets_have_the_same_size_and_verify(dumps, tmp_path):
    out = tmp_path / "diversity"
    result = ablate(
        "diversity", dumps, out, "--size", "6", inputs=(f"stackexchange={dumps / 'se'}", f"wikihow={SAMPLES / 'wikihow'}")
    )
    assert result.returncode == 0, result.stderr
    se, wh = manifest(out / "diversity-stackexchange-6"), manifest(out / "diversity-wikihow-6")
    assert len(se) == len(wh) == 6
    assert {e["source"] for e in se} == {"stackexchange"} and {e["source"] for e in wh} == {"wikihow"}
    assert_verifies(out / "diversity-stackexchange-6")
    assert_verifies(out / "diversity-wikihow-6")


def test_a_shortfall_names_variant_subset_and_flag_and_writes_nothing(dumps, tmp_path):
    out = tmp_path / "short"
    result = ablate("quantity", dumps, out, "--sizes", "4,40")
    assert result.returncode == 3
    assert "quantity-40: subset se_stem needs 20 examples but only 12 are eligible (short by 8)" in result.stderr
    assert "--allow-short" in result.stderr
    assert not out.exists()  # not even the 4-example set: a study is written whole or not at all
    missing = ablate("diversity", dumps, tmp_path / "nowiki", "--size", "4")
    assert missing.returncode == 3 and "diversity-wikihow-4: subset wikihow needs 4" in missing.stderr
    allowed = ablate("quantity", dumps, out, "--sizes", "4,40", "--allow-short")
    assert allowed.returncode == 0, allowed.stderr
    assert card(out / "quantity-40")["shortfalls"]["se_stem"] == {"quota": 20, "eligible": 12}
    assert_verifies(out / "quantity-40")


def test_bad_sizes_are_a_usage_error(dumps, tmp_path):
    result = ablate("quantity", dumps, tmp_path / "bad", "--sizes", "2000,lots")
    assert result.returncode == 2 and "2000,lots" in result.stderr


@pytest.mark.skipif(not (SAMPLES / "stackexchange").is_dir(), reason="samples/stackexchange is not there")
def test_on_the_shipped_samples(tmp_path):
    inputs = (f"stackexchange={SAMPLES / 'stackexchange'}", f"wikihow={SAMPLES / 'wikihow'}")
    for study, args, folders in (
        ("quantity", ("--sizes", "2,4"), ("quantity-2", "quantity-4")),
        ("quality", ("--size", "4"), ("quality-filtered-4", "quality-unfiltered-4")),
        ("diversity", ("--size", "4"), ("diversity-stackexchange-4", "diversity-wikihow-4")),
    ):
        out = tmp_path / study
        result = ablate(study, SAMPLES, out, *args, inputs=inputs)
        assert result.returncode == 0, result.stderr
        small, large = (out / name for name in folders)
        if study == "quantity":
            assert {e["id"] for e in manifest(small)} < {e["id"] for e in manifest(large)}
        elif study == "quality":
            assert site_mix(small) == site_mix(large)
        else:
            assert len(manifest(small)) == len(manifest(large)) == 4
        assert_verifies(large)


def test_the_three_studies_share_their_options_and_keep_their_own_size():
    helps = {study: run_cli("ablate", study, "--help") for study in ("quantity", "quality", "diversity")}
    for study, result in helps.items():
        assert result.exit_code == 0, result.output
        for option in ("--input", "--out", "--recipe", "--seed", "--workers", "--cache-dir", "--no-cache", "--allow-short"):
            assert option in result.stdout, f"{study}: {option}"
        assert f"A source and its local dump: {', '.join(sources.names()[:-1])} or {sources.names()[-1]}." in result.stdout
    assert "--sizes" in helps["quantity"].stdout and "2000,4000,8000,16000,32000" in helps["quantity"].stdout
    assert all("--size " in helps[study].stdout and "--sizes" not in helps[study].stdout for study in ("quality", "diversity"))
    assert "nested in the larger" in helps["quantity"].stdout and "same per-site counts" in helps["quality"].stdout


def test_an_unknown_source_is_the_registrys_one_line_error(tmp_path):
    result = run_cli("ablate", "quality", "--input", f"nosuch={tmp_path}", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr == f"error: --input: unknown source 'nosuch'; known: {', '.join(sources.names())}\n"
    assert not (tmp_path / "out").exists()


def test_ray_gives_the_same_sets_as_the_local_pool(dumps, tmp_path):
    """`ablate --executor ray` (a real local Ray with two workers) writes the very files `-j 1` does."""
    local, ray = tmp_path / "local", tmp_path / "ray"
    assert ablate("quantity", dumps, local, "--sizes", "2,4").returncode == 0
    result = ablate("quantity", dumps, ray, "--sizes", "2,4", "--executor", "ray", "-j", "2")
    assert result.returncode == 0, result.stderr
    for variant in ("quantity-2", "quantity-4"):
        for name in ("manifest.jsonl", "manifest.card.json", "rejects.parquet", "eligible.parquet", "reserve.jsonl"):
            assert (ray / variant / name).read_bytes() == (local / variant / name).read_bytes(), f"{variant}/{name}"
