"""Plain files (not archives) fetched one by one from a plan: a source's planner says where each goes,
from where and what its publisher says about it; the files already complete are left as they are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..download import Expected, Fetcher
from ..lockfile import Lock
from .local import Outcome, already_complete, note_change


@dataclass(frozen=True)
class Planned:
    """One file to fetch: where it goes (relative to the data dir), from where, what to expect."""

    rel: str
    url: str
    expected: Expected = Expected()
    done: bool = False


def fetch_planned(plan: list[Planned], source: str, data_dir: Path, fetcher: Fetcher, lock: Lock) -> list[Outcome]:
    """Fetch every planned file not yet complete, recording each in the lock file as soon as it lands."""
    outcomes = []
    for item in plan:
        if item.done or lock.complete(item.rel):
            outcomes.append(complete_outcome(fetcher, lock, item.rel))
            continue
        with lock.claim(item.rel, fetcher.note):  # a second pull of the file waits here, then finds it done
            if lock.complete(item.rel):
                outcomes.append(complete_outcome(fetcher, lock, item.rel))
                continue
            got = fetcher.fetch(item.url, data_dir / item.rel, item.expected)
            note_change(
                fetcher, lock.record(item.rel, item.url, got.bytes, got.sha256, source, checked=list(got.checked) or None)
            )
            lock.save()
        checked = f", checked {'/'.join(got.checked)} against {item.expected.origin}" if got.checked else ""
        fetcher.note(f"fetched {item.rel} ({got.bytes:,} bytes, sha256 {got.sha256[:16]}{checked})")
        outcomes.append(Outcome(item.rel, "fetched", got.bytes, got.sha256, item.url))
    return outcomes


def complete_outcome(fetcher: Fetcher, lock: Lock, rel: str) -> Outcome:
    """Say that a file is already complete, and report it so."""
    fetcher.note(f"{rel}: already complete")
    return already_complete(lock, rel)
