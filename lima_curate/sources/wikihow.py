"""wikiHow articles -> one how-to candidate per article: "How to Grill Fish?" and its body as markdown.

Two inputs are read, each by its own module:

- **saved article pages** (``*.html``, ``wikihow_page``; the body's markdown in ``wikihow_markdown``);
- **the Koupaee & Wang CSV** (``wikihowAll.csv``: ``headline,title,text``; ``wikihow_csv``).

LIMA (section 2.1): the title is the prompt, the body the response, "This article..." becomes "The
following answer...", and "links, images, and certain sections of the text" are pruned. Here the
response is: the intro paragraphs; every method or part under a ``## `` heading over its numbered
steps, with the step's bullets kept beneath it; then the article's other sections as ``## Heading``
unless the recipe prunes them (lima.toml prunes Ingredients, Tips, Warnings and Things You'll Need:
none of LIMA's 200 released answers has them). The recipe's ``layout`` says how a step reads:
``released`` (the default, as in LIMA's release) ``1. Headline. Rest of the step.`` as prose, headings
``## Name`` without their "Method 1:" label and no bold anywhere; ``rich`` ``1. **Headline.** Rest of
the step.`` under ``## Method 1: Name``, bold kept. Links become their text (a link whose text is a
bare URL becomes the site's host name); images, videos, citation markers with their pop-ups ("[1] X
Research source", "Expert Source") and page furniture disappear.

The group is the article's top-level category, one of wikiHow's 19 (LIMA samples a category
uniformly, then an article in it; ``wikihow_categories``). A page that maps to none, and every CSV
row, goes to a named bucket (``unknown_category`` / ``csv_category``) rather than a guess; an empty
name there skips those articles instead, counted.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Literal
from urllib.parse import quote

from ..errors import InputError
from ..records import Candidate, chat
from .guard import guarded
from .wikihow_categories import Categories, category_table, resolve_category
from .wikihow_csv import CsvArticle, read_articles
from .wikihow_page import Page, read_page

NAME = "wikihow"
# 2: <template> contents dropped; pages nested too deep skipped (counted). 3: LIMA's released layout by
# default (headlines run into their steps as prose, no bold, no "Method N:" on headings; ``layout``
# chooses) and Ingredients, Tips and Warnings pruned, so every response of the same page changes.
VERSION = 3
SUBSETS = ("wikihow",)
GROUP_FIELD = "category"
GAIR_NAMES = ("wikihow",)

LICENCE = "CC BY-NC-SA 3.0"
SITE = "https://www.wikihow.com/"
PAGE_SUFFIXES = (".html", ".htm")
CSV_SUFFIX = ".csv"

CITATION_MARK = re.compile(r"\s*\[\d+\]")
SPACE_BEFORE_PUNCTUATION = re.compile(r"(?<=\S) +([.,;:!?])(?=\s|$)")
BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Settings:
    """The recipe's ``[wikihow]`` table; the defaults are ``filters/lima.toml``'s."""

    # How steps and headings read: "released" (LIMA's release: headline and text as one run of prose, no
    # bold, "## Name" headings) or "rich" (wikiHow's bold headlines, "## Method 1: Name").
    layout: Literal["released", "rich"] = "released"
    # Sections left out of the response. None of LIMA's 200 released answers has Ingredients, Tips,
    # Warnings or the shopping list ("Things You'll Need"); everything that points elsewhere (References,
    # Related wikiHows, Video) or comes from readers (Q&A, stories), and page furniture, goes too.
    pruned_sections: tuple[str, ...] = (
        "Ingredients",
        "Tips",
        "Warnings",
        "Things You'll Need",
        "References",
        "Sources and Citations",
        "Related wikiHows",
        "Video",
        "Community Q&A",
        "Expert Q&A",
        "Expert Interview",
        "Quiz",
        "Article Summary",
        "About This Article",
        "Reader Success Stories",
        "Did you make this recipe?",
        "Support wikiHow's Educational Mission",
    )
    category_map: str = "wikihow_categories.toml"  # relative paths are read from the project's filters/
    unknown_category: str = "Uncategorized"  # group of pages no category maps; "" skips them
    csv_category: str = "Uncategorized"  # group of CSV rows (the CSV has no category); "" skips them
    self_references: tuple[str, ...] = ("This wikiHow article", "This article", "This wikiHow")
    self_reference_replacement: str = "The following answer"  # LIMA: "This article..." -> this

    def __post_init__(self) -> None:
        for name in ("pruned_sections", "self_references"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


def units(path: Path) -> list[Path]:
    """A page or CSV file, or every ``*.html``/``*.htm``/``*.csv`` under a folder, sorted by path.

    Browser asset folders (``Page_files/``, saved beside a page) are not searched.
    """
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() not in (*PAGE_SUFFIXES, CSV_SUFFIX):
            raise InputError(path, "expected a saved wikiHow page (.html) or the wikiHow CSV (.csv)")
        return [path]
    if not path.is_dir():
        raise InputError(path, "no such file or folder")
    found = sorted(
        (
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.suffix.lower() in (*PAGE_SUFFIXES, CSV_SUFFIX)
            and not any(part.endswith("_files") for part in p.relative_to(path).parts[:-1])
        ),
        key=lambda p: p.as_posix(),
    )
    if not found:
        raise InputError(path, "no saved wikiHow pages (*.html) or wikiHow CSV (*.csv) here")
    return found


def files(unit: Path, settings: Settings) -> list[Path]:
    """What a unit's candidates depend on: the page or CSV file (a folder unit: every file under it)."""
    unit = Path(unit)
    if unit.is_file():
        return [unit]
    return sorted(p for p in unit.rglob("*") if p.is_file())


