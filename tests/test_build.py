"""End to end through the command line: build, determinism, verify, bad input and shortfalls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, cli, parquet_rows
from se_dump import answer, eligible_pairs, question, site_archive, site_folder


@pytest.fixture(scope="module")
def dumps(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("dumps")
    rejected = [
        question(900, "How can a program read a file that is too short?"),
        answer(901, 900, body="<p>Too short.</p>"),
        question(910, "How can a program read a file written in first person?"),
        answer(911, 910, body="<p>I always do this.</p>" * 80),
        question(920, "What is wrong with this code?"),
        answer(921, 920),
        question(930, "How can a program read a file with a low scored answer?"),
        answer(931, 930, score=4),
    ]
    site_archive(root, "unix.stackexchange.com", eligible_pairs(100, 6) + rejected)
    site_folder(root, "askubuntu.com", eligible_pairs(2000, 3))
    site_folder(root, "cooking.stackexchange.com", eligible_pairs(300, 5) + rejected)
    site_archive(root, "travel.stackexchange.com", eligible_pairs(4000, 4))
    (root / "recipe.toml").write_text(
        f'schema = 1\nextends = "{ROOT / "filters" / "lima.toml"}"\nname = "test"\nversion = "0.0.1"\n'
        "[quotas]\nse_stem = 7\nse_other = 6\nwikihow = 0\nwritingprompts = 0\nsuperni = 0\nauthored = 0\n"
    )
    return root


def build(dumps: Path, out: Path, *extra: str, cwd: Path | None = None, env: dict | None = None):
    return cli(
        "build",
        "--recipe",
        str(dumps / "recipe.toml"),
        "--input",
        f"stackexchange={dumps}",
        "--out",
        str(out),
        "--no-cache",
        *extra,
        cwd=cwd,
        env=env,
    )


def test_build_writes_manifest_card_and_rejects(dumps, tmp_path):
    result = build(dumps, tmp_path / "out", "-j", "1")
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()
    examples = [json.loads(line) for line in lines]
    assert len(examples) == 13
    assert [e["subset"] for e in examples] == ["se_stem"] * 7 + ["se_other"] * 6
    assert all(e["messages"][0]["role"] == "user" and e["messages"][1]["role"] == "assistant" for e in examples)
    assert all(
        line == json.dumps(e, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for line, e in zip(lines, examples)
    )
    card = json.loads((tmp_path / "out" / "manifest.card.json").read_text())
    assert card["rejects"] == {
        "stackexchange/answer_score": 2,
        "stackexchange/first_person": 2,
        "stackexchange/length": 2,
        "stackexchange/self_contained_title": 2,
    }
    assert card["subsets"]["se_stem"]["groups"].keys() == {"askubuntu.com", "unix.stackexchange.com"}
    assert {i["path"].rsplit("/", 1)[-1] for i in card["inputs"]} == {
        "askubuntu.com",
        "cooking.stackexchange.com",
        "travel.stackexchange.com.7z",
        "unix.stackexchange.com.7z",
    }
    rejects = parquet_rows(tmp_path / "out" / "rejects.parquet")
    assert len(rejects) == 8 and all(r["reason"] and r["filter"] and r["url"].startswith("https://") for r in rejects)
    assert "13 examples" in result.stdout


def test_same_bytes_with_one_and_two_workers_other_cwd_tz_and_locale(dumps, tmp_path):
    one = build(dumps, tmp_path / "one", "-j", "1")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    two = build(dumps, tmp_path / "two", "-j", "2", cwd=elsewhere, env={"TZ": "Asia/Kolkata", "LC_ALL": "C", "LANG": "C"})
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    assert (tmp_path / "one" / "manifest.jsonl").read_bytes() == (tmp_path / "two" / "manifest.jsonl").read_bytes()
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == sorted(p.name for p in (tmp_path / "two").iterdir())
    for name in ("manifest.card.json", "rejects.parquet", "eligible.parquet"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_verify_passes_untouched_and_names_the_edited_example(dumps, tmp_path):
    out = tmp_path / "out"
    assert build(dumps, out).returncode == 0
    ok = cli("verify", str(out / "manifest.jsonl"), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout

    lines = (out / "manifest.jsonl").read_text().splitlines()
    edited = json.loads(lines[2])
    edited["messages"][1]["content"] += " Edited."
    lines[2] = json.dumps(edited, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    drift = cli("verify", str(out / "manifest.jsonl"))
    assert drift.returncode == 1
    assert "changed" in drift.stderr and edited["id"] in drift.stderr


def test_bad_input_is_one_line_exit_2_and_no_manifest(dumps, tmp_path):
    broken = tmp_path / "dumps" / "unix.stackexchange.com"
    broken.mkdir(parents=True)
    (broken / "Posts.xml").write_text('<?xml version="1.0"?>\n<posts>\n  <row Id="1" \n')
    result = cli(
        "build",
        "--recipe",
        str(dumps / "recipe.toml"),
        "--input",
        f"stackexchange={broken}",
        "--out",
        str(tmp_path / "out"),
        "--no-cache",
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Posts.xml:" in result.stderr and "not well-formed" in result.stderr
    assert not (tmp_path / "out").exists()


def test_shortfall_names_subset_and_flag_and_allow_short_is_recorded(dumps, tmp_path):
    small = tmp_path / "small"
    site_folder(small, "unix.stackexchange.com", eligible_pairs(100, 2))
    args = ("build", "--recipe", str(dumps / "recipe.toml"), "--input", f"stackexchange={small}", "--no-cache")
    short = cli(*args, "--out", str(tmp_path / "a"))
    assert short.returncode == 3
    assert "se_stem needs 7" in short.stderr and "--allow-short" in short.stderr
    assert "se_other is short too (0 of 6)" in short.stderr
    assert not (tmp_path / "a" / "manifest.jsonl").exists()
    allowed = cli(*args, "--out", str(tmp_path / "b"), "--allow-short")
    assert allowed.returncode == 0
    card = json.loads((tmp_path / "b" / "manifest.card.json").read_text())
    assert card["allow_short"] is True and card["shortfalls"]["se_stem"] == {"quota": 7, "eligible": 2}


def test_unknown_site_is_reported_by_name(dumps, tmp_path):
    extra = tmp_path / "extra"
    site_folder(extra, "nosuchsite.stackexchange.com", eligible_pairs(100, 2))
    result = cli(
        "build",
        "--recipe",
        str(dumps / "recipe.toml"),
        "--input",
        f"stackexchange={dumps}",
        "--input",
        f"stackexchange={extra}",
        "--out",
        str(tmp_path / "out"),
        "--no-cache",
    )
    assert result.returncode == 0, result.stderr
    unit = extra / "nosuchsite.stackexchange.com"
    assert (
        f"warning: {unit}: folder 'nosuchsite.stackexchange.com' is not a known site (2 candidates unused): rename it"
        in result.stderr
    )
    assert "stackexchange_sites.toml" not in result.stderr  # the user names the folder, never edits the shipped list
    card = json.loads((tmp_path / "out" / "manifest.card.json").read_text())
    assert card["unknown_sites"] == {"nosuchsite.stackexchange.com": 2}


def test_cache_is_reused_and_gives_the_same_bytes(dumps, tmp_path):
    cache = tmp_path / "cache"
    first = build(dumps, tmp_path / "a", "--cache-dir", str(cache))
    args = [a for a in ("--cache-dir", str(cache))]
    second = cli(
        "build", "--recipe", str(dumps / "recipe.toml"), "--input", f"stackexchange={dumps}", "--out", str(tmp_path / "b"), *args
    )
    assert first.returncode == 0 and second.returncode == 0
    shards = sorted(cache.rglob("*.survivors.parquet"))
    assert len(shards) == 4 and len(list(cache.rglob("*.rejects.parquet"))) == 4
    assert (tmp_path / "a" / "manifest.jsonl").read_bytes() == (tmp_path / "b" / "manifest.jsonl").read_bytes()
    # rejects.parquet is kept in the cache by what it is made of and copied by a warm rebuild; a
    # kept file changed since is never served
    (memo,) = cache.glob("rejects/*.parquet")
    rejects = (tmp_path / "a" / "rejects.parquet").read_bytes()
    assert memo.read_bytes() == rejects == (tmp_path / "b" / "rejects.parquet").read_bytes()
    memo.write_bytes(rejects[:-10] + b"0123456789")
    third = cli(
        "build", "--recipe", str(dumps / "recipe.toml"), "--input", f"stackexchange={dumps}", "--out", str(tmp_path / "c"), *args
    )
    assert third.returncode == 0 and (tmp_path / "c" / "rejects.parquet").read_bytes() == rejects
    assert cli("verify", str(tmp_path / "c" / "manifest.jsonl")).returncode == 0


def test_the_cache_never_serves_one_site_for_another(dumps, tmp_path):
    import shutil

    cache = tmp_path / "cache"
    for site in ("cooking.stackexchange.com", "diy.stackexchange.com"):
        shutil.copytree(dumps / "cooking.stackexchange.com", tmp_path / site / site)
    (tmp_path / "r.toml").write_text(
        (dumps / "recipe.toml").read_text().replace("se_stem = 7", "se_stem = 0").replace("se_other = 6", "se_other = 3")
    )
    for site in ("cooking.stackexchange.com", "diy.stackexchange.com"):
        result = cli(
            "build",
            "--recipe",
            str(tmp_path / "r.toml"),
            "--input",
            f"stackexchange={tmp_path / site}",
            "--out",
            str(tmp_path / f"out-{site}"),
            "--cache-dir",
            str(cache),
        )
        assert result.returncode == 0, result.stderr
        ids = [json.loads(line)["id"] for line in (tmp_path / f"out-{site}" / "manifest.jsonl").read_text().splitlines()]
        assert ids and all(i.startswith(f"stackexchange/{site}/") for i in ids)


def test_two_inputs_giving_the_same_id_is_an_error(tmp_path):
    line = json.dumps(
        {
            "id": "same-id",
            "split": "train",
            "messages": [
                {"role": "user", "content": "How do tides work?"},
                {"role": "assistant", "content": "The moon pulls the sea."},
            ],
        }
    )
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text(line + "\n")
    (tmp_path / "r.toml").write_text(
        f'schema = 1\nextends = "{ROOT / "filters" / "lima.toml"}"\nname = "t"\nversion = "1"\n'
        "[quotas]\nse_stem = 0\nse_other = 0\nwikihow = 0\nwritingprompts = 0\nsuperni = 0\nauthored = 1\n"
    )
    result = cli(
        "build",
        "--recipe",
        str(tmp_path / "r.toml"),
        "--input",
        f"authored={tmp_path}",
        "--out",
        str(tmp_path / "out"),
        "--no-cache",
    )
    assert result.returncode == 2 and "authored/same-id" in result.stderr and "a.jsonl" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("damage", ["garbage\n", '{"a": 1}\n'], ids=["not-json", "not-an-example"])
def test_verify_names_the_line_of_a_damaged_manifest(dumps, tmp_path, damage):
    out = tmp_path / "out"
    assert build(dumps, out).returncode == 0
    with open(out / "manifest.jsonl", "a") as handle:
        handle.write(damage)
    result = cli("verify", str(out / "manifest.jsonl"))
    assert result.returncode == 2 and "manifest.jsonl:14:" in result.stderr and result.stderr.count("\n") == 1


def test_wikihow_articles_without_a_category_are_pointed_out(tmp_path):
    (tmp_path / "r.toml").write_text(
        f'schema = 1\nextends = "{ROOT / "filters" / "sample.toml"}"\nname = "t"\nversion = "1"\n'
        "[quotas]\nse_stem = 0\nse_other = 0\nwritingprompts = 0\nsuperni = 0\nauthored = 0\n"
    )
    result = cli(
        "build",
        "--recipe",
        str(tmp_path / "r.toml"),
        "--input",
        f"wikihow={ROOT / 'samples' / 'wikihow'}",
        "--out",
        str(tmp_path / "out"),
        "--no-cache",
    )
    assert result.returncode == 0, result.stderr
    assert "3 wikiHow articles have no top-level category" in result.stderr and "'Uncategorized'" in result.stderr
