"""How fast ``lima-curate stats`` is, and how flat its memory stays, on large manifests.

    python benchmarks/stats_large.py                  # 1k, 10k and 100k examples
    python benchmarks/stats_large.py --sizes 100000 --tokenizer PATH
    python benchmarks/stats_large.py --estimate-error # the token estimate against a locally trained BPE

Manifests are generated in a temporary folder with LIMA's mix of subsets and roughly LIMA's lengths
(lognormal around the paper's mean output tokens, 4 characters a token), some code blocks and lists.
Each size runs in a fresh process, which reports its wall and CPU time (CPU time is the steadier
figure on a shared machine) and peak RSS (getrusage), so that the figures are not mixed with the
generator's. Memory should stay flat in the number of examples apart from 64 bytes an example of
length arrays.

``--estimate-error`` trains a LLaMA-like BPE (32k vocabulary, SentencePiece-style pieces: a space
joins the next word, digits split, punctuation and letters never merge, byte fallback) on 80% of
real texts from ../shared/real (Stack Exchange questions and answers of two sites as markdown, their
titles, wikiHow steps, r/AskWomen posts, Super-NI instances) plus the shipped samples, and compares
the estimate with it on the other 20%.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lima_curate.records import Candidate, chat  # noqa: E402

# subset -> (share of examples, mean prompt tokens, mean response tokens): LIMA's Table 1
MIX = {
    "se_stem": (0.2, 117, 523),
    "se_other": (0.2, 119, 530),
    "wikihow": (0.2, 12, 1811),
    "writingprompts": (0.15, 34, 274),
    "superni": (0.05, 236, 92),
    "authored": (0.2, 40, 334),
}
SOURCE = {"se_stem": "stackexchange", "se_other": "stackexchange"}
WORDS = (
    "the of and to in is that for it as with was on be by this are or from at which an have not can "
    "water bread answer question kettle temperature function variable example because however"
).split()


def corpus(rng: random.Random, chars: int = 4_000_000) -> str:
    """A long text to cut examples from: words, sentences, paragraphs, lists and code fences."""
    parts, size = [], 0
    while size < chars:
        roll = rng.random()
        if roll < 0.05:
            piece = "```python\ndef f(x):\n    return x * 2\n```\n\n"
        elif roll < 0.12:
            piece = "".join(f"- {' '.join(rng.choices(WORDS, k=6))}\n" for _ in range(3)) + "\n"
        else:
            piece = " ".join(rng.choices(WORDS, k=rng.randint(8, 25))).capitalize() + ". "
            piece += "\n\n" if rng.random() < 0.2 else ""
        parts.append(piece)
        size += len(piece)
    return "".join(parts)


def generate(path: Path, n: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    text = corpus(rng)
    subsets = list(MIX)
    weights = [MIX[s][0] for s in subsets]
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            subset = rng.choices(subsets, weights)[0]
            _, prompt_tokens, response_tokens = MIX[subset]
            lengths = [max(8, int(4 * rng.lognormvariate(0, 0.5) * mean)) for mean in (prompt_tokens, response_tokens)]
            cuts = [rng.randrange(len(text) - length) for length in lengths]
            prompt, response = (text[c : c + length] for c, length in zip(cuts, lengths))
            meta = (
                {"site": f"site{rng.randrange(40)}.stackexchange.com"}
                if subset.startswith("se_")
                else {
                    "wikihow": {"category": f"category {rng.randrange(19)}"},
                    "superni": {"task": f"task{rng.randrange(50)}"},
                }.get(subset, {})
            )
            candidate = Candidate(
                id=f"bench/{i:07d}",
                source=SOURCE.get(subset, subset),
                subset=subset,
                group="",
                messages=chat(prompt, response),
                meta=meta,
            )
            line = candidate.manifest_line() + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
    return written


CHILD = """
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from lima_curate import stats, stats_tokens
tokens = stats_tokens.tokenizer_counter(Path(sys.argv[2])) if len(sys.argv) > 2 else stats_tokens.ESTIMATE
if sys.argv[1] == "-":
    result = None
else:
    result = stats.compute_stats(Path(sys.argv[1]), tokens).to_json()
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
                  "total_tokens": result and result["total"]["tokens"]}))
