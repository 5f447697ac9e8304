"""Counting tokens for ``stats``: exactly with a local Hugging Face tokenizer, or by an estimate that
needs none and comes close to LLaMA's count (docs/stats.md has the figures)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import InputError

# Character classes. LLaMA's SentencePiece pieces never mix letters, digits and punctuation (a space,
# written ``▁``, only ever leads a piece), so its count is a sum over runs of one class; the estimate
# prices each run as LLaMA does on average.
SPACE, LETTER, DIGIT, PUNCT, BREAK, ASTRAL, START = range(7)
# A run of ASCII letters costs 1 + SLOPE * max(0, letters - KNEE) pieces, by its case (lower,
# Capitalised, UPPER, MiXed) and whether one space leads it (LLaMA's ``▁word`` pieces are the common
# words; a word after a newline or two spaces splits more). Fitted by ``benchmarks/tokens_llama.py
# calibrate --fit`` against LLaMA-1/2's own tokenizer on the real dumps of ../shared/real.
LOWER, CAPITAL, UPPER, MIXED = range(4)
KNEE = np.array([[3.0, 3.5], [2.5, 3.0], [1.5, 1.0], [0.0, 0.5]])  # [case][led by one space]
SLOPE = np.array([[0.26, 0.13], [0.27, 0.24], [0.38, 0.42], [0.25, 0.34]])
PUNCT_KNEE, PUNCT_SLOPE = 2, 0.5  # a run of punctuation: 1 + 0.5 per mark past the second
SPACES_PER_PIECE = 16  # LLaMA's longest run of spaces in one piece
NON_ASCII = 1 << 32
ASTRAL_PIECES = 4  # a character above the BMP (an emoji) is not in the vocabulary: its 4 UTF-8 bytes


def _character_tables() -> tuple[np.ndarray, np.ndarray]:
    """The class of every Basic Multilingual Plane character (one more entry for anything above it),
    and its marks: 1 when upper case, plus 2**32 when not ASCII (summed over a run, both counts at once)."""
    classes = np.full(0x10001, PUNCT, dtype=np.int8)
    marks = np.zeros(0x10001, dtype=np.int64)
    for code in range(0x10000):
        ch = chr(code)
        if ch == " ":
            classes[code] = SPACE
        elif ch.isspace():  # a newline, a tab, a no-break space: LLaMA spends a piece (a byte) on each
            classes[code] = BREAK
        elif ch.isdecimal():
            classes[code] = DIGIT
        elif ch.isalnum() or unicodedata.category(ch) in ("Mn", "Mc"):  # combining marks stay inside their word
            classes[code] = LETTER
        marks[code] = int(ch.isupper()) + (NON_ASCII if code > 127 else 0)
    classes[0x10000] = ASTRAL
    marks[0x10000] = NON_ASCII
    return classes, marks


_TABLES: tuple[np.ndarray, np.ndarray] | None = None


def estimate_tokens(texts: list[str]) -> list[int]:
    """A tokenizer-free estimate of LLaMA-1/2 token counts (no special tokens), within 3% of LLaMA's
    own count per subset on LIMA-like text (docs/stats.md has the figures).

    Each run of one class is priced as LLaMA prices it on average: a run of ASCII letters
    1 + SLOPE * max(0, length - KNEE) by its case and whether a space leads it, each other letter
    one more; a digit, a newline or any other non-space white space one each; a run of punctuation
    1 + 0.5 per mark past the second; an emoji 4. A single space is free before a word or
    punctuation (it rides on the piece) and costs one before a digit, a newline or the end; two or
    more spaces cost one per 16. A text starts as if after a space (SentencePiece prepends one).
    Vectorised: all texts of a batch are joined and classified with one table look-up; the joints
    are marked START so that no run crosses them.
    """
    if not texts:
        return []
    starts, run_starts, run_classes, tokens = run_tokens(texts)
    running = np.concatenate(([0.0], np.cumsum(tokens)))
    first_runs = np.searchsorted(run_starts, starts, side="left")
    return np.rint(np.diff(running[first_runs])).astype(np.int64).tolist()


def run_tokens(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The estimate's parts, for ``estimate_tokens`` and for measuring it run by run
    (benchmarks/tokens_llama.py): where each text starts in the joined batch, where each run starts,
    its class, and its (fractional) pieces."""
    global _TABLES
    if _TABLES is None:
        _TABLES = _character_tables()
    table, mark_table = _TABLES
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.concatenate(([0], np.cumsum(lengths + 1)))  # where each text's START is, and the end
    codes = np.frombuffer(("\0" + "\0".join(texts)).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    classes = np.take(table, codes, mode="clip")  # above the BMP: the last entry, ASTRAL
    classes[starts[:-1]] = START

    changed = np.empty(len(classes), dtype=bool)
    changed[0] = True
    np.not_equal(classes[1:], classes[:-1], out=changed[1:])
    changed[starts[:-1]] = True  # two empty texts in a row: two runs
    run_starts = np.flatnonzero(changed)
    run_lengths = np.diff(run_starts, append=len(classes))
    run_classes = classes[run_starts]

    # the spaces leading each run: a START counts as one (the prepended ``▁``), spaces after it one more
    previous = np.concatenate(([START], run_classes[:-1]))
    before_previous = np.concatenate(([START, START], run_classes[:-2]))[: len(run_classes)]
    previous_lengths = np.concatenate(([0], run_lengths[:-1]))
    lead = (previous == START).astype(np.int64)
    after_space = previous == SPACE
    lead[after_space] = previous_lengths[after_space] + (before_previous[after_space] == START)
    joins = np.where(lead >= 2, 1 + (lead - 2) // SPACES_PER_PIECE, 0)  # two spaces or more: a piece before the run
    tokens = np.zeros(len(run_classes))

    words = np.flatnonzero(run_classes == LETTER)
    # each word's upper-case and non-ASCII letters: sums from its start to its end (every other sum)
    bounds = np.column_stack((run_starts[words], run_starts[words] + run_lengths[words])).ravel()
    char_marks = np.append(np.take(mark_table, codes, mode="clip"), 0)  # an end may be the last index
    marks = np.add.reduceat(char_marks, bounds)[::2] if len(words) else np.zeros(0, np.int64)
    uppers, non_ascii = marks & (NON_ASCII - 1), marks >> 32
    letters = run_lengths[words] - non_ascii
    first_upper = np.take(mark_table, codes[run_starts[words]], mode="clip") & 1 == 1
    case = np.select([uppers == 0, (uppers == 1) & first_upper, uppers == letters], [LOWER, CAPITAL, UPPER], MIXED)
    led = (lead[words] == 1).astype(np.int64)  # one space joins a following word
    price = 1 + SLOPE[case, led] * np.maximum(0, letters - KNEE[case, led])
    tokens[words] = np.where(letters > 0, price, 0) + non_ascii + joins[words]

    marks_runs = np.flatnonzero(run_classes == PUNCT)
    tokens[marks_runs] = 1 + PUNCT_SLOPE * np.maximum(0, run_lengths[marks_runs] - PUNCT_KNEE) + joins[marks_runs]
    each = np.flatnonzero((run_classes == DIGIT) | (run_classes == BREAK) | (run_classes == ASTRAL))
    pieces = np.where(run_classes[each] == ASTRAL, ASTRAL_PIECES, 1) * run_lengths[each]
    tokens[each] = pieces - (-lead[each] // SPACES_PER_PIECE)  # the spaces before: a piece of their own
    # spaces at the end of a text are a piece of their own
    following = np.append(run_classes[1:], START)
    trailing = np.flatnonzero((run_classes == SPACE) & (following == START))
    tokens[trailing] = -(-(run_lengths[trailing] + (previous[trailing] == START)) // SPACES_PER_PIECE)
    return starts, run_starts, run_classes, tokens


@dataclass(frozen=True)
class TokenCounter:
    """How tokens are counted: ``count`` maps a batch of texts to their token counts."""

    name: str
    estimated: bool
    count: Callable[[list[str]], list[int]]

    def describe(self) -> str:
        """How the counts were made, as a comparison's note on a side says it."""
        if self.estimated:
            return "estimated (word-piece rule, no tokenizer; pass --tokenizer for exact counts)"
        return f"tokenizer {self.name}"


ESTIMATE = TokenCounter("estimate", True, estimate_tokens)


def tokenizer_counter(path: Path) -> TokenCounter:
    """Exact counts from a local Hugging Face tokenizer: a folder (AutoTokenizer) or a tokenizer.json."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "tokenizer not found")
    try:
        if path.is_file():
            from tokenizers import Tokenizer

            backend = Tokenizer.from_file(str(path))
        else:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(path))
            backend = getattr(tokenizer, "backend_tokenizer", None)
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise InputError(
            path, f"counting tokens with a tokenizer needs {error.name} (pip install 'lima-curate[train]')"
        ) from None
    except Exception as error:  # tokenizers/transformers raise many types for a bad folder or file
        raise InputError(path, f"not a readable tokenizer ({type(error).__name__}: {error})") from None

    def count(texts: list[str]) -> list[int]:
        if backend is None:  # a slow (Python) tokenizer
            return [len(tokenizer.encode(text, add_special_tokens=False)) for text in texts]
        return [len(encoding.ids) for encoding in backend.encode_batch(texts, add_special_tokens=False)]

    return TokenCounter(path.name, False, count)
