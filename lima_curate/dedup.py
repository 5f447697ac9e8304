"""Duplicates and contamination: what keeps one text from entering a build twice, or a test prompt once.

Three checks run over the candidates that passed the filters, always in the build's fixed order
(source, then id), so the first of a group of duplicates is the one kept, whatever the worker count:

- **exact**: the same prompt or the same response after ``normalised`` (case, accents, punctuation
  and spacing removed);
- **contamination**: a training example that contains a dev or test prompt. Overlap is measured in
  word n-grams of the normalised text: the share of a held-out prompt's n-grams that also occur
  anywhere in the example (every turn). A prompt shorter than n words counts as one n-gram of its
  own length, so a short test prompt copied whole into a training example is still caught;
- **near duplicates**: MinHash signatures (datasketch) over word shingles of the whole
  conversation, candidate pairs from a MinHash LSH index, and a pair counts when the estimated
  Jaccard similarity of the two shingle sets reaches the recipe's threshold.

The two turns of a Stack Exchange question and its answer may appear in two subsets at once: as a
single-turn example and as the start of a dialogue chain built from the answer's comments. Such
twins (same ``meta.url``, different subsets) are not duplicates of each other; the build keeps them
from both being chosen instead.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from .filters import Decision
from .records import Candidate

if TYPE_CHECKING:  # datasketch pulls in scipy (~0.4 s); extraction workers never need it
    import numpy as np
    from datasketch import MinHash

SIGNATURE_BATCH = 1024  # candidates hashed per datasketch bulk call


PUNCTUATION = re.compile(r"[^\w\s]")


class _CombiningMarks(dict):
    """A ``str.translate`` table that deletes combining marks (accents after NFKD), filled in for the
    characters actually met (a table of all 1.1M code points took most of a second to build)."""

    def __missing__(self, code: int) -> int | None:
        self[code] = None if unicodedata.combining(chr(code)) else code
        return self[code]


COMBINING_MARKS = _CombiningMarks()


def normalised(text: str) -> str:
    """Case, accents, punctuation and spacing removed: what makes two texts "the same" to a reader."""
    text = text.casefold() if text.isascii() else unicodedata.normalize("NFKD", text).casefold().translate(COMBINING_MARKS)
    return " ".join(PUNCTUATION.sub(" ", text).split())


def exact_keys(candidate: Candidate) -> tuple[str, str]:
    """Digests of the normalised prompt and response ("" for an empty one): what exact duplicates
    are told by, small enough to keep for every survivor of a dump."""
    return tuple(
        hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest() if text else ""  # type: ignore[return-value]
        for text in (normalised(candidate.prompt), normalised(candidate.response))
    )


def conversation_text(candidate: Candidate) -> str:
    """Every turn, user and assistant, in order: the text a near duplicate or a leak can hide in."""
    return "\n".join(message["content"] for message in candidate.messages)


def twins(a: Candidate, b: Candidate) -> bool:
    """The same thread in two subsets (a single-turn example and the dialogue chain that extends it)."""
    url = a.meta.get("url")
    return bool(url) and url == b.meta.get("url") and a.subset != b.subset


# -- exact -----------------------------------------------------------------------------------------


def duplicate_of(candidate: Candidate, seen: dict[str, Candidate], known: tuple[str, str] | None = None) -> Decision | None:
    """Exact or normalised duplicate of a prompt or a response already kept (the first one wins);
    ``known`` are the candidate's ``exact_keys`` when a worker has already computed them."""
    keys = list(zip(("prompt", "response"), known or exact_keys(candidate)))
    for what, text in keys:
        earlier = seen.get(f"{what}:{text}") if text else None
        if earlier is not None and not twins(candidate, earlier):
            return Decision(False, "duplicate", 1, f"same {what} as {earlier.id}")
    for what, text in keys:
        if text:
            seen.setdefault(f"{what}:{text}", candidate)
    return None


# -- contamination ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldOutPrompt:
    """A dev or test prompt reduced to what the contamination check compares: its n-grams."""

    id: str
    split: str
    ngrams: frozenset[str]
    size: int  # the n of its n-grams: the recipe's n, or fewer for a prompt shorter than that


def word_ngrams(words: Sequence[str], n: int) -> set[str]:
    """Every run of ``n`` consecutive words, joined by spaces; none when there are fewer than ``n``."""
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def grams_within(words: Sequence[str], n: int, vocabulary: set[str], first: set[str]) -> set[str]:
    """The word n-grams of ``words`` that could be a held-out prompt's: every word in the prompts'
    ``vocabulary`` and the first one in ``first``. Only runs of at least n such words are looked at
    (building every n-gram of every example was most of the cost of decontaminating a large build)."""
    found: set[str] = set()
    start = 0
    for end, word in enumerate([*words, None]):
        if word is not None and word in vocabulary:
            continue
        if end - start >= n:
            found.update(" ".join(words[i : i + n]) for i in range(start, end - n + 1) if words[i] in first)
        start = end + 1
    return found


