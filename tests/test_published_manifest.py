"""The published sample manifest rebuilds byte for byte from the shipped samples (what CI checks)."""

from __future__ import annotations

import json

from conftest import ROOT, cli

MANIFEST = ROOT / "manifests" / "sample" / "manifest.jsonl"


def test_verify_passes_on_the_published_manifest():
    result = cli("verify", str(MANIFEST), cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebuilt byte for byte" in result.stdout and "input changed" not in result.stderr


def test_published_manifest_fills_every_quota_with_all_six_subsets():
    card = json.loads((MANIFEST.parent / "manifest.card.json").read_text())
    examples = [json.loads(line) for line in MANIFEST.read_text().splitlines()]
    quotas = {s: n for s, n in card["recipe"]["quotas"].items() if n}
    assert set(quotas) == {"se_stem", "se_other", "wikihow", "writingprompts", "superni", "authored"}
    assert {s: sum(e["subset"] == s for e in examples) for s in quotas} == quotas
    assert len({e["id"] for e in examples}) == len(examples) == card["total"]
    assert all(i["path"].startswith("../../samples/") for i in card["inputs"])
    held_out = [
        json.loads(line) for name in ("dev.jsonl", "test.jsonl") for line in (MANIFEST.parent / name).read_text().splitlines()
    ]
    assert held_out and not {e["id"] for e in held_out} & {e["id"] for e in examples}
