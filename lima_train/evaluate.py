"""Scoring answers the way LIMA measured them: pairwise preference and 1-6 helpfulness ratings.

The work of `lima-train eval`, from the inputs to the numbers; the command line (cli_eval.py) adds
arguments, progress and files, eval_plots.py the figures. In the order a run goes:

- **Judge prompts** are data (filters/judges/*.toml, installed as `lima_train.judge_prompts`): the
  system and user templates, the pattern a verdict must match and what each match means. A reply
  that matches nothing is *unparsable*: counted, never guessed.
- **Answers files** (what `lima-train generate` writes, or any system's answers in that shape, or
  `{"id", "prompt", "answer"}` lines) are read whole and checked before a judge is asked anything:
  the two sides of a comparison must answer the same prompts.
- **Pairwise** follows LIMA's protocol: the judge sees both answers in both orders, so position bias
  cancels; the two verdicts agreeing is a win or a loss (or a tie, both saying neither), disagreeing
  is a tie. A prompt with a failed or unparsable verdict in either order is left out of the rates.
- **Ratings**: one request per answer, the score the LIMA grader gave on its 1-6 scale.
- **Intervals**: a percentile bootstrap over prompts, seeded. Resampling n prompts with replacement
  and counting outcomes is drawing those counts from a multinomial with the observed proportions,
  so `numpy`'s multinomial draws the 10,000 resamples exactly, in O(resamples x outcomes).
- **Ablations** read rated runs back and label them from the card of the manifest each run trained on.

This module is about 610 lines because the three reports share the answers reader, the prompt
files, the bootstrap and the provenance record, which read best in one place, top to bottom.
"""

from __future__ import annotations

import json
import re
import string
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .data import _json_object, _lines, canonical_json, file_sha256
from .errors import InputError
from .judges import Judge, OnReply, Reply, Request

# filters/judges/ is installed as the data package lima_train.judge_prompts (pyproject.toml); in a
# checkout or an editable install it is filters/judges/ beside the package. Installed first.
_PACKAGE = Path(__file__).resolve().parent
JUDGE_PROMPT_DIRS = (_PACKAGE / "judge_prompts", _PACKAGE.parent / "filters" / "judges")
PAIRWISE_FIELDS = frozenset({"question", "answer_a", "answer_b"})
RATING_FIELDS = frozenset({"task", "submission"})
PAIRWISE_VERDICTS = frozenset({"first", "second", "neither"})
OUTCOMES = ("win", "tie", "loss")
SCORES = (1, 2, 3, 4, 5, 6)
VERDICTS = {PAIRWISE_FIELDS: ("eval pairwise", PAIRWISE_VERDICTS), RATING_FIELDS: ("eval rate", frozenset(SCORES))}
SHOWN_IDS = 5  # ids named in a one-line error before "... (N in all)"


# ---- judge prompts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JudgePrompt:
    """A versioned judge prompt file: what the judge is asked, and how its reply becomes a verdict."""

    name: str
    version: int
    path: Path
    sha256: str
    system: str
    user: str
    pattern: re.Pattern[str]
    values: dict[str, Any]
    choices: tuple[str, ...]

    def request(self, **fields: str) -> Request:
        """The judge request for one item: the templates filled in (answers may hold braces: only the template is parsed)."""
        turns = (("system", self.system),) if self.system else ()
        return Request((*turns, ("user", self.user.format(**fields))), self.choices or None)

    def verdict(self, text: str) -> Any | None:
        """The last match of the verdict pattern, mapped through `values`; None when there is none.

        With groups, group 1 is the verdict, and a match in which it took no part (`(A)|(B)` meeting B) is no match.
        """
        found = [match.group(1) if self.pattern.groups else match.group(0) for match in self.pattern.finditer(text)]
        found = [verdict for verdict in found if verdict is not None]
        return self.values.get(" ".join(found[-1].split()).casefold()) if found else None

    def record(self) -> dict[str, Any]:
        """What a report records of the prompt: enough to find the very file again and check it."""
        return {"name": self.name, "version": self.version, "file": self.path.name, "sha256": self.sha256}