def held_out_prompts(held_out: dict[str, list[Candidate]], n: int) -> list[HeldOutPrompt]:
    """The held-out prompts with words, in split then id order; a prompt under ``n`` words is one n-gram."""
    prompts = []
    for split in sorted(held_out):
        for candidate in sorted(held_out[split], key=lambda c: c.id):
            words = normalised(candidate.prompt).split()
            if words:
                size = min(n, len(words))
                prompts.append(HeldOutPrompt(candidate.id, split, frozenset(word_ngrams(words, size)), size))
    return prompts


def contamination(
    candidates: Iterable[Candidate], held_out: dict[str, list[Candidate]], n: int, threshold: float
) -> dict[str, Decision]:
    """Candidate id -> why it is dropped, for every training candidate that overlaps a dev or test
    prompt: at least ``threshold`` of the prompt's word ``n``-grams occur in the candidate.

    The held-out prompt with the highest overlap is named (ties: the first in split, id order).
    """
    prompts = held_out_prompts(held_out, n)
    if not prompts or threshold <= 0:
        return {}
    index: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))  # size -> n-gram -> prompts
    for number, prompt in enumerate(prompts):
        for gram in prompt.ngrams:
            index[prompt.size][gram].append(number)
    starts = {size: {gram.split(" ", 1)[0] for gram in grams} for size, grams in index.items()}
    vocabulary = {word for grams in index.values() for gram in grams for word in gram.split(" ")}
    dropped = {}
    for candidate in candidates:
        words = normalised(conversation_text(candidate)).split()
        hits: dict[int, int] = defaultdict(int)
        for size, grams in index.items():
            for gram in grams_within(words, size, vocabulary, starts[size]) & grams.keys():
                for number in grams[gram]:
                    hits[number] += 1
        best = None
        for number in sorted(hits):
            share = hits[number] / len(prompts[number].ngrams)
            if share >= threshold and (best is None or share > best[1]):
                best = (number, share)
        if best is not None:
            prompt = prompts[best[0]]
            dropped[candidate.id] = Decision(
                False,
                "contamination",
                round(best[1], 4),
                f"contains {prompt.split} prompt {prompt.id}: {hits[best[0]]} of its {len(prompt.ngrams)} "
                f"word {prompt.size}-grams ({best[1]:.2f} >= {threshold})",
            )
    return dropped


# -- near duplicates -------------------------------------------------------------------------------


def shingles(text: str, words_per_shingle: int) -> list[bytes]:
    """Distinct word shingles of the normalised text (in no particular order: a MinHash is a minimum,
    so the order does not change it); a short text is one shingle."""
    words = normalised(text).split()
    if not words:
        return []
    size = min(words_per_shingle, len(words))
    return [gram.encode("utf-8") for gram in word_ngrams(words, size)]


def signatures(candidates: Sequence[Candidate], words_per_shingle: int, num_perm: int) -> list[MinHash | None]:
    """One MinHash per candidate (None for an empty text), hashed in batches with datasketch's bulk."""
    from datasketch import MinHash

    sets = [shingles(conversation_text(c), words_per_shingle) for c in candidates]
    found: list[MinHash | None] = [None] * len(sets)
    non_empty = [i for i, s in enumerate(sets) if s]
    for start in range(0, len(non_empty), SIGNATURE_BATCH):
        batch = non_empty[start : start + SIGNATURE_BATCH]
        for i, signature in zip(batch, MinHash.bulk([sets[i] for i in batch], num_perm=num_perm)):
            found[i] = signature
    return found


# datasketch's banding (``MinHashLSH(threshold, num_perm).b, .r``) for common settings: importing
# datasketch for its LSH pulls in scipy (~1-2 s of a warm rebuild) only to integrate these numbers.
# tests/test_dedup.py checks every entry against datasketch itself.
KNOWN_BANDS = {
    (0.5, 128): (25, 5),
    (0.6, 128): (18, 7),
    (0.7, 128): (14, 9),
    (0.75, 128): (11, 11),
    (0.8, 128): (9, 13),
    (0.85, 128): (8, 16),
    (0.9, 128): (5, 25),
    (0.95, 128): (3, 42),
}


def lsh_bands(threshold: float, num_perm: int) -> list[tuple[int, int]]:
    """The column ranges of the bands an LSH index would use to propose every pair likely to reach
    ``threshold`` (datasketch's ``hashranges``). Near 1 datasketch finds no banding with two bands
    or more, so the index is tuned a little lower: it only proposes pairs, and the decision is the
    Jaccard estimate itself."""
    tuned = threshold
    while True:
        known = KNOWN_BANDS.get((tuned, num_perm))
        if known is not None:
            b, r = known
            return [(i * r, (i + 1) * r) for i in range(b)]
        from datasketch import MinHashLSH

        try:
            return list(MinHashLSH(threshold=tuned, num_perm=num_perm).hashranges)
        except ValueError:
            if tuned <= 0.05:
                raise
            tuned = round(tuned - 0.05, 2)


