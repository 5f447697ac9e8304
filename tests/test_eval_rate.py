"""lima-train eval rate and eval ablation: LIMA's 1-6 helpfulness scale, its verdicts, and the ablation figure."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from train_helpers import tiny_judge, write_answers
from typer.testing import CliRunner

from lima_train import judges as judges_module
from lima_train.cli_eval import eval_app
from lima_train.errors import InputError
from lima_train.evaluate import RATING_FIELDS, load_judge_prompt
from lima_train.judges import Reply, Request

runner = CliRunner()


def one_line(output: str) -> str:
    return " ".join(output.split())


def submission(request: Request) -> str:
    return request.messages[-1][1].split("[Submission]: ", 1)[1].split("\n***\n[Criterion]", 1)[0]


class GraderJudge:
    """A fake judge: `grade(submission)` gives the reply text (None: a failed request)."""

    def __init__(self, grade, judge_id: str = "fake:grader"):
        self.grade = grade
        self.id = judge_id
        self.asked: list[Request] = []
        self.calls = 0

    def ask(self, requests: list[Request], on_reply=None) -> list[Reply]:
        self.asked.extend(requests)
        self.calls += 1
        texts = [self.grade(submission(request)) for request in requests]
        replies = [Reply(text) if text is not None else Reply(None, error="timed out (gave up after 6 tries)") for text in texts]
        for index, reply in enumerate(replies):
            if on_reply is not None:
                on_reply(index, reply)
        return replies


@pytest.fixture
def use_judge(monkeypatch):
    def install(judge):
        monkeypatch.setattr(judges_module, "open_judge", lambda *args, **kwargs: judge)
        return judge

    return install


def rate(answers: Path, out: Path, *extra: str):
    return runner.invoke(
        eval_app, ["rate", str(answers), "--out", str(out), "--judge-url", "http://127.0.0.1:9/v1", "--judge-model", "m", *extra]
    )


def lima_reply(score: int) -> str:
    """A reply in the shape LIMA's prompt asks for: reasoning, the choice on its own line, then repeated."""
    return f"The answer is relevant and clear.\nIt lacks headings.\n{score}\n{score}"


def test_scores_give_the_mean_its_interval_and_the_distribution(tmp_path, use_judge):
    scores = {"p1": 2, "p2": 4, "p3": 4, "p4": 5, "p5": 6, "p6": 3}
    answers = write_answers(tmp_path / "lima.jsonl", {i: f"answer scoring {s}" for i, s in scores.items()})
    judge = use_judge(GraderJudge(lambda text: lima_reply(int(text.split()[-1]))))
    result = rate(answers, tmp_path / "rated")
    assert result.exit_code == 0, result.output
    assert len(judge.asked) == 6 and judge.asked[0].choices == ("1", "2", "3", "4", "5", "6")
    assert "[Task]: question p1?" in judge.asked[0].messages[-1][1]
    summary = json.loads((tmp_path / "rated" / "summary.json").read_text())
    assert (summary["n"], summary["mean"]) == (6, 4.0)
    assert summary["distribution"] == {"1": 0, "2": 1, "3": 1, "4": 2, "5": 1, "6": 1}
    low, high = summary["ci95"]
    assert 2.5 < low < 4.0 < high < 5.5
    records = [json.loads(line) for line in (tmp_path / "rated" / "ratings.jsonl").read_text().splitlines()]
    assert [(r["id"], r["score"], r["status"]) for r in records][:2] == [("p1", 2, "rated"), ("p2", 4, "rated")]
    assert records[0]["reply"].startswith("The answer is relevant")
    assert "mean helpfulness 4.00" in one_line(result.output)


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ("Step by step...\n4\n4", 4),
        ("Reasoning.\n**5**", 5),
        ("Reasoning mentions 2 things.\n3.\n", 3),
        ("First I thought\n2\nbut on reflection\n6\n6", 6),  # the last line holding a choice wins
        ("Score: 4/6", None),  # no choice on a line of its own: unparsable, not guessed
        ("7\n7", None),
        ("", None),
    ],
)
def test_lima_rating_replies_parse_to_the_last_choice_or_to_nothing(reply, score):
    prompt = load_judge_prompt("rating-v1", RATING_FIELDS)
    assert prompt.verdict(reply) == score


