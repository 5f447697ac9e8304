"""LLaMA-1/2's own 32k tokenizer, rebuilt on this machine from a public npm package, and the token
estimate of ``stats`` measured against it on LIMA-like text.

    make llama-tokenizer                                  # npm pack llama-tokenizer-js into data/
    python benchmarks/tokens_llama.py build data/llama-tokenizer.json   # a tokenizer.json for --tokenizer
    python benchmarks/tokens_llama.py check               # the package's own test cases, id for id
    python benchmarks/tokens_llama.py calibrate           # per subset: LLaMA's count, the estimate, the error

Why a package and not Meta's files: the repository must not ship Meta's vocabulary, and no model hub
is reachable here. The npm package ``llama-tokenizer-js`` (MIT code; the vocabulary is Meta's) holds
the vocabulary and the BPE merges base64-encoded in ``llama-tokenizer.js``; its ``data-conversion.py``
shows how they were packed from LLaMA's ``tokenizer.json``: the vocabulary as its pieces joined by
newlines (a piece's line is its id), the merges as pairs of little-endian uint16 ids, in priority
order. Unpacking reverses that, and the pieces become a Hugging Face ``tokenizers`` BPE laid out as
LLaMA's own tokenizer.json is: byte fallback, ``<unk>`` fused, a normalizer that prepends ``▁`` and
turns every space into ``▁``, no pre-tokenizer, ``<s>`` added by the post-processor.

The package is found at ``$LIMA_LLAMA_TOKENIZER_JS`` or, by default, at
``data/llama-tokenizer-js/package/llama-tokenizer.js`` (``make llama-tokenizer`` puts it there;
``data/`` is ignored by git).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import struct
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_JS = ROOT / "data" / "llama-tokenizer-js" / "package" / "llama-tokenizer.js"
ENV = "LIMA_LLAMA_TOKENIZER_JS"
SPECIALS = ("<unk>", "<s>", "</s>")  # ids 0, 1, 2 in LLaMA's vocabulary


def package_js() -> Path:
    """Where the package's ``llama-tokenizer.js`` is expected: ``$LIMA_LLAMA_TOKENIZER_JS`` or the data/ default."""
    return Path(os.environ.get(ENV) or PACKAGE_JS)


def _js_string(source: str, name: str) -> str:
    match = re.search(rf'^const {name} = "([A-Za-z0-9+/=]*)"', source, re.MULTILINE)
    if match is None:
        raise ValueError(f"{name} not found: not the llama-tokenizer-js file this script knows")
    return match.group(1)


