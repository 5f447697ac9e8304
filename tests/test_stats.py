"""stats: exact numbers on hand-made sets, tokens from a tokenizer or the estimate, GAIR/lima input,
comparison with the paper's Table 1 and with another set, the JSON's shape, and the PNG."""

from __future__ import annotations

import json
import math
import sys
import unicodedata
from itertools import groupby
from pathlib import Path

import pytest
from conftest import run_cli

from lima_curate import export, stats, stats_plot, stats_tokens
from lima_curate.errors import InputError
from lima_curate.records import Candidate, chat


def example(id: str, subset: str, prompt: str, response: str, **meta) -> Candidate:
    source = {"se_stem": "stackexchange", "se_other": "stackexchange", "superni": "superni"}.get(subset, subset)
    return Candidate(id=id, source=source, subset=subset, group="", messages=chat(prompt, response), meta=meta)


def hand_made() -> list[Candidate]:
    """Lengths, sites, code and lists chosen so that every figure can be worked out by hand."""
    return [
        example("se/1", "se_stem", "a" * 10, "b" * 100, site="a.stackexchange.com"),
        example("se/2", "se_stem", "a" * 20, "- one\n- two\n" + "b" * 188, site="a.stackexchange.com"),
        example("se/3", "se_stem", "a" * 30, "```\ncode\n```" + "b" * 288, site="b.stackexchange.com"),
        example("se/4", "se_stem", "a" * 40, "1. first\n" + "b" * 391, site="b.stackexchange.com"),
        example("wh/1", "wikihow", "How to x?", "c" * 50, category="Health"),
        example("wh/2", "wikihow", "How to y?", "c" * 70, category="Travel"),
        example("sn/1", "superni", "p", "r", task="t1"),
        example("sn/2", "superni", "p", "r", task="t1"),
        example("sn/3", "superni", "p", "r", task="t2"),
    ]


def write_manifest(path: Path, candidates: list[Candidate]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(c.manifest_line() + "\n" for c in candidates), encoding="utf-8")
    return path


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    return write_manifest(tmp_path / "hand" / "manifest.jsonl", hand_made())


def test_counts_lengths_and_diversity_are_exact(manifest):
    report = stats.compute_stats(manifest).to_json()
    assert list(report["subsets"]) == ["se_stem", "wikihow", "superni"]
    se = report["subsets"]["se_stem"]
    assert se["examples"] == 4 and se["multi_turn"] == 0
    assert se["prompt_chars"] == {"mean": 25.0, "median": 25.0, "p10": 13.0, "p90": 37.0, "max": 40}
    assert se["response_chars"] == {"mean": 250.0, "median": 250.0, "p10": 130.0, "p90": 370.0, "max": 400}
    assert se["diversity"] == {"unit": "site", "distinct": 2, "entropy_bits": 1.0}
    assert se["code_share"] == 0.25 and se["list_share"] == 0.5
    assert report["subsets"]["wikihow"]["diversity"] == {"unit": "category", "distinct": 2, "entropy_bits": 1.0}
    superni = report["subsets"]["superni"]["diversity"]
    assert superni["distinct"] == 2 and superni["entropy_bits"] == round(
        -(2 / 3) * math.log2(2 / 3) - (1 / 3) * math.log2(1 / 3), 3
    )
    total = report["total"]
    assert total["examples"] == 9
    assert total["diversity"]["distinct"] == 6
    assert total["diversity"]["entropy_bits"] == 2.503  # counts 2,2,1,1,2,1 of 9
    assert total["diversity"]["unit"] == "category+site+task"
    assert total["response_chars"]["max"] == 400
    assert total["tokens"] == sum(s["tokens"] for s in report["subsets"].values())
    # the estimate: one short word is one piece; 40 lower-case letters after a space 1 + 0.13 * (40 - 3.5)
    assert report["subsets"]["superni"]["prompt_tokens"]["mean"] == 1.0
    assert se["prompt_tokens"]["max"] == 6


def test_json_report_has_stable_keys(manifest):
    report = stats.compute_stats(manifest).to_json(stats.compare_with(stats.compute_stats(manifest), "lima"))
    assert list(report) == ["input", "tokens", "subsets", "total", "compare"]
    assert report["input"] == {"path": str(manifest), "format": "manifest"}
    assert report["tokens"] == {"method": "estimate", "name": "estimate", "estimated": True}
    summary_keys = [
        "examples",
        "multi_turn",
        "prompt_chars",
        "response_chars",
        "prompt_tokens",
        "response_tokens",
        "tokens",
        "diversity",
        "code_share",
        "list_share",
    ]
    assert list(report["total"]) == summary_keys
    assert all(list(s) == summary_keys for s in report["subsets"].values())
    assert list(report["compare"]) == ["left", "right", "rows", "total"]
    json.dumps(report)  # plain JSON all the way down


