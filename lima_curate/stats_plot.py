"""``stats --plot``: a set's length distributions and composition in one PNG, beside LIMA's or another
set's numbers when compared (needs matplotlib, the ``plot`` extra)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError
from .manifest import write_atomic
from .stats import Stats, display_name


def plot(stats: Stats, out: Path, compared: dict[str, Any] | None = None) -> Path:
    """A PNG that reads on its own: response and prompt tokens per subset (log scale, box plots with
    the paper's means where LIMA is compared), and examples per subset beside the compared set."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError(out, "--plot needs matplotlib (pip install 'lima-curate[plot]')") from None

    labels = stats.ordered_subsets()
    figure, axes = plt.subplots(1, 3, figsize=(17, 0.55 * len(labels) + 3.6), constrained_layout=True)
    token_word = "tokens (estimated)" if stats.tokens.estimated else f"tokens ({stats.tokens.name})"
    lima_means = {}
    if compared and compared["right"]["name"].startswith("LIMA"):
        lima_means = {row["label"]: row["right"] for row in compared["rows"] if row["right"]}
    for axis, length, title, key in (
        (axes[0], "response_tokens", "Response length per subset", "response_tokens_mean"),
        (axes[1], "prompt_tokens", "Prompt length per subset", "prompt_tokens_mean"),
    ):
        data = [np.maximum(np.frombuffer(stats.subsets[s].lengths[length], dtype=np.int64), 1) for s in labels]
        axis.boxplot(
            data,
            orientation="horizontal",
            tick_labels=labels,
            whis=(5, 95),
            showmeans=True,
            meanprops={"marker": "o", "markerfacecolor": "black", "markeredgecolor": "black", "markersize": 5},
            flierprops={"marker": ".", "markerfacecolor": "gray", "markeredgecolor": "gray", "markersize": 4},
        )
        for y, subset in enumerate(labels, 1):
            mean = lima_means.get(subset, {}).get(key)
            if mean:
                axis.plot(max(mean, 1), y, marker="D", color="tab:red", linestyle="none")
        axis.set_xscale("log")
        axis.invert_yaxis()
        axis.set_xlabel(f"{token_word} per example, log scale")
        axis.set_title(title)
        axis.grid(axis="x", which="both", alpha=0.3)
    handles = [
        plt.Line2D([], [], marker="o", color="black", markersize=5, linestyle="none", label="mean"),
        plt.Line2D([], [], color="tab:orange", label="median"),
        plt.Rectangle((0, 0), 1, 1, fill=False, label="box p25-p75, whiskers p5-p95"),
        plt.Line2D([], [], marker=".", color="gray", linestyle="none", label="beyond p5-p95"),
    ]
    if lima_means:
        handles.append(
            plt.Line2D([], [], marker="D", color="tab:red", linestyle="none", label="LIMA paper mean (LLaMA tokenizer)")
        )
    figure.legend(handles=handles, loc="outside lower left", ncols=len(handles), fontsize=9, frameon=False)
    composition(axes[2], stats, labels, compared)
    figure.suptitle(
        f"{display_name(stats.path)} ({stats.format}): {stats.total.examples:,} examples, "
        f"{stats.total.summary()['tokens']:,} {token_word}",
        fontsize=13,
    )
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    write_atomic(Path(out), buffer.getvalue())
    return Path(out)


def composition(axis, stats: Stats, labels: list[str], compared: dict[str, Any] | None) -> None:
    """Examples per subset as bars on ``axis``: beside the compared set's when there is one."""
    if compared:
        rows = compared["rows"]
        names = [row["label"] for row in rows]
        left = [row["left"]["examples"] if row["left"] else 0 for row in rows]
        right = [row["right"]["examples"] if row["right"] else 0 for row in rows]
        y = np.arange(len(names))
        axis.barh(y - 0.2, left, height=0.4, label=compared["left"]["name"], color="tab:blue")
        axis.barh(y + 0.2, right, height=0.4, label=compared["right"]["name"], color="tab:gray")
        axis.legend(loc="best", fontsize=8)
    else:
        names = labels
        left = [stats.subsets[s].examples for s in labels]
        y = np.arange(len(names))
        axis.barh(y, left, color="tab:blue")
    for yi, value in zip(y - (0.2 if compared else 0), left):
        axis.text(value, yi, f" {value}", va="center", fontsize=8)
    axis.set_yticks(y, names)
    axis.invert_yaxis()
    axis.set_xlabel("examples")
    axis.set_title("Composition: examples per subset")
    axis.margins(x=0.3)
