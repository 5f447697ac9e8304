"""How fast ``lima-curate stats`` is, and how flat its memory stays, on large manifests.

    python benchmarks/stats_large.py                  # 1k, 10k and 100k examples
    python benchmarks/stats_large.py --sizes 100000 --tokenizer PATH

Manifests are generated in a temporary folder with LIMA's mix of subsets and roughly LIMA's lengths
(lognormal around the paper's mean output tokens, 4 characters a token), some code blocks and lists.
Each size runs in a fresh process, which reports its wall and CPU time (CPU time is the steadier
figure on a shared machine) and peak RSS (getrusage), so that the figures are not mixed with the
generator's. Memory should stay flat in the number of examples apart from 64 bytes an example of
length arrays.

The estimate's error against LLaMA-1/2's own tokenizer is measured by ``benchmarks/tokens_llama.py
calibrate`` (docs/stats.md).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--tokenizer", help="count with this tokenizer instead of the estimate")
    args = parser.parse_args()
    start = time.perf_counter()
    run_sizes(args.sizes, args.tokenizer)
    print(f"(benchmark ran {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