def word_tokenizer():
    """Whitespace words as tokens: counts anyone can check by eye."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    backend = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.train_from_iterator(["alpha beta gamma"], trainers.WordLevelTrainer(special_tokens=["[UNK]"]))
    return backend


@pytest.mark.parametrize("as_folder", [True, False])
def test_tokens_come_from_a_local_tokenizer_when_given(tmp_path, as_folder):
    manifest = write_manifest(
        tmp_path / "m" / "manifest.jsonl",
        [
            example("a", "authored", "alpha beta", "one two three four"),
            example("b", "authored", "gamma", "five six"),
        ],
    )
    backend = word_tokenizer()
    if as_folder:
        from transformers import PreTrainedTokenizerFast

        path = tmp_path / "tok"
        PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]").save_pretrained(str(path))
    else:
        path = tmp_path / "tokenizer.json"
        backend.save(str(path))
    report = stats.compute_stats(manifest, stats_tokens.tokenizer_counter(path)).to_json()
    assert report["tokens"]["method"] == "tokenizer" and report["tokens"]["estimated"] is False
    assert report["total"]["prompt_tokens"]["mean"] == 1.5
    assert report["total"]["response_tokens"] == {"mean": 3.0, "median": 3.0, "p10": 2.2, "p90": 3.8, "max": 4}
    assert report["total"]["tokens"] == 9


def test_a_missing_or_broken_tokenizer_is_a_clean_error(tmp_path):
    with pytest.raises(InputError, match="tokenizer not found"):
        stats_tokens.tokenizer_counter(tmp_path / "nope")
    (tmp_path / "junk.json").write_text("{}")
    with pytest.raises(InputError, match="not a readable tokenizer"):
        stats_tokens.tokenizer_counter(tmp_path / "junk.json")


def classify(ch: str) -> str:
    if ch == " ":
        return "space"
    if ch.isspace():
        return "break"
    if ord(ch) > 0xFFFF:
        return "astral"
    if ch.isdecimal():
        return "digit"
    if ch.isalnum() or unicodedata.category(ch) in ("Mn", "Mc"):
        return "letter"
    return "punct"


def reference_estimate(text: str) -> int:
    """The documented rule (docs/stats.md), written the slow obvious way, run by run."""
    runs = [(kind, "".join(run)) for kind, run in groupby(text, classify)]
    total, lead = 0.0, 1  # SentencePiece prepends a space
    for i, (kind, run) in enumerate(runs):
        if kind == "space":
            lead += len(run)
            total += math.ceil(lead / 16) if i == len(runs) - 1 else 0  # trailing spaces: a piece
            continue
        if kind in ("letter", "punct"):  # one space rides on the piece; more are a piece before it
            total += 1 + (lead - 2) // 16 if lead >= 2 else 0
        else:
            total += math.ceil(lead / 16)
        if kind == "letter":
            ascii_letters = sum(ord(c) < 128 for c in run)
            uppers = sum(c.isupper() for c in run)
            case = 0 if uppers == 0 else 1 if uppers == 1 and run[0].isupper() else 2 if uppers == ascii_letters else 3
            knee, slope = stats_tokens.KNEE[case][int(lead == 1)], stats_tokens.SLOPE[case][int(lead == 1)]
            total += (1 + slope * max(0, ascii_letters - knee) if ascii_letters else 0) + len(run) - ascii_letters
        elif kind == "punct":
            total += 1 + 0.5 * max(0, len(run) - 2)
        else:
            total += (4 if kind == "astral" else 1) * len(run)
        lead = 0
    return round(total)


def test_the_estimate_follows_its_documented_rule():
    texts = [
        "Hello, world!\n\n12 x",
        "supercalifragilistic",
        "",
        "naïve café",
        "a  b\t\tc",
        "Install it with `pip install lima-curate==0.1.0`; then run:\n\n```bash\nlima-curate stats m.jsonl\n```",
        "Ünïcödé wörds — “quoted” … and 3.14159 😀 emoji",
        "   ",
        " 42 leading space, trailing  ",
        "NASA's JavaScript API\n    indented code" + " " * 40 + "wide",
    ]
    # Hello 1.48 , 1 world 1.2 ! 1, two newlines 2, two digits 2, x 1: 9.7; 20 letters 1 + 0.13 * 16.5;
    # naïve and café: a non-ASCII letter costs one more
    assert stats_tokens.estimate_tokens(texts[:4]) == [10, 3, 0, 4]
    assert stats_tokens.estimate_tokens(texts) == [reference_estimate(t) for t in texts]
    assert [stats_tokens.estimate_tokens([t]) for t in texts] == [[reference_estimate(t)] for t in texts]
    assert stats_tokens.estimate_tokens([]) == []


def gair_file(path: Path) -> Path:
    rows = [
        {"conversations": ["Q " * 10, "A " * 40], "source": "stackexchange"},
        {"conversations": ["Q " * 20, "A " * 60], "source": "stackexchange"},
        {"conversations": ["How to x?", "Step " * 50], "source": "wikihow"},
        {"conversations": ["Hi", "Hello", "Bye", "Bye"], "source": "multi_turn"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_gair_file_is_recognised_and_compared_with_the_paper(tmp_path):
    result = stats.compute_stats(gair_file(tmp_path / "train.jsonl"))
    assert result.format == "gair"
    report = result.to_json(stats.compare_with(result, "lima"))
    assert list(report["subsets"]) == ["stackexchange", "wikihow", "dialogue"]
    assert report["subsets"]["dialogue"]["multi_turn"] == 1
    assert report["subsets"]["stackexchange"]["prompt_tokens"]["mean"] == 16.0  # 10 and 20 Qs, a trailing space each
    rows = {row["label"]: row for row in report["compare"]["rows"]}
    # GAIR has no STEM / Other split, so the paper's two rows are folded into one, weighted by examples
    assert rows["stackexchange"]["right"] == {"examples": 400, "prompt_tokens_mean": 118.0, "response_tokens_mean": 526.5}
    assert rows["stackexchange"]["left"]["examples"] == 2
    assert rows["dialogue"]["right"] is None
    assert rows["superni"]["left"] is None and rows["superni"]["right"]["examples"] == 50
    assert [row["label"] for row in report["compare"]["rows"]] == [
        "stackexchange",
        "wikihow",
        "writingprompts",
        "superni",
        "authored",
        "dialogue",
    ]
    assert report["compare"]["total"]["right"] == {"examples": 1000, "tokens": 750_000}
    assert "LLaMA tokenizer" in report["compare"]["right"]["note"]


def test_compare_with_another_set(manifest, tmp_path):
    other = gair_file(tmp_path / "train.jsonl")
    compared = stats.compare_with(stats.compute_stats(manifest), str(other))
    rows = {row["label"]: row for row in compared["rows"]}
    assert rows["stackexchange"]["left"]["examples"] == 4  # se_stem folded to meet GAIR's single row
    assert rows["stackexchange"]["right"]["examples"] == 2
    assert rows["wikihow"]["left"]["examples"] == 2 and rows["wikihow"]["right"]["examples"] == 1
    assert compared["right"]["name"] == f"{other.parent.name}/train.jsonl"


def test_every_readable_format_gives_the_same_numbers(manifest, tmp_path):
    pytest.importorskip("datasets")
    expected = stats.compute_stats(manifest).to_json()
    for to, dest in (("parquet", tmp_path / "m.parquet"), ("hf", tmp_path / "hf")):
        export.export(manifest, to, dest)
        got = stats.compute_stats(dest).to_json()
        assert got["input"]["format"] == to
        assert (got["subsets"], got["total"]) == (expected["subsets"], expected["total"])


def test_the_plot_is_a_png(manifest, tmp_path):
    pytest.importorskip("matplotlib")
    result = stats.compute_stats(manifest)
    out = stats_plot.plot(result, tmp_path / "plots" / "stats.png", stats.compare_with(result, "lima"))
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 1000 and height > 300


def test_without_matplotlib_the_plot_says_what_to_install(manifest, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(InputError, match=r"needs matplotlib \(pip install 'lima-curate\[plot\]'\)"):
        stats_plot.plot(stats.compute_stats(manifest), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_an_empty_or_unreadable_input_is_a_clean_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(InputError, match="is empty"):
        stats.compute_stats(empty)
    with pytest.raises(InputError, match="file not found"):
        stats.compute_stats(tmp_path / "missing.jsonl")


# -- the command line ------------------------------------------------------------------------------


def test_cli_prints_tables_and_says_tokens_are_estimated(manifest):
    result = run_cli("stats", str(manifest), "--compare", "lima")
    assert result.exit_code == 0, result.output
    for expected in (
        "lengths in tokens, estimated",
        "lengths in characters",
        "diversity and form",
        "se_stem",
        "superni",
        "entropy (bits)",
        "vs B: LIMA (paper)",
        "750,000 tokens",
        "LLaMA tokenizer",
    ):
        assert expected in result.stdout


def test_cli_json_is_the_report(manifest, tmp_path):
    result = run_cli("stats", str(manifest), "--json", "--plot", str(tmp_path / "s.png"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == stats.compute_stats(manifest).to_json()
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "notes.jsonl"
    path.write_text('{"text": "hello"}\n')
    result = run_cli("stats", str(path))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and f"{path}:1: cannot tell the format" in result.stderr