def judge_prompt_path(spec: str) -> Path:
    """A shipped prompt by name (`pairwise-v1`), or a path to your own TOML file."""
    if spec.endswith(".toml") or "/" in spec:
        path = Path(spec)
        if not path.is_file():
            raise InputError(f"{path}: judge prompt file not found")
        return path
    folder = next((d for d in JUDGE_PROMPT_DIRS if d.is_dir()), JUDGE_PROMPT_DIRS[-1])
    path = folder / f"{spec}.toml"
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in folder.glob("*.toml"))) or "none"
        raise InputError(f"{spec}: no such shipped judge prompt (shipped: {shipped}); or give a path to a .toml file")
    return path


def load_judge_prompt(spec: str, fields: frozenset[str]) -> JudgePrompt:
    """Read and check a judge prompt file: its keys, its template's placeholders, its verdict pattern."""
    path = judge_prompt_path(spec)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a valid TOML file: {error}") from None
    verdict = data.get("verdict")
    for key, kind in (("name", str), ("version", int), ("user", str), ("verdict", dict)):
        if not isinstance(data.get(key), kind):
            raise InputError(
                f"{path}: '{key}' must be a {kind.__name__} (a judge prompt holds name, version, system, user, [verdict])"
            )
    assert isinstance(verdict, dict)
    used = {name for _, name, _, _ in string.Formatter().parse(data["user"]) if name is not None}
    if used != fields:
        raise InputError(
            f"{path}: the user template's placeholders are {sorted(used)}; this command fills exactly {sorted(fields)}"
        )
    if not isinstance(verdict.get("pattern"), str) or not isinstance(verdict.get("values"), dict) or not verdict["values"]:
        raise InputError(f"{path}: [verdict] needs 'pattern' (a regular expression) and 'values' (match -> verdict)")
    try:
        pattern = re.compile(verdict["pattern"])
    except re.error as error:
        raise InputError(f"{path}: [verdict] pattern is not a regular expression: {error}") from None
    choices = verdict.get("choices", [])
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise InputError(f"{path}: [verdict] choices must be a list of strings")
    values = {" ".join(str(key).split()).casefold(): value for key, value in verdict["values"].items()}
    _check_values(path, values, fields)
    prompt = JudgePrompt(
        data["name"],
        data["version"],
        path,
        file_sha256(path),
        data.get("system", ""),
        data["user"],
        pattern,
        values,
        tuple(choices),
    )
    unparsed = [choice for choice in prompt.choices if prompt.verdict(choice) is None]
    if unparsed:
        raise InputError(f"{path}: [verdict] choice {unparsed[0]!r} does not parse as a verdict")
    return prompt


def _check_values(path: Path, values: dict[str, Any], fields: frozenset[str]) -> None:
    """Every value is a verdict the command counts: else every reply would be unparsable, after the judge is paid."""
    command, allowed = VERDICTS.get(fields, (None, None))
    if allowed is None:
        return
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, str | int) or value not in allowed:
            raise InputError(
                f"{path}: [verdict] values maps {key!r} to {value!r}; {command}'s verdicts are {', '.join(map(repr, sorted(allowed)))}"
            )


# ---- answers files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One answered prompt: its id, the prompt's turns (role, content), the answer's text."""

    id: str
    prompt: tuple[tuple[str, str], ...]
    text: str


@dataclass(frozen=True)
class Answers:
    """An answers file, read whole: its answers in file order, its sha256, the generators its lines name."""

    path: Path
    sha256: str
    answers: tuple[Answer, ...]
    generators: tuple[dict[str, Any], ...]

    @property
    def name(self) -> str:
        """The file's stem, which names the model in reports (`pairwise-<name>.jsonl`)."""
        return self.path.stem

    def record(self) -> dict[str, Any]:
        """The file, its digest and its meta.generator (one, or each distinct one) for a report."""
        generator: Any = self.generators[0] if len(self.generators) == 1 else list(self.generators) or None
        return {"path": str(self.path), "sha256": self.sha256, "answers": len(self.answers), "generator": generator}


ANSWER_SHAPES = (
    'expected {"id", "messages": [..., {"role": "assistant", "content": ...}]} (what lima-train generate writes) '
    'or {"id", "prompt", "answer"}'
)


