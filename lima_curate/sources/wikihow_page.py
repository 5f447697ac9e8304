"""A saved wikiHow article page (``*.html``, as a browser or ``curl`` saves ``https://www.wikihow.com/Slug``)
-> what the reader makes a candidate of: the slug, URL, title, breadcrumb, categories, ids, dates and
the body as markdown.

The page script's ``mw.config`` carries ``wgPageName``, ``wgArticleId``, ``wgRevisionId``,
``wgCategories`` and ``wgNamespaceNumber``; they and the dates are read from the raw text with
anchored regular expressions. The breadcrumb, the title (``#section_0``) and the body
(``#bodyContent``) come from the parsed page (``markup.parse_document``).

A hostile page is one line or a counted skip, never a traceback: a ``mw.config`` value of the wrong JSON
type, a number outside a 64-bit integer or a string that is not text (a lone surrogate escape) is an
``InputError`` naming the file and line; a page nested more than ``markup.MAX_NESTING`` elements deep is
skipped (``nested too deep``), as the walks over it could exhaust Python's stack.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from lxml import etree

from .. import markup
from ..errors import InputError, decode_utf8
from .wikihow_markdown import RELEASED, page_markdown, section_kind

CONFIG_KEYS = ("wgPageName", "wgTitle", "wgArticleId", "wgRevisionId", "wgCategories", "wgNamespaceNumber")
CONFIG_VALUE = re.compile(r'"(' + "|".join(CONFIG_KEYS) + r')":\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\]|-?\d+|true|false|null)')
CANONICAL = re.compile(r"<link\b[^>]*\brel=[\"']canonical[\"'][^>]*>", re.IGNORECASE)
HREF = re.compile(r"\bhref=[\"']([^\"']+)[\"']", re.IGNORECASE)
DATE_MODIFIED = re.compile(r'"dateModified"\s*:\s*"(\d{4}-\d{2}-\d{2})')
RENDERED_AT = re.compile(r'"cachereport"\s*:\s*\{\s*"timestamp"\s*:\s*"(\d{14})"')
CONFIG_TYPES = {  # what each value must be when it is not null
    "wgPageName": "a string",
    "wgTitle": "a string",
    "wgArticleId": "an integer",
    "wgRevisionId": "an integer",
    "wgCategories": "a list of strings",
    "wgNamespaceNumber": "an integer",
}
INT_LIMIT = 1 << 63  # a value in a 64-bit integer, as every consumer of the set stores it


@dataclass(frozen=True)
class Page:
    """One article page, read: everything its candidate needs but LIMA's clean-up and the category."""

    slug: str
    url: str | None  # the canonical link, when the page has one
    title: str
    breadcrumb: list[str]
    wg_categories: list[str]
    markdown: str  # the body: intro, methods with their steps, the sections not pruned, in the recipe's layout
    provenance: dict[str, Any]  # article and revision ids, revision date, when the copy was rendered


def read_page(path: Path, pruned_sections: Iterable[str], skipped: Counter, layout: str = RELEASED) -> Page | None:
    """The page, its body in ``layout`` (``wikihow_markdown``), or None (counted in ``skipped``) for a
    page that is no article or has no steps."""
    html = decode_utf8(path.read_bytes(), path)
    config = page_config(html, path)
    root = markup.parse_document(html)
    if root is not None and markup.nested_too_deep(root):
        skipped["nested too deep"] += 1
        return None
    body = element_with_id(root, "bodyContent")
    url = canonical_url(html)
    slug = config.get("wgPageName") or slug_from_url(url)
    if body is None or not slug or config.get("wgNamespaceNumber", 0) != 0:
        skipped["not a wikiHow article page"] += 1
        return None
    sections = [node for node in body.iterdescendants("div") if markup.has_class(node, "section")]
    if not any(section_kind(section) == "steps" for section in sections):
        skipped["no steps"] += 1
        return None
    return Page(
        slug=slug,
        url=url,
        title=page_title(root, config, slug),
        breadcrumb=breadcrumb(root),
        wg_categories=config.get("wgCategories") or [],
        markdown=page_markdown(sections, pruned_sections, layout),
        provenance=page_dates_and_ids(html, config),
    )


