"""scripts/eval_loop.sh (make eval-loop) end to end: every step's output is the next one's input, and
the figure traces back to the manifests it was trained on, the judge and its prompt file."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_the_loop_builds_trains_answers_rates_and_plots(tmp_path):
    out = tmp_path / "loop"
    env = {
        **os.environ,
        "OUT": str(out),
        "SIZES": "4,8",
        "EPOCHS": "1",
        "MAX_NEW_TOKENS": "8",
        "BIN": str(Path(sys.executable).parent),
    }
    done = subprocess.run([str(ROOT / "scripts" / "eval_loop.sh")], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    figure = json.loads((out / "quantity.json").read_text())
    assert (out / "quantity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [point["x"] for point in figure["points"]] == [4, 8]
    shipped_prompt = ROOT / "filters" / "judges" / figure["judge"]["prompt"]["file"]
    assert figure["judge"]["prompt"]["sha256"] == sha256(shipped_prompt)
    assert figure["judge"]["id"].startswith(f"hf:{out / 'runs' / 'quantity-8' / 'final'}@")
    for point, size in zip(figure["points"], (4, 8)):
        manifest = out / "sets" / f"quantity-{size}" / "manifest.jsonl"
        card = json.loads((manifest.parent / "manifest.card.json").read_text())
        assert card["total"] == size
        assert point["manifest_sha256"] == sha256(manifest)
        answers = out / "answers" / f"quantity-{size}.jsonl"
        assert point["answers_sha256"] == sha256(answers)
        test_ids = [json.loads(line)["id"] for line in (manifest.parent / "test.jsonl").read_text().splitlines()]
        answered = [json.loads(line) for line in answers.read_text().splitlines()]
        assert [a["id"] for a in answered] == test_ids
        generator = answered[0]["meta"]["generator"]
        assert generator["manifest_sha256"] == sha256(manifest)
        summary = json.loads((out / "rated" / f"quantity-{size}" / "summary.json").read_text())
        assert point["mean"] == summary["mean"] and 1 <= summary["mean"] <= 6
        assert point["n"] == len(test_ids)