def test_unparsable_and_failed_ratings_are_counted_not_guessed(tmp_path, use_judge):
    answers = write_answers(tmp_path / "lima.jsonl", {"p1": "good", "p2": "vague", "p3": "lost", "p4": "good"})
    use_judge(GraderJudge(lambda text: {"good": lima_reply(5), "vague": "Somewhere around helpful."}.get(text)))
    result = rate(answers, tmp_path / "rated")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "rated" / "summary.json").read_text())
    assert (summary["prompts"], summary["n"], summary["unparsable"], summary["failed"], summary["mean"]) == (4, 2, 1, 1, 5.0)
    statuses = [json.loads(line)["status"] for line in (tmp_path / "rated" / "ratings.jsonl").read_text().splitlines()]
    assert statuses == ["rated", "unparsable", "failed", "rated"]


def test_no_score_at_all_exits_1_with_the_reports_written(tmp_path, use_judge):
    answers = write_answers(tmp_path / "lima.jsonl", {"p1": "x"})
    use_judge(GraderJudge(lambda text: "I would rather not say."))
    result = rate(answers, tmp_path / "rated")
    assert result.exit_code == 1 and "no answer got a score" in one_line(result.output)
    summary = json.loads((tmp_path / "rated" / "summary.json").read_text())
    assert summary["mean"] is None and summary["ci95"] is None and summary["unparsable"] == 1


def test_a_bad_answers_file_is_one_line_and_nothing_is_written(tmp_path, use_judge):
    answers = tmp_path / "lima.jsonl"
    answers.write_text(json.dumps({"id": "p1", "messages": [{"role": "user", "content": "only a question"}]}) + "\n")
    judge = use_judge(GraderJudge(lambda text: lima_reply(3)))
    result = rate(answers, tmp_path / "rated")
    assert result.exit_code == 2
    assert (
        one_line(result.output) == f"error: {answers}:1: the messages must hold a user turn and end with the assistant's answer"
    )
    assert not (tmp_path / "rated").exists() and not judge.asked


def test_a_judge_prompt_with_the_wrong_placeholders_names_its_file(tmp_path):
    custom = tmp_path / "my-rating.toml"
    custom.write_text(
        'name = "mine"\nversion = 1\nuser = "Rate {answer}"\n[verdict]\npattern = "([1-6])"\nvalues = { "1" = 1 }\n'
    )
    with pytest.raises(InputError, match=r"my-rating.toml: the user template's placeholders are \['answer'\]"):
        load_judge_prompt(str(custom), RATING_FIELDS)
    with pytest.raises(InputError, match="no such shipped judge prompt"):
        load_judge_prompt("rating-v9", RATING_FIELDS)


def test_every_request_goes_to_the_judge_in_one_ask_so_no_slow_reply_holds_up_a_chunk(tmp_path, use_judge):
    answers = write_answers(tmp_path / "lima.jsonl", {f"p{i}": "4" for i in range(40)})  # more than the 16 of a chunk
    judge = use_judge(GraderJudge(lambda text: lima_reply(int(text))))
    result = rate(answers, tmp_path / "rated", "--concurrency", "2")
    assert result.exit_code == 0, result.output
    assert judge.calls == 1 and len(judge.asked) == 40


@pytest.mark.parametrize(
    ("line", "message"),
    [(b"[1, 2]\n", ":2: expected a JSON object"), (b"{not json\n", ":2: not valid JSON: "), (b"\xff\n", ": not UTF-8 text")],
)
def test_an_answers_line_that_is_no_json_object_names_the_file_and_line(tmp_path, use_judge, line, message):
    answers = write_answers(tmp_path / "lima.jsonl", {"p1": "fine"})
    answers.write_bytes(answers.read_bytes() + line)
    judge = use_judge(GraderJudge(lambda text: lima_reply(3)))
    result = rate(answers, tmp_path / "rated")
    assert result.exit_code == 2 and one_line(result.output).startswith(f"error: {answers}{message}")
    assert not judge.asked and not (tmp_path / "rated").exists()


def test_a_lone_surrogate_in_an_answer_is_one_line_naming_the_line(tmp_path, use_judge):
    answers = write_answers(tmp_path / "lima.jsonl", {"p1": "fine", "p2": "broken \ud800 text"})
    assert "\\ud800" in answers.read_text()  # the JSON escape json.loads accepts, not a character UTF-8 can hold
    judge = use_judge(GraderJudge(lambda text: lima_reply(3)))
    result = rate(answers, tmp_path / "rated", "--no-judge-cache")
    assert result.exit_code == 2
    assert one_line(result.output) == (
        f"error: {answers}:2: the answer holds \\ud800, a lone surrogate that is no character (UTF-8 cannot encode it)"
    )
    assert not (tmp_path / "rated").exists() and not judge.asked


