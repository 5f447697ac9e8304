"""The last line of every reader: whatever a hostile or broken file makes Python raise while a unit is
read becomes one ``InputError`` naming the file, never a traceback.

Each reader checks what it knows to check and says so precisely (the line, the field); this guard is for
what no check foresaw: a JSON type where another was expected (``TypeError``, ``KeyError``), a number
Python will not convert (``ValueError``, ``OverflowError``), text that is not text (``UnicodeError``),
nesting deeper than the stack (``RecursionError``). ``InputError`` passes through unchanged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, TypeVar

from ..errors import InputError

T = TypeVar("T")

# What a file's content can make Python raise; OSError is left to the callers, which name the failing path.
HOSTILE = (RecursionError, ValueError, OverflowError, KeyError, IndexError, TypeError, AttributeError, UnicodeError)


def guarded(path: str | Path, items: Iterable[T]) -> Iterator[T]:
    """``items`` as they come, with any exception in ``HOSTILE`` turned into one InputError naming ``path``."""
    try:
        yield from items
    except InputError:
        raise
    except HOSTILE as error:
        raise hostile_error(path, error) from None


def hostile_error(path: str | Path, error: BaseException) -> InputError:
    """The one line for an exception a file's content raised: what kind, and Python's words, shortened."""
    if isinstance(error, RecursionError):
        return InputError(path, "cannot be read: nested too deeply")
    words = " ".join(str(error).split())
    if len(words) > 160:
        words = words[:157] + "..."
    return InputError(
        path, f"cannot be read ({type(error).__name__}: {words})" if words else f"cannot be read ({type(error).__name__})"
    )


SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a JSON escape in U+D800-DFFF: checked, as one alone is not text


def lone_surrogate(text: str, value: Any) -> bool:
    """Whether JSON ``text``, parsed as ``value``, holds a ``\\ud800`` escape with no partner: a string
    no manifest line can hold as UTF-8. The escape is looked for first, so text without one costs a scan."""
    if not SURROGATE_ESCAPE.search(text):
        return False
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
