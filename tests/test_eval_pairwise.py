"""lima-train eval pairwise: LIMA's position-swapped protocol, its counts and intervals, refusals, traceability."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from train_helpers import write_answers
from typer.testing import CliRunner

from lima_train import __version__
from lima_train import judges as judges_module
from lima_train.cli_eval import eval_app
from lima_train.judges import Reply, Request

runner = CliRunner()
A_WINS, B_WINS, NEITHER = (
    "Answer A is significantly better.",
    "Answer B is significantly better.",
    "Neither is significantly better.",
)
GENERATOR = {
    "checkpoint": "runs/demo/final",
    "checkpoint_sha256": "c" * 64,
    "model": "tiny",
    "manifest": "manifests/sample/manifest.jsonl",
    "manifest_sha256": "d" * 64,
    "decoding": {"top_p": 0.9, "temperature": 0.7, "repetition_penalty": 1.2, "max_new_tokens": 64, "greedy": False, "seed": 0},
    "prompts": "test.jsonl",
    "prompts_sha256": "e" * 64,
}


def shown(request: Request) -> tuple[str, str]:
    """The answers a pairwise request shows as A and B."""
    text = request.messages[-1][1]
    a = text.split("Answer A:\n", 1)[1].split("\n\nAnswer B:\n", 1)[0]
    b = text.split("\n\nAnswer B:\n", 1)[1].split("\n\nComparing these two answers", 1)[0]
    return a, b


class ScriptedJudge:
    """A fake judge: `decide(answer shown as A, answer shown as B)` gives the reply text (None: a failed request)."""

    def __init__(self, decide, judge_id: str = "fake:scripted"):
        self.decide = decide
        self.id = judge_id
        self.asked: list[Request] = []
        self.closed = False

    def ask(self, requests: list[Request], on_reply=None) -> list[Reply]:
        self.asked.extend(requests)
        replies = []
        for index, request in enumerate(requests):
            text = self.decide(*shown(request))
            replies.append(Reply(text) if text is not None else Reply(None, error="HTTP 500: boom (gave up after 6 tries)"))
            if on_reply is not None:
                on_reply(index, replies[-1])
        return replies

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def use_judge(monkeypatch):
    """Install a fake judge where the CLI opens one; returns what open_judge was called with."""
    calls = []

    def install(judge):
        def fake_open_judge(url, model, key_env, hf_model, cache, concurrency=4, retries=5, timeout_s=120.0):
            calls.append({"url": url, "model": model, "cache": cache, "concurrency": concurrency})
            return judge

        monkeypatch.setattr(judges_module, "open_judge", fake_open_judge)
        return calls

    return install


def pairwise(*args: str | Path):
    return runner.invoke(eval_app, ["pairwise", *map(str, args), "--judge-url", "http://127.0.0.1:9/v1", "--judge-model", "m"])


def one_line(output: str) -> str:
    return " ".join(output.split())


def test_a_judge_that_always_prefers_the_first_answer_gives_all_ties(tmp_path, use_judge):
    model = write_answers(tmp_path / "lima.jsonl", {f"p{i}": f"model answer {i}" for i in range(6)})
    base = write_answers(tmp_path / "alpaca.jsonl", {f"p{i}": f"baseline answer {i}" for i in range(6)})
    judge = ScriptedJudge(lambda a, b: f"Both are fine, but the first reads better.\n{A_WINS}")
    calls = use_judge(judge)
    result = pairwise(model, base, "--out", tmp_path / "eval")
    assert result.exit_code == 0, result.output
    assert len(judge.asked) == 12 and judge.closed  # both orders of every prompt
    assert calls[0]["cache"] == tmp_path / "eval" / "judge-cache.sqlite"
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text())
    (entry,) = summary["baselines"]
    assert entry["counts"] == {"win": 0, "tie": 6, "loss": 0}
    assert entry["tie"] == {"rate": 1.0, "ci95": [1.0, 1.0]} and entry["win"]["rate"] == 0.0
    records = [json.loads(line) for line in (tmp_path / "eval" / "pairwise-alpaca.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [f"p{i}" for i in range(6)]
    assert {r["result"] for r in records} == {"tie"}
    assert [v["verdict"] for v in records[0]["verdicts"]] == ["A", "B"]  # each order picked the answer shown first
    assert records[0]["verdicts"][0]["reply"].startswith("Both are fine")  # the judge's reasons are kept


def test_a_judge_that_always_prefers_a_gives_all_wins_against_every_baseline(tmp_path, use_judge):
    ids = [f"p{i}" for i in range(5)]
    model = write_answers(tmp_path / "lima.jsonl", {i: f"MODEL {i}" for i in ids})
    one = write_answers(tmp_path / "alpaca.jsonl", {i: f"alpaca {i}" for i in ids})
    two = write_answers(tmp_path / "davinci.jsonl", {i: f"davinci {i}" for i in ids})
    use_judge(ScriptedJudge(lambda a, b: A_WINS if a.startswith("MODEL") else B_WINS))
    result = pairwise(model, one, two, "--out", tmp_path / "eval")
    assert result.exit_code == 0, result.output
    out = tmp_path / "eval"
    summary = json.loads((out / "summary.json").read_text())
    assert [(e["name"], e["counts"]["win"], e["win"]["rate"]) for e in summary["baselines"]] == [
        ("alpaca", 5, 1.0),
        ("davinci", 5, 1.0),
    ]
    assert (out / "pairwise-alpaca.jsonl").is_file() and (out / "pairwise-davinci.jsonl").is_file()
    assert (out / "pairwise.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plotted = json.loads((out / "pairwise.json").read_text())
    assert plotted["rows"] == [
        {"baseline": "alpaca", "n": 5, "win": 1.0, "tie": 0.0, "loss": 0.0},
        {"baseline": "davinci", "n": 5, "win": 1.0, "tie": 0.0, "loss": 0.0},
    ]
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir() if p.name != "summary.json"}
    assert summary["files"] == files  # summary.json lists every file written with it


def test_mixed_verdicts_give_rates_with_seeded_bootstrap_intervals_and_the_same_bytes_twice(tmp_path, use_judge):
    ids = [f"p{i:02d}" for i in range(20)]
    model = write_answers(tmp_path / "lima.jsonl", {i: f"MODEL {i}" for i in ids})
    base = write_answers(tmp_path / "base.jsonl", {i: f"base {i}" for i in ids})

    def decide(a: str, b: str) -> str:
        number = int((a if a.startswith("MODEL") else b).split("p")[1])
        if number < 10:  # wins
            return A_WINS if a.startswith("MODEL") else B_WINS
        if number < 15:  # the orders disagree: a tie
            return A_WINS
        return NEITHER if number < 17 else (B_WINS if a.startswith("MODEL") else A_WINS)  # 2 ties, 3 losses

    use_judge(ScriptedJudge(decide))
    assert pairwise(model, base, "--out", tmp_path / "one").exit_code == 0
    assert pairwise(model, base, "--out", tmp_path / "two").exit_code == 0
    (entry,) = json.loads((tmp_path / "one" / "summary.json").read_text())["baselines"]
    assert entry["counts"] == {"win": 10, "tie": 7, "loss": 3} and entry["n"] == 20
    assert entry["win"]["rate"] == 0.5 and entry["tie"]["rate"] == 0.35 and entry["loss"]["rate"] == 0.15
    low, high = entry["win"]["ci95"]
    assert 0.2 < low < 0.5 < high < 0.8
    for name in ("summary.json", "pairwise-base.jsonl", "pairwise.png"):  # same replies, same seed: same bytes
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_unparsable_and_failed_verdicts_are_counted_and_left_out_of_the_rates(tmp_path, use_judge):
    ids = ["p1", "p2", "p3", "p4"]
    model = write_answers(tmp_path / "lima.jsonl", {i: f"MODEL {i}" for i in ids})
    base = write_answers(tmp_path / "base.jsonl", {i: f"base {i}" for i in ids})

    def decide(a: str, b: str) -> str | None:
        if "p3" in a and not a.startswith("MODEL"):
            return "I cannot decide."  # the second order parses to no verdict
        if "p4" in a:
            return None  # the judge failed after its retries
        return A_WINS if a.startswith("MODEL") else B_WINS

    use_judge(ScriptedJudge(decide))
    result = pairwise(model, base, "--out", tmp_path / "eval")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads((tmp_path / "eval" / "summary.json").read_text())["baselines"]
    assert (entry["prompts"], entry["n"], entry["unparsable"], entry["failed"]) == (4, 2, 1, 1)
    assert entry["win"]["rate"] == 1.0
    records = {r["id"]: r for r in map(json.loads, (tmp_path / "eval" / "pairwise-base.jsonl").read_text().splitlines())}
    assert records["p3"]["result"] == "unparsable" and records["p3"]["verdicts"][1]["verdict"] is None
    assert records["p4"]["result"] == "failed" and "HTTP 500" in records["p4"]["verdicts"][0]["error"]


def test_no_verdict_at_all_writes_the_reports_and_exits_1(tmp_path, use_judge):
    model = write_answers(tmp_path / "lima.jsonl", {"p1": "x", "p2": "y"})
    base = write_answers(tmp_path / "base.jsonl", {"p1": "u", "p2": "v"})
    use_judge(ScriptedJudge(lambda a, b: "no idea"))
    result = pairwise(model, base, "--out", tmp_path / "eval")
    assert result.exit_code == 1
    assert "no prompt got a verdict in both orders against base" in one_line(result.output)
    (entry,) = json.loads((tmp_path / "eval" / "summary.json").read_text())["baselines"]
    assert entry["unparsable"] == 2 and entry["win"] == {"rate": None, "ci95": None}


def test_answers_missing_for_some_prompts_are_one_line_naming_the_file_and_ids_and_nothing_is_written(tmp_path, use_judge):
    model = write_answers(tmp_path / "lima.jsonl", {f"p{i}": "a" for i in range(9)})
    base = write_answers(tmp_path / "base.jsonl", {"p0": "b", "p1": "b"})
    judge = ScriptedJudge(lambda a, b: A_WINS)
    use_judge(judge)
    result = pairwise(model, base, "--out", tmp_path / "eval")
    assert result.exit_code == 2
    assert one_line(result.output) == (
        f"error: {base}: no answer to 7 prompt(s) answered in {model}: p2, p3, p4, p5, p6, ... (7 in all)"
    )
    assert not (tmp_path / "eval").exists() and not judge.asked


def test_a_baseline_answering_other_prompts_is_refused(tmp_path, use_judge):
    model = write_answers(tmp_path / "lima.jsonl", {"p1": "a"})
    base = write_answers(tmp_path / "base.jsonl", {"p1": "b", "q9": "b"})
    use_judge(ScriptedJudge(lambda a, b: A_WINS))
    result = pairwise(model, base, "--out", tmp_path / "eval")
    assert result.exit_code == 2
    assert f"{base}: answers 1 prompt(s) that {model} does not: q9 (1)" in one_line(result.output)
    assert not (tmp_path / "eval").exists()


def test_an_answers_line_of_the_wrong_shape_names_the_file_and_line(tmp_path, use_judge):
    model = write_answers(tmp_path / "lima.jsonl", {"p1": "a", "p2": "a"})
    base = tmp_path / "base.jsonl"
    base.write_text(
        json.dumps({"id": "p1", "prompt": "question p1?", "answer": "b"}) + "\n" + json.dumps({"id": "p2", "text": "b"}) + "\n"
    )
    use_judge(ScriptedJudge(lambda a, b: A_WINS))
    result = pairwise(model, base, "--out", tmp_path / "eval")
    assert result.exit_code == 2
    assert one_line(result.output).startswith(f'error: {base}:2: expected {{"id", "messages"')
    assert "found 'id', 'text'" in one_line(result.output)
    assert not (tmp_path / "eval").exists()


def test_the_summary_records_what_it_was_made_from(tmp_path, use_judge):
    model = write_answers(tmp_path / "lima.jsonl", {"p1": "MODEL", "p2": "MODEL"}, GENERATOR)
    base = tmp_path / "base.jsonl"  # another system's answers, in the plain shape
    base.write_text("".join(json.dumps({"id": i, "prompt": f"question {i}?", "answer": "b"}) + "\n" for i in ("p1", "p2")))
    use_judge(ScriptedJudge(lambda a, b: A_WINS if a == "MODEL" else B_WINS, judge_id="openai:http://127.0.0.1:9/v1#m"))
    assert pairwise(model, base, "--out", tmp_path / "eval").exit_code == 0
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert summary["model"]["answers"] == {
        "path": str(model),
        "sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
        "answers": 2,
        "generator": GENERATOR,
    }
    assert summary["baselines"][0]["answers"]["generator"] is None
    prompt_file = Path(__file__).resolve().parents[1] / "filters" / "judges" / "pairwise-v1.toml"
    assert summary["judge"] == {
        "id": "openai:http://127.0.0.1:9/v1#m",
        "prompt": {
            "name": "pairwise",
            "version": 1,
            "file": "pairwise-v1.toml",
            "sha256": hashlib.sha256(prompt_file.read_bytes()).hexdigest(),
        },
    }
    assert summary["tool"] == {"name": "lima-train", "version": __version__}
    assert isinstance(summary["command"], list)
    assert summary["bootstrap"]["resamples"] == 10_000 and summary["bootstrap"]["seed"] == 0


def test_a_verdict_quoting_the_other_sentence_first_takes_the_last_one(tmp_path, use_judge):
    model = write_answers(tmp_path / "lima.jsonl", {"p1": "MODEL"})
    base = write_answers(tmp_path / "base.jsonl", {"p1": "base"})
    reasons = "One could say 'Answer B is significantly better.' but no.\n\n**Answer A is significantly better.**"
    use_judge(ScriptedJudge(lambda a, b: reasons if a == "MODEL" else f"Reasons.\n{B_WINS}"))
    assert pairwise(model, base, "--out", tmp_path / "eval", "--no-judge-cache").exit_code == 0
    (entry,) = json.loads((tmp_path / "eval" / "summary.json").read_text())["baselines"]
    assert entry["counts"]["win"] == 1


def test_judge_options_reach_open_judge_and_contradictions_are_refused(tmp_path, use_judge):
    model = write_answers(tmp_path / "lima.jsonl", {"p1": "MODEL"})
    base = write_answers(tmp_path / "base.jsonl", {"p1": "base"})
    calls = use_judge(ScriptedJudge(lambda a, b: NEITHER))
    args = ("--out", tmp_path / "eval", "--no-judge-cache", "--concurrency", "7")
    assert pairwise(model, base, *args).exit_code == 0
    assert calls[-1]["cache"] is None and calls[-1]["concurrency"] == 7
    result = pairwise(model, base, "--out", tmp_path / "e2", "--no-judge-cache", "--judge-cache", tmp_path / "c.sqlite")
    assert result.exit_code == 2 and "--judge-cache and --no-judge-cache contradict each other" in one_line(result.output)


def test_through_the_real_http_judge_and_its_cache(tmp_path):
    fake = pytest.importorskip("fake_openai_server")
    model = write_answers(tmp_path / "lima.jsonl", {"p1": "MODEL 1", "p2": "MODEL 2"})
    base = write_answers(tmp_path / "base.jsonl", {"p1": "base 1", "p2": "base 2"})

    def answer(body: dict) -> str:
        a, _ = shown(Request(((body["messages"][-1]["role"], body["messages"][-1]["content"]),)))
        return f"The model's answer is better.\n{A_WINS if a.startswith('MODEL') else B_WINS}"

    with fake.FakeOpenAI(answer=answer) as server:
        args = [
            "pairwise",
            str(model),
            str(base),
            "--out",
            str(tmp_path / "eval"),
            "--judge-url",
            server.url,
            "--judge-model",
            "fake",
        ]
        first = runner.invoke(eval_app, args)
        assert first.exit_code == 0, first.output
        assert server.count == 4
        second = runner.invoke(eval_app, args)
        assert second.exit_code == 0 and server.count == 4  # every reply from DIR/judge-cache.sqlite
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert summary["baselines"][0]["counts"]["win"] == 2
    assert summary["judge"]["id"] == f"openai:{server.url}#fake"
    records = [json.loads(line) for line in (tmp_path / "eval" / "pairwise-base.jsonl").read_text().splitlines()]
    assert all(v["cached"] for r in records for v in r["verdicts"])


def test_a_pairwise_prompt_whose_values_are_no_pairwise_verdict_names_its_file(tmp_path):
    from lima_train.errors import InputError
    from lima_train.evaluate import PAIRWISE_FIELDS, load_judge_prompt

    path = tmp_path / "mine.toml"
    path.write_text(
        'name = "mine"\nversion = 1\nuser = "{question} {answer_a} {answer_b}"\n'
        '[verdict]\npattern = "(A|B)"\nvalues = { A = "A", B = "B" }\n'
    )
    with pytest.raises(InputError) as error:
        load_judge_prompt(str(path), PAIRWISE_FIELDS)
    assert (
        str(error.value) == f"{path}: [verdict] values maps 'a' to 'A'; eval pairwise's verdicts are 'first', 'neither', 'second'"
    )