def read_answers(path: Path) -> Answers:
    """Read an answers file; one InputError line naming `path:line` for the first line of the wrong shape."""
    answers, generators, first_line = [], [], {}
    for line_no, line in _lines(path):
        where = f"{path}:{line_no}"
        record = _json_object(line, where)
        answer = _answer(record, where)
        if answer.id in first_line:
            raise InputError(f"{where}: duplicate id {answer.id!r} (first at line {first_line[answer.id]})")
        first_line[answer.id] = line_no
        answers.append(answer)
        meta = record.get("meta")
        generator = meta.get("generator") if isinstance(meta, dict) else None
        if isinstance(generator, dict) and generator not in generators:
            generators.append(generator)
    if not answers:
        raise InputError(f"{path}: no answers in this file")
    return Answers(path, file_sha256(path), tuple(answers), tuple(generators))


def _answer(record: dict[str, Any], where: str) -> Answer:
    answer_id = record.get("id")
    if isinstance(answer_id, int) and not isinstance(answer_id, bool):
        answer_id = str(answer_id)
    if not isinstance(answer_id, str) or not answer_id:
        raise InputError(f"{where}: {ANSWER_SHAPES}; 'id' (a non-empty string) is missing")
    if isinstance(record.get("messages"), list):
        turns: list[tuple[str, str]] = []
        for index, message in enumerate(record["messages"]):
            if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant"):
                raise InputError(f"{where}: messages[{index}] must be an object with role system, user or assistant")
            if not isinstance(message.get("content"), str):
                raise InputError(f"{where}: messages[{index}] content must be a string")
            turns.append((message["role"], message["content"]))
        if len(turns) < 2 or turns[-1][0] != "assistant" or not any(role == "user" for role, _ in turns[:-1]):
            raise InputError(f"{where}: the messages must hold a user turn and end with the assistant's answer")
        answer = Answer(answer_id, tuple(turns[:-1]), turns[-1][1])
    elif isinstance(record.get("prompt"), str) and isinstance(record.get("answer"), str):
        answer = Answer(answer_id, (("user", record["prompt"]),), record["answer"])
    else:
        found = ", ".join(map(repr, sorted(record))) or "no keys"
        raise InputError(f"{where}: {ANSWER_SHAPES}; found {found}")
    _check_encodable(answer, where)
    return answer


def _check_encodable(answer: Answer, where: str) -> None:
    """JSON's \\ud800 escapes load as lone surrogates, which no UTF-8 report, cache key or request can hold."""
    for what, text in (
        ("the id", answer.id),
        *(("the prompt", content) for _, content in answer.prompt),
        ("the answer", answer.text),
    ):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            escape = f"\\u{ord(text[error.start]):04x}"
            raise InputError(
                f"{where}: {what} holds {escape}, a lone surrogate that is no character (UTF-8 cannot encode it)"
            ) from None


def _some(ids: list[str]) -> str:
    shown = ", ".join(ids[:SHOWN_IDS])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > SHOWN_IDS else f" ({len(ids)})")


def check_same_prompts(model: Answers, baseline: Answers) -> None:
    """Both files answer exactly the same prompts (same ids, same prompt text), else one line naming the baseline."""
    theirs = {answer.id: answer for answer in baseline.answers}
    ours = {answer.id for answer in model.answers}
    missing = [answer.id for answer in model.answers if answer.id not in theirs]
    if missing:
        raise InputError(f"{baseline.path}: no answer to {len(missing)} prompt(s) answered in {model.path}: {_some(missing)}")
    extra = [answer.id for answer in baseline.answers if answer.id not in ours]
    if extra:
        raise InputError(f"{baseline.path}: answers {len(extra)} prompt(s) that {model.path} does not: {_some(extra)}")
    differ = [answer.id for answer in model.answers if _text(answer.prompt) != _text(theirs[answer.id].prompt)]
    if differ:
        raise InputError(f"{baseline.path}: the prompt text differs from {model.path}'s for {len(differ)} id(s): {_some(differ)}")