def read_package(js: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """The vocabulary (a piece per id) and the merges (pairs of pieces, highest priority first),
    unpacked as ``data-conversion.py`` packed them."""
    source = js.read_text(encoding="utf-8")
    vocab = base64.b64decode(_js_string(source, "llama_vocab_base64")).decode("utf-8").split("\n")
    packed = base64.b64decode(_js_string(source, "llama_merges_binary"))
    ids = struct.unpack(f"<{len(packed) // 2}H", packed)
    merges = [(vocab[ids[i]], vocab[ids[i + 1]]) for i in range(0, len(ids), 2)]
    return vocab, merges


def build_tokenizer(js: Path):
    """LLaMA-1/2's tokenizer as a ``tokenizers.Tokenizer``, laid out like LLaMA's tokenizer.json."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, processors

    vocab, merges = read_package(js)
    if len(vocab) != 32000 or vocab[: len(SPECIALS)] != list(SPECIALS):
        raise ValueError(f"{js}: expected LLaMA's 32,000 pieces starting {SPECIALS}, found {len(vocab)}")
    model = models.BPE({piece: i for i, piece in enumerate(vocab)}, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True)
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tokenizer.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    tokenizer.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in SPECIALS])
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    return tokenizer


def package_cases(js: Path) -> list[tuple[str, list[int]]]:
    """The package's own encode tests (``testCase(text, [ids])`` in ``defaultTests``): text and the
    ids LLaMA gives it, ``<s>`` first."""
    source = js.read_text(encoding="utf-8")
    cases = []
    for quoted, ids in re.findall(r"testCase\(\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')\s*,\s*\[([\d,\s]*)\]\s*\)", source):
        text = json.loads('"' + quoted[1:-1].replace('"', '\\"') + '"' if quoted[0] == "'" else quoted, strict=False)
        cases.append((text, [int(i) for i in ids.split(",") if i.strip()]))
    return cases


def check(js: Path) -> list[str]:
    """Each package test case the rebuilt tokenizer gets wrong, as a line (empty: all match)."""
    tokenizer = build_tokenizer(js)
    wrong = []
    for text, expected in package_cases(js):
        ids = tokenizer.encode(text).ids
        if ids != expected:
            wrong.append(f"{text[:40]!r}: expected {expected[:12]}..., got {ids[:12]}...")
        elif tokenizer.decode(ids) != text:
            wrong.append(f"{text[:40]!r}: decodes to {tokenizer.decode(ids)[:40]!r}")
    return wrong


# -- LIMA-like text per subset ---------------------------------------------------------------------

REAL = ROOT.parent / "shared" / "real"
SAMPLE = ROOT / "manifests" / "sample" / "manifest.jsonl"


def manifest_texts(path: Path) -> dict[str, dict[str, list[str]]]:
    """Prompts and responses per subset of a manifest, each the user or assistant turns joined by a
    blank line (as ``stats`` joins them)."""
    texts: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"prompt": [], "response": []})
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        _add(texts[row["subset"]], row["messages"])
    return texts


def real_texts() -> dict[str, dict[str, list[str]]]:
    """Every candidate the project's readers make of ../shared/real (LIMA's recipe settings), per
    subset: the text a build would filter and sample from. Empty when ../shared/real is absent."""
    from collections import Counter

    from lima_curate import sources
    from lima_curate.recipe import load_recipe

    recipe = load_recipe(ROOT / "filters" / "lima.toml")
    texts: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"prompt": [], "response": []})
    for source in ("stackexchange", "wikihow", "writingprompts", "superni"):
        if not (REAL / source).is_dir():
            continue
        reader = sources.get(source)
        for unit in reader.units(REAL / source):
            for candidate in reader.read(unit, recipe.sources[source], 7, Counter()):
                _add(texts[candidate.subset], candidate.messages)
    return texts


def _add(texts: dict[str, list[str]], turns) -> None:
    texts["prompt"].append("\n\n".join(m["content"] for m in turns if m["role"] != "assistant"))
    texts["response"].append("\n\n".join(m["content"] for m in turns if m["role"] == "assistant"))


def calibration_texts() -> dict[str, dict[str, dict[str, list[str]]]]:
    """LIMA-like text per corpus and subset: the real dumps through the readers (when ../shared/real
    is there) and the shipped sample manifest. Texts that are empty are left out."""
    corpora = {"real": real_texts(), "sample": manifest_texts(SAMPLE) if SAMPLE.exists() else {}}
    return {
        name: {subset: {side: [t for t in texts[side] if t] for side in texts} for subset, texts in sorted(corpus.items())}
        for name, corpus in corpora.items()
        if corpus
    }


def measure(tokenizer, corpora: dict) -> list[dict]:
    """Per corpus, subset and side (prompt, response): texts, LLaMA's tokens, the estimate's, the error."""
    from lima_curate.stats_tokens import estimate_tokens

    rows = []
    for name, subsets in corpora.items():
        for subset, sides in subsets.items():
            for side, texts in sides.items():
                llama = sum(len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False))
                estimate = sum(estimate_tokens(texts))
                error = (estimate - llama) / llama if llama else 0.0
                rows.append({"corpus": name, "subset": subset, "side": side, "texts": len(texts),
                             "llama": llama, "estimate": estimate, "error": error})  # fmt: skip
    return rows


# -- fitting the letters' prices -------------------------------------------------------------------

# The normalised text cut where LLaMA's pieces may start: spaces lead a run of one class.
RUNS = re.compile(r"(▁*)([^\W\d_]+|\d|(?:[^\w\s▁]|_)+|\s)|(▁+)$", re.S)
CASES = ("lower", "Capital", "UPPER", "MiXed")


def fit(tokenizer, corpora: dict) -> dict[tuple[int, int], tuple[float, float]]:
    """KNEE and SLOPE per (case, led by one space) for runs of ASCII letters: the least-squares
    ``1 + slope * max(0, letters - knee)`` through LLaMA's mean pieces per length (knee on a 0.5 grid).
    LLaMA's pieces never cross a run (they are counted run by run, which sums to the whole text's count)."""
    import numpy as np

    seen: dict[tuple[int, int], dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for subsets in corpora.values():
        for sides in subsets.values():
            for texts in sides.values():
                for text in texts:
                    for match in RUNS.finditer("▁" + text.replace(" ", "▁")):
                        spaces, letters = match.group(1) or "", match.group(2) or ""
                        if len(spaces) > 1 or not letters.isascii() or not letters.isalpha():
                            continue
                        uppers = sum(c.isupper() for c in letters)
                        case = (
                            0 if not uppers else 1 if uppers == 1 and letters[0].isupper() else 2 if uppers == len(letters) else 3
                        )
                        entry = seen[(case, len(spaces))][len(letters)]
                        entry[0] += 1
                        entry[1] += len(tokenizer.model.tokenize(match.group(0)))
    fitted = {}
    for key, by_length in sorted(seen.items()):
        lengths = np.array(sorted(by_length), dtype=float)
        runs = np.array([by_length[n][0] for n in sorted(by_length)], dtype=float)
        mean = np.array([by_length[n][1] for n in sorted(by_length)]) / runs
        best = None
        for knee in np.arange(0, 8, 0.5):
            excess = np.maximum(0, lengths - knee)
            slope = (runs * excess * (mean - 1)).sum() / max((runs * excess * excess).sum(), 1e-9)
            loss = (runs * (1 + slope * excess - mean) ** 2).sum()
            if best is None or loss < best[0]:
                best = (loss, float(knee), round(float(slope), 2))
        fitted[key] = best[1:]
    return fitted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["build", "check", "calibrate"])
    parser.add_argument("out", nargs="?", help="build: where to write tokenizer.json")
    parser.add_argument("--fit", action="store_true", help="calibrate: also fit KNEE and SLOPE on ../shared/real")
    args = parser.parse_args()
    js = package_js()
    if not js.exists():
        print(f"{js}: not found: run `make llama-tokenizer` (or set {ENV})", file=sys.stderr)
        return 2
    if args.command == "build":
        out = Path(args.out or ROOT / "data" / "llama-tokenizer.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        build_tokenizer(js).save(str(out))
        print(f"wrote {out}: pass it to `lima-curate stats --tokenizer {out}`")
        return 0
    if args.command == "check":
        wrong = check(js)
        print("\n".join(wrong) or f"all {len(package_cases(js))} of the package's test cases match, id for id")
        return 1 if wrong else 0
    tokenizer = build_tokenizer(js)
    corpora = calibration_texts()
    print(f"{'corpus':7} {'subset':15} {'side':9} {'texts':>5} {'LLaMA':>8} {'estimate':>8} {'error':>7}")
    for row in measure(tokenizer, corpora):
        print(
            f"{row['corpus']:7} {row['subset']:15} {row['side']:9} {row['texts']:5} {row['llama']:8,} {row['estimate']:8,} {row['error']:+7.1%}"
        )
    if args.fit:
        print("\nfitted on ../shared/real (case, led by one space): knee, slope")
        for (case, led), (knee, slope) in fit(tokenizer, {"real": corpora.get("real", {})}).items():
            print(f"  {CASES[case]:8} {led}: {knee:4} {slope:5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