def signature_bytes(signature: MinHash | None) -> bytes | None:
    """A MinHash as it is kept beside a survivor in its unit's shard (num_perm little-endian uint64)."""
    return None if signature is None else signature.hashvalues.astype("<u8").tobytes()


def narrowed(values: np.ndarray) -> np.ndarray:
    """Signature values as uint32 when they fit (datasketch keeps every hash value under 2**32 in a
    uint64): half the memory, the same comparisons."""
    import numpy as np

    if values.size and int(values.max()) >= 1 << 32:
        return values
    return values.astype(np.uint32)


def near_duplicate_rows(
    matrix: np.ndarray, rows: Sequence[int], threshold: float, twins_at: Callable[[int, int], bool]
) -> dict[int, tuple[int, float]]:
    """Position -> (position of the most similar earlier kept one, its estimated Jaccard similarity)
    for each position whose candidate is a near duplicate. ``rows[p]`` is the row of ``matrix`` (one
    signature a row) holding position p's signature, or -1 for none; positions are taken in order
    and the first of a group stays; ties name the earliest. ``twins_at(p, q)``: never duplicates.

    The banding is datasketch's (``MinHashLSH``'s bands and rows for the threshold), done over the
    matrix: each band's equal rows are found by sorting, not by a dict of bytes keys per band per
    candidate, which held several KB a survivor on a large build. Two candidates are compared when
    they share a band exactly, as the index would propose them."""
    import numpy as np

    rows = np.asarray(rows, dtype=np.int64)
    present = np.flatnonzero(rows >= 0)
    if threshold <= 0 or len(present) < 2:
        return {}
    num_perm = matrix.shape[1]
    signature_rows = rows[present]
    sharing: dict[int, set[int]] = {}  # index into present -> earlier indices sharing a band with it
    for start, end in lsh_bands(threshold, num_perm):
        band = np.ascontiguousarray(matrix[signature_rows, start:end])
        band = band.view(np.dtype((np.void, band.dtype.itemsize * (end - start)))).ravel()
        order = np.argsort(band, kind="stable")
        ranked = band[order]
        same = ranked[1:] == ranked[:-1]
        if not same.any():
            continue
        edges = np.flatnonzero(np.diff(np.concatenate(([False], same, [False])).astype(np.int8)))
        for first, last in zip(edges[::2].tolist(), edges[1::2].tolist()):  # a run of equal bands
            members = sorted(order[first : last + 1].tolist())
            for k, index in enumerate(members[1:], 1):
                sharing.setdefault(index, set()).update(members[:k])
    kept: set[int] = set()
    found = {}
    for index in range(len(present)):
        best = None
        for other in sorted(o for o in sharing.get(index, ()) if o in kept):
            if twins_at(int(present[index]), int(present[other])):
                continue
            same_values = np.count_nonzero(matrix[signature_rows[index]] == matrix[signature_rows[other]])
            similarity = float(same_values) / num_perm
            if similarity >= threshold and (best is None or similarity > best[1]):
                best = (other, similarity)
        if best is not None:
            found[int(present[index])] = (int(present[best[0]]), best[1])
            continue
        kept.add(index)
    return found


def near_duplicate_decision(other_id: str, similarity: float, threshold: float) -> Decision:
    """Why a near duplicate is dropped: the earlier candidate it resembles most."""
    return Decision(
        False,
        "near_duplicate",
        round(similarity, 4),
        f"near duplicate of {other_id} (estimated Jaccard {similarity:.2f} >= {threshold})",
    )


def near_duplicates(
    candidates: Sequence[Candidate],
    threshold: float,
    words_per_shingle: int,
    num_perm: int,
    known: Sequence[bytes | None] | None = None,
) -> dict[str, Decision]:
    """Candidate id -> why it is dropped, for each candidate whose estimated Jaccard similarity to an
    earlier kept one reaches ``threshold`` (see ``near_duplicate_rows``). Candidates are taken in the
    order given. ``known`` are the candidates' signatures as the extraction workers computed them
    (``signature_bytes``); the build passes its survivors' matrix to ``near_duplicate_rows`` itself."""
    import numpy as np

    if threshold <= 0 or len(candidates) < 2:
        return {}
    if known is None:
        known = [signature_bytes(s) for s in signatures(candidates, words_per_shingle, num_perm)]
    present = [i for i, b in enumerate(known) if b is not None]
    if len(present) < 2:
        return {}
    matrix = narrowed(np.frombuffer(b"".join(known[i] for i in present), dtype="<u8").reshape(len(present), num_perm))  # type: ignore[misc]
    rows = np.full(len(candidates), -1, dtype=np.int64)
    rows[present] = np.arange(len(present))
    found = near_duplicate_rows(matrix, rows, threshold, lambda a, b: twins(candidates[a], candidates[b]))
    return {
        candidates[p].id: near_duplicate_decision(candidates[q].id, similarity, threshold) for p, (q, similarity) in found.items()
    }
