"""Tiny Stack Exchange dumps written by the tests, in the published Posts.xml layout."""

from __future__ import annotations

import random
from pathlib import Path
from xml.sax.saxutils import quoteattr

import py7zr

ELIGIBLE_ANSWER = (
    "<p>Start by separating the problem into two parts: what the data looks like on disk, and what the "
    "program expects in memory. <strong>Most errors of this kind come from a mismatch between the two.</strong></p>\n"
    "<ol>\n<li>Check the encoding of the input file with <code>file -i data.csv</code>.</li>\n"
    "<li>Convert it once, at the edge of the program, rather than everywhere it is used.</li>\n</ol>\n"
    '<pre><code>with open(path, encoding="utf-8") as handle:\n    rows = list(csv.reader(handle))\n</code></pre>\n'
    + "".join(
        f"<p>Paragraph {n}: a careful explanation that keeps going, describing the reasoning behind each step "
        "and what can go wrong when a step is skipped, so that the reader can apply it to a new case.</p>\n"
        for n in range(1, 9)
    )
)


def row(**attrs: object) -> str:
    """One ``<row .../>`` line, attributes escaped as the dumps escape them (newlines as ``&#xA;``)."""
    return "  <row " + " ".join(f"{k}={quoteattr(str(v), {chr(10): '&#xA;'})}" for k, v in attrs.items()) + " />"


def question(id: int, title: str, score: int = 20, body: str = "<p>How does this work in general?</p>", **extra: object) -> str:
    """A question row with an answer count, tags and a licence; ``extra`` adds or overrides attributes."""
    attrs = dict(
        Id=id,
        PostTypeId=1,
        CreationDate="2021-04-27T15:06:44.553",
        Score=score,
        Body=body,
        Title=title,
        Tags="<python><csv>",
        AnswerCount=1,
        ContentLicense="CC BY-SA 4.0",
    )
    return row(**{**attrs, **extra})


def answer(id: int, parent: int, score: int = 15, body: str = ELIGIBLE_ANSWER, **extra: object) -> str:
    """An answer row to ``parent``; by default one past the score gate that every LIMA filter keeps."""
    attrs = dict(
        Id=id,
        PostTypeId=2,
        ParentId=parent,
        CreationDate="2021-05-01T10:00:00.000",
        Score=score,
        Body=body,
        ContentLicense="CC BY-SA 4.0",
    )
    return row(**{**attrs, **extra})


def posts_xml(rows: list[str]) -> bytes:
    """A whole Posts.xml, with the byte order mark the published dumps start with."""
    text = '\ufeff<?xml version="1.0" encoding="utf-8"?>\n<posts>\n' + "\n".join(rows) + "\n</posts>\n"
    return text.encode("utf-8")


def site_folder(root: Path, site: str, rows: list[str]) -> Path:
    """An extracted site folder (``root/site/Posts.xml``)."""
    folder = root / site
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Posts.xml").write_bytes(posts_xml(rows))
    return folder


def site_archive(root: Path, site: str, rows: list[str]) -> Path:
    """A published-style ``site.7z`` holding Posts.xml and another table before it."""
    root.mkdir(parents=True, exist_ok=True)
    archive = root / f"{site}.7z"
    with py7zr.SevenZipFile(archive, "w") as z:
        z.writestr("<users />\n", "Users.xml")
        z.writestr(posts_xml(rows), "Posts.xml")
    return archive


NOUNS = (
    "buffer",
    "header",
    "record",
    "column",
    "stream",
    "parser",
    "locale",
    "byte order mark",
    "terminal",
    "database",
    "archive",
    "log file",
    "spreadsheet",
    "socket",
    "config file",
    "schema",
    "cache",
    "index",
)
VERBS = (
    "decoded",
    "validated",
    "normalised",
    "copied",
    "flushed",
    "rewritten",
    "checked",
    "converted",
    "closed",
    "compressed",
    "sorted",
    "merged",
    "parsed",
    "trimmed",
)
ADJECTIVES = ("stale", "partial", "mixed", "legacy", "large", "empty", "nested", "quoted", "binary", "shared")


def varied_answer(q: int) -> str:
    """An eligible answer (1,200 to 4,096 characters, no first person) whose wording differs per question,
    so that answers to different questions are not near duplicates of each other."""
    rng = random.Random(q)

    def sentence() -> str:
        n1, n2, n3 = rng.sample(NOUNS, 3)
        v1, v2 = rng.sample(VERBS, 2)
        a1, a2 = rng.sample(ADJECTIVES, 2)
        return (
            f"The {a1} {n1} has to be {v1} before the {n2} is {v2}, since a {a2} {n3} otherwise "
            f"keeps {rng.randint(2, 90)} bytes of the {rng.choice(NOUNS)}."
        )

    paragraphs = "".join(f"<p>{' '.join(sentence() for _ in range(3))}</p>\n" for _ in range(8))
    return ELIGIBLE_ANSWER.split("<p>Paragraph 1", 1)[0] + paragraphs


def eligible_pairs(start: int, n: int, base_score: int = 10) -> list[str]:
    """``n`` questions (ids ``start``, ``start + 10``, ...) each with an answer that passes every filter."""
    rows = []
    for i in range(n):
        q = start + 10 * i
        rows.append(
            question(
                q,
                f"How can a program read a file in encoding number {q} safely?",
                score=base_score + i,
                body=f"<p>Files in encoding {q} come out garbled. What is the safe way to read them?</p>",
            )
        )
        rows.append(answer(q + 1, q, body=varied_answer(q)))
    return rows