def read(unit: Path, settings: Settings, seed: int, skipped: Counter) -> Iterator[Candidate]:
    """One candidate per article; nothing here is random, so ``seed`` is unused. Whatever a broken
    file makes Python raise is one InputError naming it (``guard``)."""
    return guarded(unit, read_unit(Path(unit), settings, skipped))


def read_unit(unit: Path, settings: Settings, skipped: Counter) -> Iterator[Candidate]:
    """``read`` without the guard: a CSV's articles, or a page's one."""
    categories = category_table(settings.category_map)
    if unit.suffix.lower() == CSV_SUFFIX:
        for article in read_articles(unit, skipped, settings.layout):
            found = csv_candidate(article, unit, settings, skipped)
            if found is not None:
                yield found
        return
    page = read_page(unit, settings.pruned_sections, skipped, settings.layout)
    found = page_candidate(page, settings, categories, skipped) if page is not None else None
    if found is not None:
        yield found


def page_candidate(page: Page, settings: Settings, categories: Categories, skipped: Counter) -> Candidate | None:
    """A page's candidate, grouped by its top-level category; None (counted) when nothing is left
    after LIMA's clean-up or the page falls in no group."""
    response = clean_text(page.markdown, settings)
    if not response:
        skipped["empty after cleaning"] += 1
        return None
    category, category_source = resolve_category(page.breadcrumb, page.wg_categories, categories)
    group = category or settings.unknown_category
    if not group:
        skipped["unknown category"] += 1
        return None
    meta: dict[str, Any] = {
        "url": page.url or article_url(page.slug),
        "title": page.title,
        "category": group,
        "category_source": category_source,
        "breadcrumb": page.breadcrumb,
        "licence": LICENCE,
        "format": "page",
        **page.provenance,
    }
    return candidate(page.slug, page.title, group, response, meta)


def csv_candidate(article: CsvArticle, path: Path, settings: Settings, skipped: Counter) -> Candidate | None:
    """A CSV article's candidate, in the recipe's ``csv_category``; None (counted) when that is ""."""
    if not settings.csv_category:
        skipped["unknown category"] += 1
        return None
    meta = {
        "url": article_url(article.slug),
        "title": article.title,
        "category": settings.csv_category,
        "category_source": "none",
        "licence": LICENCE,
        "format": "csv",
        "file": path.name,
        "line": article.line,
    }
    return candidate(article.slug, article.title, settings.csv_category, clean_text(article.markdown, settings), meta)


def candidate(slug: str, title: str, group: str, response: str, meta: dict[str, Any]) -> Candidate:
    """The how-to candidate: LIMA's prompt is the title as a question ("How to Grill Fish?")."""
    prompt = title.rstrip(" .?!") + "?"
    return Candidate(
        id=f"{NAME}/{slug}", source=NAME, subset=NAME, group=group, messages=chat(prompt, response), rank=0.0, meta=meta
    )


def article_url(slug: str) -> str:
    """The article's address on wikiHow, for inputs that carry none."""
    return SITE + quote(slug, safe="-._~()'!*:@,;")


def clean_text(text: str, settings: Settings) -> str:
    """Final touches on a response: no citation marks, no self-reference, tidy spacing."""
    text = CITATION_MARK.sub("", text)
    text = text.replace("****", "")
    text = SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    text = replace_self_references(text, settings.self_references, settings.self_reference_replacement)
    lines = [line.rstrip() for line in text.split("\n")]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def replace_self_references(text: str, phrases: tuple[str, ...], replacement: str) -> str:
    """ "This article ..." at the start of a sentence, paragraph or list item -> "The following answer ..."."""
    pattern = self_reference_pattern(tuple(sorted(phrases, key=len, reverse=True)))
    return pattern.sub(lambda m: m.group(1) + replacement, text) if phrases else text


@functools.lru_cache(maxsize=8)
def self_reference_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Any of the phrases at a sentence start, a line start or after a list marker (and its bold)."""
    starts = r"(^|[.!?][\"\u201d\u2019)]?[ \t]+|^[ \t]*(?:[*-]|\d+\.)[ \t]+(?:\*\*)?|^\*\*)"
    words = "|".join(re.escape(phrase) for phrase in phrases)
    return re.compile(starts + r"(?:" + words + r")\b", re.MULTILINE)
