"""The Koupaee & Wang wikiHow CSV (``wikihowAll.csv``: ``headline,title,text``) -> one article per run
of rows, with its steps as markdown.

A row is one section (a method or part) of an article: ``headline`` holds the bold step headlines, one
a line, each but the last ending in a comma; ``text`` the step paragraphs without their headlines, in
the same order. Consecutive rows of one article share the title, or carry it with a section number
glued on (``How to Be an Organized Artist1``, ``...Artist2``). Rows carry no category. The file is
read as a stream, one article in memory at a time.

The steps take the page reader's layouts (``wikihow_markdown``) where the CSV allows: ``released``
runs each headline into its paragraph as prose (``1. Headline. Paragraph.``, a full stop added to a
headline without one), ``rich`` keeps it bold (``1. **Headline.** Paragraph.``). The CSV names no
section, so an article of several rows is headed ``## Method 1``, ``## Method 2``, ... in both.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import InputError, decode_utf8
from ..markup import collapse
from .wikihow_markdown import CLOSED, RELEASED

CSV_COLUMNS = ("headline", "title", "text")
GLUED_SECTION_NUMBER = re.compile(r"^(.*[^\d\s])([1-9]\d?)$")


@dataclass(frozen=True)
class CsvArticle:
    """One article of the CSV: its title, URL form, first line and steps as markdown."""

    title: str
    slug: str
    line: int  # where its first record starts
    markdown: str  # ``## Method N`` (for more than one section) over numbered steps in the recipe's layout


@dataclass
class Rows:
    """Consecutive CSV rows that make one article: its title and one (headlines, text) per section."""

    title: str
    line: int
    numbered: bool
    last_number: int
    sections: list[tuple[str, str]]


def read_articles(path: Path, skipped: Counter, layout: str = RELEASED) -> Iterator[CsvArticle]:
    """Stream the rows, join each article's sections, and yield the articles with steps in ``layout``.

    A record that is not three fields, or a quote left open, is an InputError naming the line where
    the record starts: a damaged file should be repaired, not half read.
    """
    seen: set[str] = set()
    current: Rows | None = None
    for line, (headline, title, text) in csv_records(path):
        title = collapse(title)
        if current is not None and continues(current, title):
            current.sections.append((headline, text))
            continue
        if current is not None:
            yield from article(current, seen, skipped, layout)
        current = start_rows(title, line, headline, text)
    if current is not None:
        yield from article(current, seen, skipped, layout)


def csv_records(path: Path) -> Iterator[tuple[int, tuple[str, str, str]]]:
    """(line where the record starts, (headline, title, text)), columns found by the header."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            start = 1
            try:
                header = next(reader)
            except StopIteration:
                raise InputError(path, "empty file: expected the header headline,title,text", 1) from None
            columns = [name.strip().lstrip("\ufeff") for name in header]
            if sorted(columns) != sorted(CSV_COLUMNS):
                raise InputError(path, f"expected the header headline,title,text, found {','.join(columns)}", 1)
            order = [columns.index(name) for name in CSV_COLUMNS]
            start = reader.line_num + 1
            try:
                for row in reader:
                    if row:
                        if len(row) != len(CSV_COLUMNS):
                            raise InputError(path, f"expected 3 fields (headline,title,text), found {len(row)}", start)
                        yield start, (row[order[0]], row[order[1]], row[order[2]])
                    start = reader.line_num + 1
            except csv.Error as error:
                message = "quoted field never closed" if "unexpected end of data" in str(error) else str(error)
                raise InputError(path, f"malformed CSV record ({message})", start) from None
    except UnicodeDecodeError:
        decode_utf8(path.read_bytes(), path)  # raises, naming the line of the first bad byte
        raise


def start_rows(title: str, line: int, headline: str, text: str) -> Rows:
    """A new article; a title ending in a glued "1" opens a numbered run (``Artist1``, ``Artist2``)."""
    glued = GLUED_SECTION_NUMBER.match(title)
    if glued and glued.group(2) == "1":
        return Rows(glued.group(1), line, True, 1, [(headline, text)])
    return Rows(title, line, False, 0, [(headline, text)])


def continues(rows: Rows, title: str) -> bool:
    """Whether a row belongs to the article being read: the same title, or the next glued number."""
    if rows.numbered:
        glued = GLUED_SECTION_NUMBER.match(title)
        if glued and glued.group(1) == rows.title and int(glued.group(2)) == rows.last_number + 1:
            rows.last_number += 1
            return True
        return False
    return title == rows.title and bool(title)


def article(rows: Rows, seen: set[str], skipped: Counter, layout: str = RELEASED) -> Iterator[CsvArticle]:
    """The article the rows make, unless it has no title, repeats a title or has no usable steps."""
    title = rows.title
    if not title:
        skipped["CSV row without a title"] += len(rows.sections)
        return
    slug = csv_slug(title)
    if slug in seen:
        skipped["duplicate title"] += 1
        return
    seen.add(slug)
    sections = []
    for headline, text in rows.sections:
        steps = csv_steps(headline, text, layout)
        if steps is None:
            skipped["headlines and paragraphs out of step"] += 1
            return
        sections.append(steps)
    sections = [steps for steps in sections if steps]
    if not sections:
        skipped["no steps"] += 1
        return
    blocks = []
    for number, steps in enumerate(sections, start=1):
        if len(sections) > 1:
            blocks.append(f"## Method {number}")
        blocks.append("\n\n".join(f"{i}. {step}" for i, step in enumerate(steps, start=1)))
    yield CsvArticle(title, slug, rows.line, "\n\n".join(blocks))


def csv_steps(headline: str, text: str, layout: str = RELEASED) -> list[str] | None:
    """``Headline. paragraph`` (released) or ``**Headline.** paragraph`` (rich) per step, or None when
    the two columns disagree on the count."""
    headlines = [line.strip().rstrip(",").strip() for line in headline.split("\n")]
    headlines = [collapse(line) for line in headlines if line]
    paragraphs = [line.strip().lstrip(",").strip() for line in text.split("\n")]
    paragraphs = [collapse(line) for line in paragraphs if line]
    if not paragraphs and not headlines:
        return []
    if len(headlines) != len(paragraphs):
        return None
    return [csv_step(head, body, layout) for head, body in zip(headlines, paragraphs)]


def csv_step(head: str, body: str, layout: str) -> str:
    """One step: the headline run into its paragraph (released, closed as a sentence) or bold (rich)."""
    if not head:
        return body
    if layout != RELEASED:
        return f"**{head}** {body}".strip()
    return f"{head if CLOSED.search(head) or not body else head + '.'} {body}".strip()


def csv_slug(title: str) -> str:
    """wikiHow's URL form of a title: "How to Zip a Folder" -> "Zip-a-Folder"."""
    name = re.sub(r"^how to\s+", "", title, flags=re.IGNORECASE)
    return "-".join(name.split())