def element_with_id(root: etree._Element | None, name: str) -> etree._Element | None:
    """The first element of the page (in document order) whose id is ``name``."""
    if root is None:
        return None
    return next((node for node in root.iter(etree.Element) if node.get("id") == name), None)


def page_config(html: str, path: str | Path = "<page>") -> dict[str, Any]:
    """The ``mw.config`` values the reader needs, read from the page script (first occurrence wins);
    a value of the wrong type is an InputError naming ``path`` and the line."""
    config: dict[str, Any] = {}
    for match in CONFIG_VALUE.finditer(html):
        key = match.group(1)
        if key not in config:
            try:
                value = json.loads(match.group(2))
            except ValueError:  # not JSON after all, or an integer too long for Python to convert
                continue
            problem = config_problem(key, value)
            if problem:
                raise InputError(path, f"mw.config {key} {problem}", html.count("\n", 0, match.start()) + 1)
            config[key] = value
        if len(config) == len(CONFIG_KEYS):
            break
    return config


def config_problem(key: str, value: Any) -> str:
    """What is wrong with a ``mw.config`` value ("" when nothing is): its type, range or text."""
    kind = CONFIG_TYPES[key]
    if value is None:
        return ""
    if kind == "an integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"must be {kind}, not {json.dumps(value)[:40]}"
        return "" if -INT_LIMIT <= value < INT_LIMIT else f"{str(value)[:30]} is out of range (a 64-bit integer)"
    is_list = kind == "a list of strings"
    texts = value if is_list and isinstance(value, list) else [value]
    if is_list != isinstance(value, list) or not all(isinstance(text, str) for text in texts):
        return f"must be {kind}, not {json.dumps(value)[:40]}"
    if not all(text.isascii() or is_text(text) for text in texts):
        return "is not text (it holds a lone surrogate escape)"
    return ""


def is_text(text: str) -> bool:
    """Whether a string can be written as UTF-8 (a JSON ``\\ud800`` escape alone cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def canonical_url(html: str) -> str | None:
    """The page's ``<link rel="canonical">``: the article's URL however the copy was saved."""
    link = CANONICAL.search(html)
    href = HREF.search(link.group(0)) if link else None
    return href.group(1) if href else None


def slug_from_url(url: str | None) -> str | None:
    """``https://www.wikihow.com/Grill-Fish`` -> ``Grill-Fish``, for a page without ``wgPageName``."""
    path = urlsplit(url).path.strip("/") if url else ""
    return path.rsplit("/", 1)[-1] or None


def page_dates_and_ids(html: str, config: dict[str, Any]) -> dict[str, Any]:
    """Article and revision ids, the revision date and the time the saved copy was rendered."""
    found: dict[str, Any] = {}
    for key, name in (("wgArticleId", "article_id"), ("wgRevisionId", "revision_id")):
        if isinstance(config.get(key), int):
            found[name] = config[key]
    modified = DATE_MODIFIED.search(html)
    if modified:
        found["modified"] = modified.group(1)
    rendered = RENDERED_AT.search(html)
    if rendered:
        stamp = rendered.group(1)
        found["snapshot"] = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[8:10]}:{stamp[10:12]}:{stamp[12:]}Z"
    return found


def page_title(root: etree._Element, config: dict[str, Any], slug: str) -> str:
    """The page's ``<h1 id="section_0">`` (``How to Grill Fish``), else ``How to `` and ``wgTitle``."""
    heading = element_with_id(root, "section_0")
    if heading is not None and markup.text_content(heading).strip():
        return markup.collapse(markup.text_content(heading, " "))
    name = config.get("wgTitle") or slug.replace("-", " ")
    return f"How to {name}"


def breadcrumb(root: etree._Element) -> list[str]:
    """Category names of the breadcrumb, top level first ("Categories" / "Home" are not categories)."""
    crumbs = element_with_id(root, "breadcrumb")
    if crumbs is None:
        return []
    names = []
    for link in crumbs.iterdescendants("a"):
        href = link.get("href")
        if href is not None and "/Category:" in href:
            names.append(markup.collapse(markup.text_content(link, " ")))
    return [name for name in names if name]