"""


def measure(path: str, tokenizer: str | None) -> dict:
    command = [sys.executable, "-c", CHILD, path] + ([tokenizer] if tokenizer else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_sizes(sizes: list[int], tokenizer: str | None) -> None:
    baseline = measure("-", tokenizer)
    what = "imports, tokenizer" if tokenizer else "imports"
    print(f"start-up only ({what}): {baseline['seconds']:.2f} s, peak RSS {baseline['peak_rss_mb']:.0f} MB")
    print(f"{'examples':>10} {'file MB':>9} {'seconds':>8} {'CPU s':>6} {'MB/s':>6} {'peak RSS MB':>12} {'total tokens':>14}")
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            path = Path(folder) / f"manifest-{n}.jsonl"
            size = generate(path, n)
            figures = measure(str(path), tokenizer)
            print(
                f"{n:>10,} {size / 1e6:>9.1f} {figures['seconds']:>8.2f} {figures['cpu_seconds']:>6.2f} "
                f"{size / 1e6 / figures['seconds']:>6.0f} {figures['peak_rss_mb']:>12.0f} {figures['total_tokens']:>14,}"
            )
            path.unlink()


# -- the estimate's error --------------------------------------------------------------------------

REAL = ROOT.parent / "shared" / "real"


def calibration_texts() -> list[tuple[str, str]]:
    """(kind, text) pairs from real third-party files and the shipped samples."""
    import glob
    import io

    import lxml.html
    import py7zr
    import zstandard
    from lxml import etree

    from lima_curate.markup import html_to_markdown

    texts = []
    scratch = tempfile.TemporaryDirectory()
    with py7zr.SevenZipFile(REAL / "stackexchange" / "beer.stackexchange.com.7z") as archive:
        archive.extract(path=scratch.name, targets=["Posts.xml"])
    posts = [REAL / "stackexchange" / "cardano.stackexchange.com" / "Posts.xml", Path(scratch.name) / "Posts.xml"]
    for path in posts:
        for _, row in etree.iterparse(str(path), tag="row"):
            if row.get("PostTypeId") in ("1", "2") and row.get("Body"):
                texts.append(("stackexchange", html_to_markdown(row.get("Body"))))
            if row.get("Title"):
                texts.append(("title", row.get("Title")))
            row.clear()
    scratch.cleanup()
    for path in sorted(glob.glob(str(REAL / "wikihow" / "*.html"))):
        steps = lxml.html.parse(path).xpath('//*[contains(concat(" ", @class, " "), " step ")]')
        texts.append(("wikihow", "\n".join(" ".join(s.text_content().split()) for s in steps)))
    with open(REAL / "pushshift" / "AskWomen_submissions.zst", "rb") as handle:
        reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(handle)
        for line in io.TextIOWrapper(reader, encoding="utf-8"):
            row = json.loads(line)
            body = row.get("selftext") or ""
            if len(body) > 200 and body not in ("[deleted]", "[removed]"):
                texts.append(("reddit", f"{row['title']}\n\n{body}"))
    tasks = glob.glob(str(REAL / "superni" / "tasks" / "*.json")) + glob.glob(
        str(ROOT / "samples" / "superni" / "tasks" / "*.json")
    )
    for path in sorted(tasks):
        task = json.loads(Path(path).read_text())
        for instance in task["Instances"]:
            if instance["output"]:
                texts.append(("superni", f"{task['Definition'][0]}\n\n{instance['input']}\n{instance['output'][0]}"))
    for line in (ROOT / "samples" / "authored" / "examples.jsonl").read_text().splitlines():
        texts += [("authored", m["content"]) for m in json.loads(line)["messages"]]
    random.Random(0).shuffle(texts)
    return texts


def llama_like_bpe(texts: list[str]):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(byte_fallback=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False),
            pre_tokenizers.Split(Regex(r"▁?[^\W\d_▁]+|▁?(?:[^\w\s▁]|_)+|\d|▁+|\s+"), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace()
    specials = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(256)]
    tokenizer.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=32000, special_tokens=specials, show_progress=False))
    return tokenizer


def estimate_error() -> None:
    import numpy as np

    from lima_curate.stats_tokens import estimate_tokens

    if not REAL.is_dir():
        print(f"skipped: {REAL} is absent")
        return
    texts = calibration_texts()
    cut = int(len(texts) * 0.8)
    tokenizer = llama_like_bpe([t for _, t in texts[:cut]])
    held_out = texts[cut:]
    kinds = np.array([k for k, _ in held_out])
    bodies = [t for _, t in held_out]
    true = np.array([len(e.ids) for e in tokenizer.encode_batch(bodies, add_special_tokens=False)])
    characters = sum(map(len, bodies))
    print(f"held-out texts: {len(bodies):,}, {characters:,} characters, {characters / true.sum():.2f} characters a token")
    for name, counts in (
        ("word-piece estimate", np.array(estimate_tokens(bodies))),
        ("characters / 4", np.array([len(t) / 4 for t in bodies])),
    ):
        enough = true >= 20
        relative = np.abs(counts[enough] - true[enough]) / true[enough]
        per_kind = ", ".join(f"{k} {counts[kinds == k].sum() / true[kinds == k].sum() - 1:+.1%}" for k in sorted(set(kinds)))
        print(
            f"{name}: total {counts.sum() / true.sum() - 1:+.1%}; per text (>= 20 tokens) median |error| "
            f"{np.median(relative):.1%}, p90 {np.percentile(relative, 90):.1%}; by kind: {per_kind}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--tokenizer", help="count with this tokenizer instead of the estimate")
    parser.add_argument("--estimate-error", action="store_true", help="measure the estimate against a local BPE instead")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.estimate_error:
        estimate_error()
    else:
        run_sizes(args.sizes, args.tokenizer)
    print(f"(benchmark ran {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