def _text(turns: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((role, content.strip()) for role, content in turns)


def prompt_text(turns: tuple[tuple[str, str], ...]) -> str:
    """The prompt as the judge reads it: a single user turn as it is, several turns as a transcript."""
    if len(turns) == 1 and turns[0][0] == "user":
        return turns[0][1]
    return "\n\n".join(f"{role.capitalize()}: {content}" for role, content in turns)


# ---- asking the judge ----------------------------------------------------------------------------


def ask_all(judge: Judge, requests: list[Request], on_reply: OnReply | None = None) -> list[Reply]:
    """Every request's reply from one `ask`, so the judge keeps its requests in flight throughout and no slow
    reply (a long Retry-After) holds up the others; `on_reply` hears each as it lands (progress)."""
    replies = judge.ask(requests, on_reply=on_reply)
    if len(replies) != len(requests):
        raise RuntimeError(f"judge {judge.id} returned {len(replies)} replies to {len(requests)} requests")
    return replies


def _reply_record(reply: Reply, verdict: Any) -> dict[str, Any]:
    return {"verdict": verdict, "reply": reply.text, "error": reply.error, "cached": reply.cached}


# ---- pairwise ------------------------------------------------------------------------------------


def pairwise_requests(prompt: JudgePrompt, model: Answers, baseline: Answers) -> list[Request]:
    """Two requests per prompt, in the model's order: model's answer shown first, then the baseline's first."""
    theirs = {answer.id: answer for answer in baseline.answers}
    requests = []
    for ours in model.answers:
        question = prompt_text(ours.prompt)
        other = theirs[ours.id].text
        requests.append(prompt.request(question=question, answer_a=ours.text, answer_b=other))
        requests.append(prompt.request(question=question, answer_a=other, answer_b=ours.text))
    return requests


def pairwise_records(prompt: JudgePrompt, model: Answers, replies: list[Reply]) -> list[dict[str, Any]]:
    """Per prompt: both verdicts from the model's side (A the model, B the baseline) with the judge's reasons, and the result."""
    records = []
    for index, answer in enumerate(model.answers):
        shown_first, shown_second = replies[2 * index], replies[2 * index + 1]
        sides = (_side(prompt, shown_first, model_first=True), _side(prompt, shown_second, model_first=False))
        records.append(
            {
                "id": answer.id,
                "result": _outcome(sides, (shown_first, shown_second)),
                "verdicts": [
                    {"order": "A first", **_reply_record(shown_first, sides[0])},
                    {"order": "B first", **_reply_record(shown_second, sides[1])},
                ],
            }
        )
    return records


def _side(prompt: JudgePrompt, reply: Reply, model_first: bool) -> str | None:
    verdict = prompt.verdict(reply.text) if reply.text is not None else None
    if verdict not in PAIRWISE_VERDICTS:
        return None
    if verdict == "neither":
        return "neither"
    return "A" if (verdict == "first") == model_first else "B"


def _outcome(sides: tuple[str | None, str | None], replies: tuple[Reply, Reply]) -> str:
    """LIMA's rule: the same verdict in both orders counts; any disagreement between the orders is a tie."""
    if any(reply.text is None for reply in replies):
        return "failed"
    if None in sides:
        return "unparsable"
    if sides[0] != sides[1]:
        return "tie"
    return {"A": "win", "B": "loss", "neither": "tie"}[str(sides[0])]


def pairwise_summary(records: list[dict[str, Any]], resamples: int, seed: int) -> dict[str, Any]:
    """A's win, tie and loss rates over the prompts with both verdicts, each with its bootstrap 95% interval."""
    counts = {outcome: sum(r["result"] == outcome for r in records) for outcome in OUTCOMES}
    n = sum(counts.values())
    intervals = bootstrap_proportions([counts[o] for o in OUTCOMES], resamples, seed)
    rates = {
        outcome: {"rate": _round(counts[outcome] / n) if n else None, "ci95": intervals[i] if intervals else None}
        for i, outcome in enumerate(OUTCOMES)
    }
    return {
        "prompts": len(records),
        "n": n,
        "counts": counts,
        **rates,
        "unparsable": sum(r["result"] == "unparsable" for r in records),
        "failed": sum(r["result"] == "failed" for r in records),
    }


# ---- ratings -------------------------------------------------------------------------------------


def rating_requests(prompt: JudgePrompt, answers: Answers) -> list[Request]:
    """One request per answer: the task and the submission."""
    return [prompt.request(task=prompt_text(a.prompt), submission=a.text) for a in answers.answers]


def rating_records(prompt: JudgePrompt, answers: Answers, replies: list[Reply]) -> list[dict[str, Any]]:
    """Per prompt: the score (None when failed or unparsable), its status, and the judge's reply."""
    records = []
    for answer, reply in zip(answers.answers, replies):
        score = prompt.verdict(reply.text) if reply.text is not None else None
        score = score if score in SCORES else None
        status = "failed" if reply.text is None else ("rated" if score is not None else "unparsable")
        records.append(
            {"id": answer.id, "score": score, "status": status, "reply": reply.text, "error": reply.error, "cached": reply.cached}
        )
    return records


def rating_summary(records: list[dict[str, Any]], resamples: int, seed: int) -> dict[str, Any]:
    """The mean score over rated prompts with its bootstrap 95% interval, the distribution, and what was left out."""
    scores = [r["score"] for r in records if r["status"] == "rated"]
    distribution = {str(s): scores.count(s) for s in SCORES}
    return {
        "prompts": len(records),
        "n": len(scores),
        "mean": _round(sum(scores) / len(scores)) if scores else None,
        "ci95": bootstrap_mean(distribution, resamples, seed),
        "distribution": distribution,
        "unparsable": sum(r["status"] == "unparsable" for r in records),
        "failed": sum(r["status"] == "failed" for r in records),
    }


# ---- the bootstrap -------------------------------------------------------------------------------


def _draws(counts: list[int], resamples: int, seed: int):
    """Resampled outcome counts: n prompts drawn with replacement is a multinomial of the observed shares."""
    import numpy as np

    n = sum(counts)
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.asarray(counts, dtype=float) / n, size=resamples), n


