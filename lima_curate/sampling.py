"""Deterministic quota sampling.

For one subset with quota Q, the eligible candidates are split into groups (Stack Exchange sites,
wikiHow categories, Super-NI tasks) and each group is put in order: by rank, best first, ties broken
by id (``within = "rank"``), or shuffled by a generator derived from (seed, subset, group)
(``within = "random"``). Then Q draws are made, one candidate per draw: a group is chosen with
probability proportional to ``n_g ** (1 / temperature)``, where ``n_g`` is the group's number of
eligible candidates (fixed for the whole draw), among the groups that still have candidates left,
and the group's next candidate in its order is taken. With temperature 3 (LIMA, Stack Exchange),
large sites still give more than small ones, but far less than in proportion to their size; with
temperature ``inf`` every group is equally likely (wikiHow's 19 categories).

All draws come from one generator derived from (seed, subset), and groups are visited in sorted
order, so the result depends only on the candidates, the recipe and the seed. Because the draws are
sequential, the first k picks of a quota-Q draw are exactly the picks of a quota-k draw: smaller
samples nest inside larger ones. That is what the reserve is: the draws after the quota's
(``reserve``), which replace rejected examples in draw order without changing what was chosen.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict
from typing import Iterable, Sequence

from .recipe import Sampling
from .records import Candidate, rng_for


def group_weights(sizes: dict[str, int], temperature: float) -> dict[str, float]:
    """``n ** (1/temperature)``; ``temperature = inf`` makes every non-empty group weigh 1."""
    exponent = 0.0 if math.isinf(temperature) else 1.0 / temperature
    return {group: float(n) ** exponent for group, n in sizes.items() if n > 0}


def ordered_groups(pool: Iterable[Candidate], how: Sampling, seed: int, subset: str) -> dict[str, list[Candidate]]:
    """Each group's members in the order they are drawn: rank first (ties by id), or a seeded shuffle
    when ``within = "random"``; independent of the pool's order, so of workers and executors."""
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in pool:
        groups[candidate.group].append(candidate)
    ordered = {}
    for group in sorted(groups):
        members = sorted(groups[group], key=lambda c: (-c.rank, c.id))
        if how.within == "random":
            members = sorted(members, key=lambda c: c.id)
            rng_for(seed, "order", subset, group).shuffle(members)
        ordered[group] = members
    return ordered


def draw(pool: Sequence[Candidate], quota: int, how: Sampling, seed: int, subset: str) -> list[Candidate]:
    """Up to ``quota`` candidates; fewer only when the pool runs out (the caller reports the shortfall)."""
    groups = ordered_groups(pool, how, seed, subset)
    weights = group_weights({g: len(members) for g, members in groups.items()}, how.temperature)
    rng = rng_for(seed, "sample", subset)
    taken = {group: 0 for group in groups}
    picks: list[Candidate] = []
    live = [g for g in groups if weights.get(g)]
    while len(picks) < quota and live:
        cumulative = list(itertools.accumulate(weights[g] for g in live))
        index = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
        group = live[min(index, len(live) - 1)]
        picks.append(groups[group][taken[group]])
        taken[group] += 1
        if taken[group] == len(groups[group]):
            live.remove(group)
    return picks


def take_counts(pool: list[Candidate], how: Sampling, seed: int, subset: str) -> list[Candidate]:
    """A fixed number from each group (``counts``), the first ones in the group's order; a group
    with fewer gives what it has (the caller reports the shortfall)."""
    groups = ordered_groups(pool, how, seed, subset)
    return [c for group, n in sorted(how.counts.items()) for c in groups.get(group, [])[:n]]


def reserve(pool: list[Candidate], quota: int, k: int, how: Sampling, seed: int, subset: str) -> list[Candidate]:
    """The next ``k`` draws after a quota's, in draw order: draws ``quota + 1 .. quota + k`` of the same
    sequence (nesting), so the picks stay the picks. With fixed ``counts`` the next members of each
    counted group, one group after another in turn (sorted), so every group has some in reserve; a
    review's reject still takes the first free draw whatever its group, so a review can shift the mix."""
    if not how.counts:
        return draw(pool, quota + k, how, seed, subset)[quota:]
    groups = ordered_groups(pool, how, seed, subset)
    rest = [groups.get(group, [])[n:] for group, n in sorted(how.counts.items())]
    turns = itertools.zip_longest(*rest)
    return [c for turn in turns for c in turn if c is not None][:k]