def custom_prompt(tmp_path: Path, pattern: str, values: str, user: str = "Rate {task} {submission}") -> Path:
    path = tmp_path / "custom.toml"
    path.write_text(f'name = "custom"\nversion = 1\nuser = "{user}"\n[verdict]\npattern = \'{pattern}\'\nvalues = {values}\n')
    return path


@pytest.mark.parametrize(
    ("values", "found"),
    [('{ "A" = "A" }', "'a' to 'A'"), ('{ "1" = 1, "2" = 2.0 }', "'2' to 2.0"), ('{ "1" = true }', "'1' to True")],
)
def test_a_judge_prompt_whose_values_are_no_rating_is_refused_before_the_judge_is_paid(tmp_path, values, found):
    path = custom_prompt(tmp_path, "([A-Z0-9])", values)
    with pytest.raises(InputError) as error:
        load_judge_prompt(str(path), RATING_FIELDS)
    assert str(error.value) == f"{path}: [verdict] values maps {found}; eval rate's verdicts are 1, 2, 3, 4, 5, 6"


def test_a_pattern_whose_group_did_not_take_part_is_no_match(tmp_path):
    path = custom_prompt(tmp_path, "(1)|(2)", '{ "1" = 1, "2" = 2 }')
    prompt = load_judge_prompt(str(path), RATING_FIELDS)
    assert prompt.verdict("2") is None  # group 1 unmatched: no verdict, not a crash
    assert prompt.verdict("1 then 2") == 1  # the last match whose group took part


# ---- ablation ------------------------------------------------------------------------------------


def ablation_set(root: Path, name: str, total: int, variant: str | None = None) -> tuple[Path, str]:
    """A manifest (its bytes stand in for the set) with a lima-curate card that describes it."""
    folder = root / name
    folder.mkdir(parents=True)
    manifest = folder / "manifest.jsonl"
    manifest.write_text(f"{name}\n")
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
    card = {"name": f"lima-{name}", "total": total, "digest": digest}
    if variant:
        card["ablation"] = {"variant": variant, "study": "quality"}
    (folder / "manifest.card.json").write_text(json.dumps(card))
    return manifest, digest


def rated_run(tmp_path: Path, name: str, total: int, mean_score: int, variant: str | None = None, judge_id="fake:grader") -> Path:
    manifest, digest = ablation_set(tmp_path / "sets", name, total, variant)
    generator = {"checkpoint": f"runs/{name}/final", "manifest": str(manifest), "manifest_sha256": digest}
    answers = write_answers(tmp_path / f"{name}.jsonl", {f"p{i}": f"{mean_score + (i % 3) - 1}" for i in range(6)}, generator)
    rated = tmp_path / "rated" / name
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(judges_module, "open_judge", lambda *a, **k: GraderJudge(lambda text: lima_reply(int(text)), judge_id))
        result = rate(answers, rated)
    assert result.exit_code == 0, result.output
    return rated