def bootstrap_proportions(counts: list[int], resamples: int, seed: int) -> list[list[float]] | None:
    """The percentile 95% interval of each category's share, resampling prompts; None with no prompts."""
    import numpy as np

    if sum(counts) == 0:
        return None
    draws, n = _draws(counts, resamples, seed)
    low, high = np.quantile(draws / n, [0.025, 0.975], axis=0)
    return [[_round(a), _round(b)] for a, b in zip(low, high)]


def bootstrap_mean(distribution: dict[str, int], resamples: int, seed: int) -> list[float] | None:
    """The percentile 95% interval of the mean score, resampling prompts; None with no scores."""
    import numpy as np

    counts = [distribution[str(s)] for s in SCORES]
    if sum(counts) == 0:
        return None
    draws, n = _draws(counts, resamples, seed)
    means = draws @ np.asarray(SCORES, dtype=float) / n
    low, high = np.quantile(means, [0.025, 0.975])
    return [_round(low), _round(high)]


def _round(value: float) -> float:
    return round(float(value), 6)


def bootstrap_record(resamples: int, seed: int) -> dict[str, Any]:
    """How the intervals were made, for the report."""
    return {"resamples": resamples, "seed": seed, "confidence": 0.95, "method": "percentile, prompts resampled with replacement"}


# ---- provenance ----------------------------------------------------------------------------------


def provenance_tool() -> dict[str, Any]:
    """The tool's version and the command line that made a report."""
    return {"tool": {"name": "lima-train", "version": __version__}, "command": [Path(sys.argv[0]).name, *sys.argv[1:]]}


def provenance(judge: Judge, prompt: JudgePrompt) -> dict[str, Any]:
    """What every summary.json records besides its inputs: the judge, its prompt file, the tool, the command."""
    return {"judge": {"id": judge.id, "prompt": prompt.record()}, **provenance_tool()}


def ids_sha256(answers: Answers) -> str:
    """A digest of the prompt ids rated, sorted: two ratings compare only over the same prompts."""
    import hashlib

    return hashlib.sha256(canonical_json(sorted(a.id for a in answers.answers)).encode("utf-8")).hexdigest()


# ---- ablations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatedRun:
    """One `eval rate` folder read back: its summary, and the manifest its answers' model was trained on."""

    folder: Path
    summary: dict[str, Any]
    summary_sha256: str
    manifest: Path | None
    manifest_sha256: str | None


def json_file(path: Path):
    """A JSON file a report is built from (a summary, a card), or one line naming it when it is not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not valid JSON: {error}") from None


def read_rated(folder: Path) -> RatedRun:
    """A rated folder's summary.json: a rating with at least one score, and the manifest its generator names."""
    path = folder / "summary.json"
    if not path.is_file():
        raise InputError(f"{path}: not found; rate the run's answers first (lima-train eval rate ANSWERS --out {folder})")
    summary = json_file(path)
    if not isinstance(summary, dict) or summary.get("kind") != "rating":
        raise InputError(f"{path}: not the summary of lima-train eval rate (kind 'rating')")
    if summary.get("mean") is None:
        raise InputError(f"{path}: no answer was rated (n = 0); nothing to plot")
    generator = summary.get("answers", {}).get("generator")
    generators = generator if isinstance(generator, list) else [generator] if isinstance(generator, dict) else []
    manifests = {(g.get("manifest"), g.get("manifest_sha256")) for g in generators if isinstance(g, dict)}
    if len(manifests) > 1:
        raise InputError(f"{path}: its answers come from models trained on {len(manifests)} different manifests")
    manifest, manifest_sha256 = next(iter(manifests), (None, None))
    return RatedRun(folder, summary, file_sha256(path), Path(manifest) if manifest else None, manifest_sha256)


