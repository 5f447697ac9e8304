"""The two extension walkthroughs of docs/architecture.md, done for real: a source registered at
test time (tests/toy_askhistorians.py) and a filter written in the test, each through a whole build,
verify and export; plus the registry's own rules."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
import toy_askhistorians
from conftest import ROOT, cli, parquet_rows, run_cli

from lima_curate import filters, sources
from lima_curate.errors import InputError
from lima_curate.records import Candidate

LONG = "The archive records show a slow shift in how the guilds kept their books. " * 20
ANSWERS = [
    {"id": "a1", "title": "How did medieval guilds train apprentices?", "answer": LONG, "score": 90, "flair": "Medieval"},
    {
        "id": "a2",
        "title": "Why did the Roman legions use the gladius?",
        "answer": LONG + "Short blades suited the tight ranks.",
        "score": 70,
        "flair": "Ancient",
    },
    {
        "id": "a3",
        "title": "What did sailors eat on long voyages in 1700?",
        "answer": "Hardtack.",
        "score": 60,
        "flair": "Early Modern",
    },
    {
        "id": "a4",
        "title": "How were castles supplied during a siege?",
        "answer": LONG + " See https://example.org/sieges for maps.",
        "score": 50,
        "flair": "Medieval",
    },
    {"id": "a5", "title": "Who printed the first newspapers in Europe?", "answer": LONG, "score": 3, "flair": "Early Modern"},
]


@pytest.fixture
def toy(tmp_path):
    sources.register(toy_askhistorians)
    data = tmp_path / "askhistorians.jsonl"
    data.write_text("".join(json.dumps(a) + "\n" for a in ANSWERS), encoding="utf-8")
    yield data
    sources.unregister("askhistorians")


def recipe(tmp_path: Path, chain: str = '["length"]', extra: str = "") -> Path:
    path = tmp_path / "toy.toml"
    path.write_text(
        f'''schema = 2
extends = "{(ROOT / "filters" / "lima.toml").as_posix()}"
name = "toy"
version = "0.0.1"

[quotas]
se_stem = 0
se_other = 0
wikihow = 0
writingprompts = 0
superni = 0
authored = 2
askhistorians = 2

[sampling.askhistorians]
temperature = 1.0
within = "rank"

[askhistorians]
min_score = 10

[filters.askhistorians]
chain = {chain}

[filters.askhistorians.length]
min_chars = 1200
max_chars = 4096
{extra}''',
        encoding="utf-8",
    )
    return path


def build(tmp_path: Path, data: Path, recipe_path: Path):
    out = tmp_path / "out"
    return run_cli(*build_args(data, recipe_path, out, workers=1)), out


def build_args(data: Path, recipe_path: Path, out: Path, workers: int) -> list[str]:
    """``build`` of the toy answers beside the shipped authored sample, uncached."""
    authored = ROOT / "samples" / "authored" / "examples.jsonl"
    return [
        "build",
        "--recipe",
        str(recipe_path),
        "--input",
        f"askhistorians={data}",
        "--input",
        f"authored={authored}",
        "--out",
        str(out),
        "--no-cache",
        "-j",
        str(workers),
    ]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_registered_source_builds_verifies_and_exports_like_a_shipped_one(toy, tmp_path):
    result, out = build(tmp_path, toy, recipe(tmp_path))
    assert result.exit_code == 0, result.output
    manifest = lines(out / "manifest.jsonl")
    assert [m["subset"] for m in manifest] == ["authored", "authored", "askhistorians", "askhistorians"]  # registry order
    assert [m["id"] for m in manifest[2:]] == ["askhistorians/a1", "askhistorians/a2"]  # best-scored first
    card = json.loads((out / "manifest.card.json").read_text())
    assert card["subsets"]["askhistorians"]["groups"] == {"Ancient": 1, "Medieval": 1}
    assert [i["source"] for i in card["inputs"]] == ["authored", "askhistorians"] and card["inputs"][1]["skipped"] == {
        "low score": 1
    }
    rejected = {r["id"]: r["filter"] for r in parquet_rows(out / "rejects.parquet")}
    assert rejected["askhistorians/a3"] == "length"

    verified = run_cli("verify", str(out / "manifest.jsonl"), "-j", "1")
    assert verified.exit_code == 0, verified.output

    exported = run_cli("export", str(out / "manifest.jsonl"), "--to", "gair", "--out", str(tmp_path / "train.jsonl"))
    assert exported.exit_code == 0, exported.output
    assert [row["source"] for row in lines(tmp_path / "train.jsonl")][2:] == ["askhistorians", "askhistorians"]
    imported = run_cli("import", str(tmp_path / "train.jsonl"), "--out", str(tmp_path / "back"))
    assert imported.exit_code == 0, imported.output
    back = json.loads((tmp_path / "back" / "manifest.card.json").read_text())
    assert back["subsets"]["askhistorians"]["chosen"] == 2


def test_a_registered_reader_that_breaks_on_a_file_gives_one_line_not_a_traceback(toy, tmp_path):
    with open(toy, "a", encoding="utf-8") as handle:
        handle.write('{"id": "a6", "title": "A line the toy reader does not expect?"}\n')  # no score
    result, out = build(tmp_path, toy, recipe(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == f"error: {toy}: cannot be read (KeyError: 'score')\n"
    assert not out.exists()


def test_the_shipped_sources_keep_the_manifest_line_order():
    assert sources.names() == ("stackexchange", "wikihow", "writingprompts", "superni", "authored")
    assert sources.subsets() == ("se_stem", "se_other", "wikihow", "writingprompts", "superni", "authored", "dialogue")
    for name in sources.names():
        assert isinstance(sources.get(name), sources.Source) and sources.get(name).NAME == name


def test_a_source_from_an_entry_point_reaches_pool_workers(tmp_path):
    """A package's source, installed (here: a dist-info folder on the path), is known to every
    process of a build: two pool workers read its units, and the set verifies."""
    site = tmp_path / "site"
    (site / "toy_askhistorians-1.0.dist-info").mkdir(parents=True)
    (site / "toy_askhistorians-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: toy-askhistorians\nVersion: 1.0\n"
    )
    (site / "toy_askhistorians-1.0.dist-info" / "entry_points.txt").write_text(
        "[lima_curate.sources]\naskhistorians = toy_askhistorians\n"
    )
    data = tmp_path / "answers"
    data.mkdir()
    for n, part in enumerate((ANSWERS[:2], ANSWERS[2:])):
        (data / f"part{n}.jsonl").write_text("".join(json.dumps(a) + "\n" for a in part), encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join([str(site), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}
    out = tmp_path / "out"
    built = cli(*build_args(data, recipe(tmp_path), out, workers=2), env=env)
    assert built.returncode == 0, built.stderr
    assert [m["id"] for m in lines(out / "manifest.jsonl")][2:] == ["askhistorians/a1", "askhistorians/a2"]
    verified = cli("verify", str(out / "manifest.jsonl"), "-j", "2", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    unknown = cli("verify", str(out / "manifest.jsonl"))  # without the package: named, not a traceback
    assert (
        unknown.returncode == 2
        and unknown.stderr.count("\n") == 1
        and "unknown recipe table or key 'askhistorians' (registered sources: stackexchange," in unknown.stderr
    )


def test_an_unknown_source_is_one_line_naming_the_known_ones(tmp_path):
    result = run_cli(
        "build",
        "--recipe",
        str(ROOT / "filters" / "sample.toml"),
        "--input",
        f"askhistorians={tmp_path}",
        "--out",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 2
    assert "unknown source 'askhistorians'" in result.output and "stackexchange" in result.output


def test_a_second_source_of_a_taken_name_is_refused(toy):
    class Impostor:
        NAME, VERSION, SUBSETS, GROUP_FIELD, GAIR_NAMES = "askhistorians", 1, ("x",), None, ()
        Settings = toy_askhistorians.Settings
        units = files = read = staticmethod(lambda *a: [])

    with pytest.raises(ValueError, match="already registered"):
        sources.register(Impostor)
    with pytest.raises(TypeError, match="lacks"):
        sources.register(type("Half", (), {"NAME": "half"}))


# -- a filter written here: "no URLs in the answer" -----------------------------------------------

URL = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class NoUrls:
    """At most ``max_urls`` links in the response (a link is a reference the reader cannot follow)."""

    name: ClassVar[str] = "no_urls"
    max_urls: int

    def __call__(self, candidate: Candidate) -> filters.Decision:
        n = len(URL.findall(candidate.response))
        keep = n <= self.max_urls
        return filters.Decision(keep, self.name, n, "" if keep else f"{n} URLs > {self.max_urls}")


@pytest.fixture
def no_urls():
    filters.register(NoUrls)
    yield NoUrls
    filters.FILTERS.pop("no_urls")


def test_a_registered_filter_drops_with_its_score_and_reason_and_verifies(toy, no_urls, tmp_path):
    path = recipe(tmp_path, chain='["length", "no_urls"]', extra="\n[filters.askhistorians.no_urls]\nmax_urls = 0\n")
    result, out = build(tmp_path, toy, path)
    assert result.exit_code == 0, result.output
    rejects = {r["id"]: r for r in parquet_rows(out / "rejects.parquet")}
    assert rejects["askhistorians/a4"]["filter"] == "no_urls" and rejects["askhistorians/a4"]["score"] == 1
    assert rejects["askhistorians/a4"]["reason"] == "1 URLs > 0"
    scores = [m["meta"]["filter_scores"] for m in lines(out / "manifest.jsonl") if m["source"] == "askhistorians"]
    assert scores == [{"length": len(ANSWERS[0]["answer"]), "no_urls": 0}, {"length": len(ANSWERS[1]["answer"]), "no_urls": 0}]
    card = json.loads((out / "manifest.card.json").read_text())
    assert card["recipe"]["filters"]["askhistorians"]["no_urls"] == {"max_urls": 0}
    assert run_cli("verify", str(out / "manifest.jsonl"), "-j", "1").exit_code == 0


def test_a_filter_setting_is_checked_by_type_and_name(toy, no_urls, tmp_path):
    from lima_curate.recipe import load_recipe

    for extra, message in (
        ('max_urls = "0"', r"\[filters.askhistorians.no_urls\] max_urls: input should be a valid integer, found '0'"),
        ("max = 0", r"\[filters.askhistorians.no_urls\] unknown setting 'max'; known: max_urls"),
        ("", r"\[filters.askhistorians.no_urls\] missing setting 'max_urls'"),
    ):
        path = recipe(tmp_path, chain='["no_urls"]', extra=f"\n[filters.askhistorians.no_urls]\n{extra}\n")
        with pytest.raises(InputError, match=message):
            load_recipe(path)