def test_ablation_by_size_labels_from_the_cards_and_writes_the_plotted_numbers_beside(tmp_path):
    runs = [rated_run(tmp_path, f"quantity-{n}", n, score) for n, score in ((8000, 4), (2000, 3), (4000, 5))]
    out = tmp_path / "fig" / "quantity.png"
    result = runner.invoke(eval_app, ["ablation", *map(str, runs), "--x", "size", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plotted = json.loads(out.with_suffix(".json").read_text())
    assert [(p["label"], p["x"], p["mean"], p["n"]) for p in plotted["points"]] == [
        ("2,000", 2000, 3.0, 6),
        ("4,000", 4000, 5.0, 6),
        ("8,000", 8000, 4.0, 6),
    ]
    first = plotted["points"][0]
    assert (
        first["summary_sha256"]
        == hashlib.sha256((tmp_path / "rated" / "quantity-2000" / "summary.json").read_bytes()).hexdigest()
    )
    assert (
        first["manifest_sha256"]
        == hashlib.sha256((tmp_path / "sets" / "quantity-2000" / "manifest.jsonl").read_bytes()).hexdigest()
    )
    assert plotted["judge"]["id"] == "fake:grader" and plotted["tool"]["name"] == "lima-train"


def test_the_default_ablation_title_counts_the_prompts_every_run_shares_not_one_runs_n(tmp_path):
    small = rated_run(tmp_path, "quantity-2000", 2000, 1)  # answers "0" get no score: n=4 of the 6 prompts
    large = rated_run(tmp_path, "quantity-4000", 4000, 4)
    out = tmp_path / "quantity.png"
    result = runner.invoke(eval_app, ["ablation", str(large), str(small), "--out", str(out)])
    assert result.exit_code == 0, result.output
    plotted = json.loads(out.with_suffix(".json").read_text())
    assert [p["n"] for p in plotted["points"]] == [4, 6]
    assert plotted["title"] == "judge fake:grader, prompt rating-v1.toml, 6 prompts"


def test_ablation_by_variant_takes_the_cards_variant_or_a_label(tmp_path):
    runs = [
        rated_run(tmp_path, "quality-filtered-2000", 2000, 4, variant="quality-filtered-2000"),
        rated_run(tmp_path, "quality-unfiltered-2000", 2000, 3, variant="quality-unfiltered-2000"),
    ]
    out = tmp_path / "quality.png"
    result = runner.invoke(eval_app, ["ablation", *map(str, runs), "--x", "variant", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [p["label"] for p in json.loads(out.with_suffix(".json").read_text())["points"]] == [
        "quality-filtered-2000",
        "quality-unfiltered-2000",
    ]
    labelled = runner.invoke(
        eval_app,
        ["ablation", *map(str, runs), "--x", "variant", "--out", str(out), "--label", "filtered", "--label", "unfiltered"],
    )
    assert labelled.exit_code == 0, labelled.output
    assert [p["label"] for p in json.loads(out.with_suffix(".json").read_text())["points"]] == ["filtered", "unfiltered"]


def test_ablation_refuses_runs_rated_by_other_judges(tmp_path):
    one = rated_run(tmp_path, "quantity-2000", 2000, 3)
    two = rated_run(tmp_path, "quantity-4000", 4000, 4, judge_id="fake:another")
    out = tmp_path / "fig.png"
    result = runner.invoke(eval_app, ["ablation", str(one), str(two), "--out", str(out)])
    assert result.exit_code == 2
    assert f"{two / 'summary.json'}: rated with other judge and judge prompt than {one / 'summary.json'}" in one_line(
        result.output
    )
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_ablation_refuses_a_card_that_no_longer_describes_the_manifest(tmp_path):
    run = rated_run(tmp_path, "quantity-2000", 2000, 3)
    (tmp_path / "sets" / "quantity-2000" / "manifest.jsonl").write_text("rebuilt differently\n")
    card = tmp_path / "sets" / "quantity-2000" / "manifest.card.json"
    card.write_text(json.dumps({"name": "x", "total": 2000, "digest": "0" * 64}))
    result = runner.invoke(eval_app, ["ablation", str(run), "--out", str(tmp_path / "fig.png")])
    assert result.exit_code == 2
    assert f"{card}: its digest is not the sha256 of the manifest the run trained on" in one_line(result.output)
    assert not (tmp_path / "fig.png").exists()


def test_ablation_of_a_folder_never_rated_is_one_line(tmp_path):
    result = runner.invoke(eval_app, ["ablation", str(tmp_path / "nothing"), "--out", str(tmp_path / "fig.png")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'nothing' / 'summary.json'}: not found" in one_line(result.output)


@pytest.mark.slow
def test_a_local_hugging_face_judge_rates_through_the_choices(tmp_path):
    """About 20-30 s, most of it training the tiny tokenizer; then LIMA's whole rating prompt (~1,900 tokens) scored per choice."""
    judge = tiny_judge(tmp_path / "judge", max_length=2048)  # room for LIMA's long rating prompt
    answers = write_answers(tmp_path / "lima.jsonl", {"p1": "Blue, because of Rayleigh scattering."})
    result = runner.invoke(eval_app, ["rate", str(answers), "--out", str(tmp_path / "rated"), "--judge-hf", str(judge)])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "rated" / "summary.json").read_text())
    assert (summary["n"], summary["unparsable"], summary["failed"]) == (1, 0, 0)  # the likeliest choice parses
    assert sum(summary["distribution"].values()) == 1 and summary["mean"] in (1, 2, 3, 4, 5, 6)
    assert summary["judge"]["id"].startswith(f"hf:{judge.resolve()}@")