def check_comparable(runs: list[RatedRun]) -> None:
    """One figure, one yardstick: the same judge, the same prompt file, the same prompts for every run."""
    first = runs[0]
    for run in runs[1:]:
        for key, what in (("judge", "judge and judge prompt"), ("ids_sha256", "prompts")):
            if run.summary.get(key) != first.summary.get(key):
                raise InputError(
                    f"{run.folder / 'summary.json'}: rated with other {what} than {first.folder / 'summary.json'}; "
                    "scores compare only under one judge, one prompt file and one prompt set"
                )


def card_label(run: RatedRun, axis: str) -> tuple[str, int | None]:
    """A run's label from its manifest's card: the total for `size`, the ablation variant (or recipe name) otherwise."""
    where = run.folder / "summary.json"
    if run.manifest is None:
        raise InputError(f"{where}: its answers name no manifest (meta.generator.manifest); pass --label")
    card_path = run.manifest.with_name(f"{run.manifest.stem}.card.json")
    if not card_path.is_file():
        raise InputError(f"{card_path}: card of {run.manifest} not found (the run's manifest); pass --label")
    card = json_file(card_path)
    if not isinstance(card, dict):
        raise InputError(f"{card_path}: expected a JSON object (a lima-curate card)")
    if run.manifest_sha256 and card.get("digest") not in (None, run.manifest_sha256):
        raise InputError(f"{card_path}: its digest is not the sha256 of the manifest the run trained on (the set changed since)")
    if axis == "size":
        if not isinstance(card.get("total"), int) or isinstance(card.get("total"), bool):
            raise InputError(f"{card_path}: no 'total' (examples in the set); pass --label")
        return f"{card['total']:,}", card["total"]
    ablation = card.get("ablation") if isinstance(card.get("ablation"), dict) else {}
    label = ablation.get("variant") or card.get("name")
    if not isinstance(label, str) or not label:
        raise InputError(f"{card_path}: neither 'ablation.variant' nor 'name'; pass --label")
    return label, None


def read_rated_runs(folders: list[Path]) -> list[RatedRun]:
    """The rated folders of one figure, read and checked comparable (one judge, prompt file and prompt set)."""
    runs = [read_rated(folder) for folder in folders]
    check_comparable(runs)
    return runs


def ablation_title(runs: list[RatedRun]) -> str:
    """The default figure title: the judge, its prompt file and the prompts, which every run shares (ids_sha256)."""
    judge = runs[0].summary.get("judge", {})
    return f"judge {judge.get('id')}, prompt {judge.get('prompt', {}).get('file')}, {runs[0].summary.get('prompts')} prompts"


def ablation_points(runs: list[RatedRun], axis: str, labels: list[str]) -> list[dict[str, Any]]:
    """One point per rated run: label, x (the set size), mean and interval, and where each number came from."""
    if labels and len(labels) != len(runs):
        raise InputError(f"--label given {len(labels)} time(s) for {len(runs)} rated folder(s); give one per folder, in order")
    points = []
    for index, run in enumerate(runs):
        if labels:
            label, x = labels[index], None
            if axis == "size":
                x = _size_label(label)
        else:
            label, x = card_label(run, axis)
        summary = run.summary
        points.append(
            {
                "label": label,
                "x": x,
                "mean": summary["mean"],
                "ci95": summary["ci95"],
                "n": summary["n"],
                "summary": str(run.folder / "summary.json"),
                "summary_sha256": run.summary_sha256,
                "answers_sha256": summary.get("answers", {}).get("sha256"),
                "manifest": str(run.manifest) if run.manifest else None,
                "manifest_sha256": run.manifest_sha256,
            }
        )
    return sorted(points, key=lambda p: p["x"]) if axis == "size" else points


def _size_label(label: str) -> int:
    try:
        size = int(label.replace(",", "").replace("_", ""))
    except ValueError:
        size = 0
    if size < 1:
        raise InputError(f"--label {label!r}: with --x size a label is the set's size, a whole number above 0")
    return size
