"""The evaluation figures, as PNG bytes: pairwise preference bars and ablation curves.

Each function takes exactly the data that is written beside its PNG as JSON (cli_eval.py writes
both), so a figure can be checked against its numbers. matplotlib is imported inside, with the Agg
backend: no display, and `--help` stays instant. The same data and matplotlib give the same bytes.
"""

from __future__ import annotations

import io
from typing import Any

# LIMA's Figure 1 reads left to right: the model wins, tie, the baseline wins.
WIN, TIE, LOSS = "#4c72b0", "#c7c7c7", "#dd8452"
SHOW_PERCENT_FROM = 0.04  # a segment narrower than this share gets no label (it would not fit)
CROWDED_LABELS = 60  # characters of variant labels in all, past which they are slanted so they do not overlap


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(figure)
    return buffer.getvalue()


def pairwise_png(model: str, rows: list[dict[str, Any]]) -> bytes:
    """Stacked horizontal bars, one per baseline (top to bottom in the order given): model wins / tie / baseline wins.

    `rows` holds {"baseline", "win", "tie", "loss", "n"} with shares in [0, 1] (None when n is 0).
    """
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, 0.6 * len(rows) + 1.4))
    names = [f"{row['baseline']} (n={row['n']})" for row in rows]
    left = [0.0] * len(rows)
    for key, colour, label in (("win", WIN, f"{model} wins"), ("tie", TIE, "Tie"), ("loss", LOSS, f"{model} loses")):
        shares = [row[key] or 0.0 for row in rows]
        bars = axes.barh(names, shares, left=left, color=colour, label=label, edgecolor="white", height=0.6)
        for bar, share in zip(bars, shares):
            if share >= SHOW_PERCENT_FROM:
                x = bar.get_x() + bar.get_width() / 2
                axes.text(x, bar.get_y() + bar.get_height() / 2, f"{share:.0%}", ha="center", va="center", fontsize=9)
        left = [a + b for a, b in zip(left, shares)]
    axes.invert_yaxis()  # the first baseline on top
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter(plt.FuncFormatter(lambda value, _: f"{value:.0%}"))
    axes.set_xlabel(f"share of prompts, {model} against each baseline (orders that disagree count as a tie)")
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _png(figure)


def ablation_png(points: list[dict[str, Any]], axis: str, title: str) -> bytes:
    """Mean helpfulness (1-6) with its 95% interval: against set size on a log axis, or one bar per variant.

    `points` holds {"label", "x", "mean", "ci95": [low, high]}; `x` is the set size when `axis` is "size".
    """
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    means = [p["mean"] for p in points]
    errors = [[p["mean"] - p["ci95"][0] for p in points], [p["ci95"][1] - p["mean"] for p in points]]
    if axis == "size":
        xs = [p["x"] for p in points]
        axes.errorbar(xs, means, yerr=errors, marker="o", capsize=4, color=WIN)
        axes.set_xscale("log", base=2)
        axes.set_xticks(xs, [p["label"] for p in points])
        axes.minorticks_off()
        axes.set_xlabel("training examples (log scale)")
    else:
        positions = list(range(len(points)))
        axes.bar(positions, means, yerr=errors, capsize=4, color=WIN, width=0.6)
        crowded = sum(len(p["label"]) for p in points) > CROWDED_LABELS
        axes.set_xticks(
            positions, [p["label"] for p in points], rotation=20 if crowded else 0, ha="right" if crowded else "center"
        )
        axes.set_xlabel("training set")
    low = min(p["ci95"][0] for p in points)
    high = max(p["ci95"][1] for p in points)
    axes.set_ylim(max(1.0, low - 0.5) if axis == "size" else 1.0, min(6.0, high + 0.5))
    axes.set_ylabel("helpfulness (1-6), mean and 95% interval")
    axes.set_title(title, fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _png(figure)
