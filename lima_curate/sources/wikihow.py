"""wikiHow articles -> one how-to candidate per article: "How to Grill Fish?" and its body as markdown.

Two inputs are read:

- **Saved article pages** (``*.html``, as a browser or ``curl`` saves ``https://www.wikihow.com/Slug``).
  The page script's ``mw.config`` carries ``wgPageName``, ``wgArticleId``, ``wgRevisionId`` and
  ``wgCategories``; the body is ``#bodyContent``: an ``#intro`` section, one ``div.section.steps`` per
  method or part (``Method 1 of 3: ...``) holding ``<ol>`` items whose ``div.step`` starts with the
  bold step headline, then Tips, Warnings, Things You'll Need, References, Related wikiHows, Community
  Q&A, Video, and page furniture (reader stories, "About This Article", ...).
- **The Koupaee & Wang CSV** (``wikihowAll.csv``: ``headline,title,text``). A row is one section (a
  method or part) of an article: ``headline`` holds the bold step headlines, one a line, each but the
  last ending in a comma; ``text`` the step paragraphs without their headlines, in the same order.
  Consecutive rows of one article share the title, or carry it with a section number glued on
  (``How to Be an Organized Artist1``, ``...Artist2``). Rows carry no category.

LIMA (section 2.1): the title is the prompt, the body the response, "This article..." becomes "The
following answer...", and "links, images, and certain sections of the text" are pruned. Here the
response is: the intro paragraphs; every method or part as a ``## Method 1: Name`` heading (``## Part
1: Name``; none when the article has a single unnamed list of steps) over its numbered steps,
``1. **Headline.** Rest of the step.``, with the step's bullets kept beneath it; then the article's
other sections (Ingredients, Tips, Warnings, ...) as ``## Heading`` unless the recipe prunes them.
Links become their text (a link whose text is a bare URL becomes the site's host name), images,
videos, citation markers with their pop-ups ("[1] X Research source", "Expert Source") and page
furniture disappear. Parsing is BeautifulSoup over lxml, restricted to the breadcrumb, the title
and ``#bodyContent``.

The group is the article's top-level category, one of wikiHow's 19 (LIMA samples a category
uniformly, then an article in it): the first breadcrumb entry, else the first ``wgCategories`` entry
that maps to one. The mapping is data (``filters/wikihow_categories.toml``). A page that maps to none,
and every CSV row, goes to a named bucket (``unknown_category`` / ``csv_category``) rather than a
guess; an empty name there skips those articles instead, counted.
"""

from __future__ import annotations

import csv
import functools
import json
import re
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import quote, urlsplit

from bs4 import BeautifulSoup, NavigableString, SoupStrainer, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from ..errors import InputError, decode_utf8
from ..records import Candidate, chat

NAME = "wikihow"
VERSION = 1
SUBSETS = ("wikihow",)
GROUP_FIELD = "category"
GAIR_NAMES = ("wikihow",)

LICENCE = "CC BY-NC-SA 3.0"
SITE = "https://www.wikihow.com/"
PAGE_SUFFIXES = (".html", ".htm")
CSV_SUFFIX = ".csv"
CSV_COLUMNS = ("headline", "title", "text")
FILTERS_DIR = Path(__file__).resolve().parents[2] / "filters"

# Sections LIMA-style responses leave out. Kept by default: Ingredients (a recipe's quantities appear
# nowhere else), Tips and Warnings (advice an assistant would give). Pruned: the shopping list at the
# end ("Things You'll Need", which repeats what the steps name), everything that points elsewhere
# (References, Related wikiHows, Video) or comes from readers (Q&A, stories), and page furniture.
PRUNED_SECTIONS = (
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

# Elements that never carry article text: media, scripts, ads, citation markers with their pop-ups,
# step numbers (the markdown numbers the steps), vote buttons and forms.
SKIPPED_TAGS = frozenset(
    {"script", "style", "noscript", "img", "picture", "source", "video", "audio", "svg", "iframe",
     "input", "button", "form", "textarea", "select", "map", "object", "embed"}
)
SKIPPED_CLASSES = frozenset(
    {"reference", "ts_popup", "mwimg", "image_details", "video-player", "m-video", "step_num", "checkmark",
     "clearall", "altblock", "wh_ad_inner", "wh_vote_container", "addTipElement", "qz_container", "qy_cta",
     "stepanchor", "expert_coauthor", "article_byline"}
)
NON_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)

CONFIG_KEYS = ("wgPageName", "wgTitle", "wgArticleId", "wgRevisionId", "wgCategories", "wgNamespaceNumber")
CONFIG_VALUE = re.compile(
    r'"(' + "|".join(CONFIG_KEYS) + r')":\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\]|-?\d+|true|false|null)'
)
CANONICAL = re.compile(r"<link\b[^>]*\brel=[\"']canonical[\"'][^>]*>", re.IGNORECASE)
HREF = re.compile(r"\bhref=[\"']([^\"']+)[\"']", re.IGNORECASE)
DATE_MODIFIED = re.compile(r'"dateModified"\s*:\s*"(\d{4}-\d{2}-\d{2})')
RENDERED_AT = re.compile(r'"cachereport"\s*:\s*\{\s*"timestamp"\s*:\s*"(\d{14})"')
SECTION_NUMBER = re.compile(r"\b(Method|Part)\s*(\d+)\b")
GLUED_SECTION_NUMBER = re.compile(r"^(.*[^\d\s])([1-9]\d?)$")
CITATION_MARK = re.compile(r"\s*\[\d+\]")
SPACE_BEFORE_PUNCTUATION = re.compile(r"(?<=\S) +([.,;:!?])(?=\s|$)")
SPACES = re.compile(r"[ \t\r\n\f\v\xa0]+")
URL_TEXT = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
BLANK_LINES = re.compile(r"\n{3,}")

STRAINER = SoupStrainer(id=["breadcrumb", "section_0", "bodyContent"])


@dataclass(frozen=True)
class Settings:
    """The recipe's ``[wikihow]`` table."""

    pruned_sections: tuple[str, ...] = PRUNED_SECTIONS  # headings of sections left out of the response
    category_map: str = "wikihow_categories.toml"  # relative paths are read from the project's filters/
    unknown_category: str = "Uncategorized"  # group of pages no category maps; "" skips them
    csv_category: str = "Uncategorized"  # group of CSV rows (the CSV has no category); "" skips them
    self_references: tuple[str, ...] = ("This wikiHow article", "This article", "This wikiHow")
    self_reference_replacement: str = "The following answer"  # LIMA: "This article..." -> this

    def __post_init__(self) -> None:
        for name in ("pruned_sections", "self_references"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


# -- units -----------------------------------------------------------------------------------------


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
        (p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (*PAGE_SUFFIXES, CSV_SUFFIX)
         and not any(part.endswith("_files") for part in p.relative_to(path).parts[:-1])),
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
    """One candidate per article; nothing here is random, so ``seed`` is unused."""
    unit = Path(unit)
    categories = category_table(settings.category_map)
    if unit.suffix.lower() == CSV_SUFFIX:
        yield from read_csv(unit, settings, skipped)
        return
    found = read_page(unit, settings, categories, skipped)
    if found is not None:
        yield found


# -- categories ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Categories:
    """Category names as wikiHow shows them -> one of the top-level categories."""

    top_level: tuple[str, ...]
    names: Mapping[str, str]  # top-level names, aliases and subcategories, each -> its top level

    def top_of(self, name: str) -> str | None:
        return self.names.get(normal_name(name))


def category_table(source: str | Mapping[str, Any]) -> Categories:
    """The mapping from a TOML file (a path, relative ones under ``filters/``) or an inlined table."""
    if isinstance(source, Mapping):
        return categories_from(dict(source), "[wikihow] category_map")
    return load_categories(str(source))


@functools.lru_cache(maxsize=8)
def load_categories(path_text: str) -> Categories:
    path = Path(path_text)
    if not path.is_absolute():
        path = FILTERS_DIR / path
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise InputError(path, "wikiHow category map not found") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, f"not valid TOML ({error})") from None
    return categories_from(data, path)


def categories_from(data: dict[str, Any], where: str | Path) -> Categories:
    top_level = data.get("top_level")
    if not top_level or not all(isinstance(name, str) and name.strip() for name in top_level):
        raise InputError(where, "top_level must be a non-empty list of category names")
    names = {normal_name(name): name for name in top_level}
    for table in ("aliases", "subcategories"):
        for name, top in sorted(data.get(table, {}).items()):
            if top not in top_level:
                raise InputError(where, f"[{table}] {name!r} maps to {top!r}, which is not in top_level")
            names.setdefault(normal_name(name), top)
    return Categories(tuple(top_level), names)


def normal_name(name: str) -> str:
    """Names compare without case, hyphens, curly quotes or extra spaces (URL and label forms agree)."""
    return " ".join(name.replace("-", " ").replace("\u2019", "'").split()).casefold()


def resolve_category(crumbs: list[str], wg_categories: list[str], categories: Categories) -> tuple[str | None, str]:
    """The top-level category and where it came from: the breadcrumb first, then ``wgCategories``.

    The breadcrumb runs from the top level down, so its first mapped entry is the article's own top
    level; ``wgCategories`` lists each category followed by its parents, the article's primary one
    first, so its first mapped entry agrees with the breadcrumb.
    """
    for source, names in (("breadcrumb", crumbs), ("wgCategories", wg_categories)):
        for name in names:
            top = categories.top_of(name)
            if top is not None:
                return top, source
    return None, "none"


# -- pages -----------------------------------------------------------------------------------------


def read_page(path: Path, settings: Settings, categories: Categories, skipped: Counter) -> Candidate | None:
    html = decode(path)
    config = page_config(html)
    soup = BeautifulSoup(html, "lxml", parse_only=STRAINER)
    body = soup.find(id="bodyContent")
    url = canonical_url(html)
    slug = config.get("wgPageName") or slug_from_url(url)
    if body is None or not slug or config.get("wgNamespaceNumber", 0) != 0:
        skipped["not a wikiHow article page"] += 1
        return None
    sections = body.find_all("div", class_="section")
    if not any(section_kind(section) == "steps" for section in sections):
        skipped["no steps"] += 1
        return None
    response = clean_text(page_markdown(sections, settings.pruned_sections), settings)
    if not response:
        skipped["empty after cleaning"] += 1
        return None
    crumbs = breadcrumb(soup)
    category, category_source = resolve_category(crumbs, config.get("wgCategories") or [], categories)
    group = category or settings.unknown_category
    if not group:
        skipped["unknown category"] += 1
        return None
    title = page_title(soup, config, slug)
    meta: dict[str, Any] = {
        "url": url or SITE + quote(slug, safe="-._~()'!*:@,;"),
        "title": title,
        "category": group,
        "category_source": category_source,
        "breadcrumb": crumbs,
        "licence": LICENCE,
        "format": "page",
        **page_dates_and_ids(html, config),
    }
    return Candidate(
        id=f"{NAME}/{slug}",
        source=NAME,
        subset=NAME,
        group=group,
        messages=chat(as_question(title), response),
        rank=0.0,
        meta=meta,
    )


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


def decode(path: Path) -> str:
    return decode_utf8(path.read_bytes(), path)


def page_config(html: str) -> dict[str, Any]:
    """The ``mw.config`` values the reader needs, read from the page script (first occurrence wins)."""
    config: dict[str, Any] = {}
    for match in CONFIG_VALUE.finditer(html):
        key = match.group(1)
        if key not in config:
            try:
                config[key] = json.loads(match.group(2))
            except json.JSONDecodeError:
                continue
        if len(config) == len(CONFIG_KEYS):
            break
    return config


def canonical_url(html: str) -> str | None:
    link = CANONICAL.search(html)
    href = HREF.search(link.group(0)) if link else None
    return href.group(1) if href else None


def slug_from_url(url: str | None) -> str | None:
    path = urlsplit(url).path.strip("/") if url else ""
    return path.rsplit("/", 1)[-1] or None


def page_title(soup: BeautifulSoup, config: dict[str, Any], slug: str) -> str:
    heading = soup.find(id="section_0")
    if heading is not None and heading.get_text(strip=True):
        return collapse(heading.get_text(" "))
    name = config.get("wgTitle") or slug.replace("-", " ")
    return f"How to {name}"


def as_question(title: str) -> str:
    """LIMA's prompt: the title as a question ("How to Grill Fish?")."""
    return title.rstrip(" .?!") + "?"


def breadcrumb(soup: BeautifulSoup) -> list[str]:
    """Category names of the breadcrumb, top level first ("Categories" / "Home" are not categories)."""
    crumbs = soup.find(id="breadcrumb")
    if crumbs is None:
        return []
    names = []
    for link in crumbs.find_all("a", href=True):
        if "/Category:" in link["href"]:
            names.append(collapse(link.get_text(" ")))
    return [name for name in names if name]


# -- page body -> markdown -------------------------------------------------------------------------


def page_markdown(sections: Iterable[Tag], pruned_sections: Iterable[str]) -> str:
    """The intro, every method or part with its numbered steps, and the sections not pruned."""
    pruned = {normal_name(name) for name in pruned_sections}
    blocks: list[str] = []
    for section in sections:
        kind = section_kind(section)
        if kind == "intro":
            blocks.extend(intro_blocks(section))
        elif kind == "steps":
            blocks.extend(steps_blocks(section))
        elif kind is not None and normal_name(kind) not in pruned:
            blocks.extend(other_blocks(section, kind))
    return "\n\n".join(block for block in blocks if block.strip())


def section_kind(section: Tag) -> str | None:
    """"intro", "steps", the heading of any other section, or None for sections without one."""
    if section.get("id") == "intro":
        return "intro"
    if "steps" in section.get("class", ()):
        return "steps"
    headline = section.find(class_="mw-headline")
    return collapse(headline.get_text(" ")) if headline is not None else None


def intro_blocks(section: Tag) -> list[str]:
    """The intro's paragraphs; its byline, table of contents and image are not article text."""
    text = section.find(id="mf-section-0") or section
    return [
        block
        for child in text.children
        if isinstance(child, Tag) and child.name in ("p", "ul", "ol", "table")
        for block in render_block(child)
    ]


def steps_blocks(section: Tag) -> list[str]:
    heading = section.find(["h2", "h3"])
    blocks = [steps_heading(heading)] if heading is not None else []
    content = section.find(class_="section_text") or section
    counter = [0]
    for child in content.children:
        if isinstance(child, Tag) and not skipped_tag(child):
            blocks.extend(render_block(child, counter))
    return blocks


def steps_heading(heading: Tag) -> str:
    """``## Method 2: Fillets`` / ``## Part 1: ...``; a single unnamed list of steps gets no heading."""
    headline = heading.find(class_="mw-headline")
    name = collapse(headline.get_text(" ")) if headline is not None else ""
    altblock = heading.find(class_="altblock")
    number = SECTION_NUMBER.search(collapse(altblock.get_text(" "))) if altblock is not None else None
    if number:
        label = f"{number.group(1)} {number.group(2)}"
        return f"## {label}: {name}" if name else f"## {label}"
    return f"## {name}" if name and normal_name(name) != "steps" else ""


def other_blocks(section: Tag, heading: str) -> list[str]:
    content = section.find(class_="section_text")
    if content is None:
        return []
    blocks = [block for child in content.children for block in render_block(child)]
    return [f"## {heading}", *blocks] if blocks else []


def render_block(node: Any, counter: list[int] | None = None) -> list[str]:
    """Markdown blocks for one element of a section: paragraphs, lists, sub-headings, tables.

    ``counter`` numbers steps across the lists of one method (wikiHow numbers them per method).
    """
    if isinstance(node, NavigableString):
        if isinstance(node, NON_TEXT):
            return []
        text = collapse(str(node))
        return [text] if text else []
    if not isinstance(node, Tag) or skipped_tag(node):
        return []
    if node.name == "ol" and counter is not None and is_step_list(node):
        return step_items(node, counter)
    if node.name in ("ul", "ol"):
        lines = list_lines(node, 0)
        return ["\n".join(lines)] if lines else []
    if node.name in ("h2", "h3", "h4", "h5", "h6"):
        text = collapse(inline(node))
        return [f"### {text}"] if text else []
    if node.name == "table":
        table = table_markdown(node)
        return [table] if table else []
    if node.name in ("div", "section", "blockquote") and has_block_child(node):
        return [block for child in node.children for block in render_block(child, counter)]
    text = collapse(inline(node))
    return [text] if text else []


def is_step_list(node: Tag) -> bool:
    return any(item.find("div", class_="step", recursive=False) for item in node.find_all("li", recursive=False))


def step_items(node: Tag, counter: list[int]) -> list[str]:
    """``1. **Headline.** Rest of the step.`` with the step's bullets indented beneath it."""
    items = []
    for item in node.find_all("li", recursive=False):
        step = item.find("div", class_="step", recursive=False) or item
        lines = item_lines(step, f"{counter[0] + 1}. ", 0)
        if lines:
            counter[0] += 1
            items.append("\n".join(lines))
    return items


def item_lines(item: Tag, marker: str, indent: int) -> list[str]:
    """One list item: its text after the marker, nested lists and later paragraphs indented under it."""
    pad = " " * (indent + len(marker))
    paragraphs: list[str] = []
    nested: list[list[str]] = []
    pieces: list[str] = []
    for child in item.children:
        if isinstance(child, Tag) and child.name in ("ul", "ol") and not skipped_tag(child):
            if pieces:
                paragraphs.append(collapse("".join(pieces)))
                pieces = []
            nested.append(list_lines(child, indent + len(marker)))
        elif isinstance(child, Tag) and child.name == "p" and pieces:
            paragraphs.append(collapse("".join(pieces)))
            pieces = [inline(child)]
        else:
            pieces.append(inline(child))
    if pieces:
        paragraphs.append(collapse("".join(pieces)))
    paragraphs = [text for text in paragraphs if text]
    if not paragraphs and not any(nested):
        return []
    first, *rest = paragraphs or [""]
    lines = [" " * indent + marker + first]
    for sub in nested:
        lines.extend(sub)
    for text in rest:
        lines.extend(["", pad + text])
    return lines


def list_lines(node: Tag, indent: int) -> list[str]:
    lines = []
    ordered = node.name == "ol"
    number = 0
    for item in node.find_all("li", recursive=False):
        marker = f"{number + 1}. " if ordered else "* "
        item_text = item_lines(item, marker, indent)
        if item_text:
            number += 1
            lines.extend(item_text)
    return lines


def table_markdown(table: Tag) -> str:
    rows = []
    for row in table.find_all("tr"):
        cells = [collapse(inline(cell)).replace("|", "/") for cell in row.find_all(["th", "td"], recursive=False)]
        if any(cells):
            rows.append(cells)
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
    lines.extend("| " + " | ".join(row) + " |" for row in rows[1:])
    return "\n".join(lines)


def has_block_child(node: Tag) -> bool:
    return any(
        isinstance(child, Tag) and child.name in ("p", "ul", "ol", "table", "div", "h3", "h4") and not skipped_tag(child)
        for child in node.children
    )


def skipped_tag(node: Tag) -> bool:
    if node.name in SKIPPED_TAGS:
        return True
    classes = node.get("class")
    if classes and not SKIPPED_CLASSES.isdisjoint(classes):
        return True
    return node.has_attr("hidden")


def inline(node: Any, bold: bool = False, italic: bool = False) -> str:
    """Text with ``**bold**`` and ``*italic*``; links become their text, media and citations vanish."""
    if isinstance(node, NavigableString):
        return "" if isinstance(node, NON_TEXT) else str(node)
    if not isinstance(node, Tag) or skipped_tag(node):
        return ""
    name = node.name
    if name == "br":
        return " "
    if name == "a":
        text = node.get_text()
        if URL_TEXT.match(text.strip()):
            return bare_site(text.strip())
    if name == "span" and "frac" in node.get("class", ()):
        parts = [collapse(part.get_text()) for part in node.find_all(["sup", "sub"])]
        return "/".join(parts) if len(parts) == 2 else node.get_text()
    if name in ("b", "strong") and not bold:
        return emphasised(inner(node, True, italic), "**")
    if name in ("i", "em") and not italic:
        return emphasised(inner(node, bold, True), "*")
    text = inner(node, bold, italic)
    if name in ("p", "div", "li", "ul", "ol", "h2", "h3", "h4", "tr", "td", "th", "table"):
        return f" {text} "
    return text


def inner(node: Tag, bold: bool, italic: bool) -> str:
    return "".join(inline(child, bold, italic) for child in node.children)


def emphasised(text: str, mark: str) -> str:
    """``mark`` around the words, outside the spaces around them (``** a **`` is not emphasis)."""
    core = text.strip()
    if not core:
        return text
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() else ""
    return f"{lead}{mark}{collapse(core)}{mark}{trail}"


def bare_site(url: str) -> str:
    """A link whose text is a URL: the host name keeps the sentence whole without the link."""
    host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
    return host


def collapse(text: str) -> str:
    return SPACES.sub(" ", text).strip()


# -- shared text clean-up --------------------------------------------------------------------------


def clean_text(text: str, settings: Settings) -> str:
    """Final touches on a response: no citation marks, no self-reference, tidy spacing."""
    text = CITATION_MARK.sub("", text)
    text = text.replace("****", "")
    text = SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    text = replace_self_references(text, settings.self_references, settings.self_reference_replacement)
    lines = [line.rstrip() for line in text.split("\n")]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def replace_self_references(text: str, phrases: tuple[str, ...], replacement: str) -> str:
    """"This article ..." at the start of a sentence, paragraph or list item -> "The following answer ..."."""
    pattern = self_reference_pattern(tuple(sorted(phrases, key=len, reverse=True)))
    return pattern.sub(lambda m: m.group(1) + replacement, text) if phrases else text


@functools.lru_cache(maxsize=8)
def self_reference_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    starts = r"(^|[.!?][\"\u201d\u2019)]?[ \t]+|^[ \t]*(?:[*-]|\d+\.)[ \t]+(?:\*\*)?|^\*\*)"
    words = "|".join(re.escape(phrase) for phrase in phrases)
    return re.compile(starts + r"(?:" + words + r")\b", re.MULTILINE)


# -- the Koupaee & Wang CSV ------------------------------------------------------------------------


@dataclass
class Article:
    """Consecutive CSV rows that make one article: its title and one (headlines, text) per section."""

    title: str
    line: int
    numbered: bool
    last_number: int
    sections: list[tuple[str, str]]


def read_csv(path: Path, settings: Settings, skipped: Counter) -> Iterator[Candidate]:
    """Stream the rows, join each article's sections, and yield one candidate per article.

    A record that is not three fields, or a quote left open, is an InputError naming the line where
    the record starts: a damaged file should be repaired, not half read.
    """
    seen: set[str] = set()
    current: Article | None = None
    for line, (headline, title, text) in csv_records(path):
        title = collapse(title)
        if current is not None and continues(current, title):
            current.sections.append((headline, text))
            continue
        if current is not None:
            yield from article_candidate(current, path, settings, seen, skipped)
        current = start_article(title, line, headline, text)
    if current is not None:
        yield from article_candidate(current, path, settings, seen, skipped)


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


def start_article(title: str, line: int, headline: str, text: str) -> Article:
    """A new article; a title ending in a glued "1" opens a numbered run (``Artist1``, ``Artist2``)."""
    glued = GLUED_SECTION_NUMBER.match(title)
    if glued and glued.group(2) == "1":
        return Article(glued.group(1), line, True, 1, [(headline, text)])
    return Article(title, line, False, 0, [(headline, text)])


def continues(article: Article, title: str) -> bool:
    """Whether a row belongs to the article being read: the same title, or the next glued number."""
    if article.numbered:
        glued = GLUED_SECTION_NUMBER.match(title)
        if glued and glued.group(1) == article.title and int(glued.group(2)) == article.last_number + 1:
            article.last_number += 1
            return True
        return False
    return title == article.title and bool(title)


def article_candidate(
    article: Article, path: Path, settings: Settings, seen: set[str], skipped: Counter
) -> Iterator[Candidate]:
    title = article.title
    if not title:
        skipped["CSV row without a title"] += len(article.sections)
        return
    slug = csv_slug(title)
    if slug in seen:
        skipped["duplicate title"] += 1
        return
    seen.add(slug)
    sections = []
    for headline, text in article.sections:
        steps = csv_steps(headline, text)
        if steps is None:
            skipped["headlines and paragraphs out of step"] += 1
            return
        sections.append(steps)
    sections = [steps for steps in sections if steps]
    if not sections:
        skipped["no steps"] += 1
        return
    if not settings.csv_category:
        skipped["unknown category"] += 1
        return
    blocks = []
    for number, steps in enumerate(sections, start=1):
        if len(sections) > 1:
            blocks.append(f"## Method {number}")
        blocks.append("\n\n".join(f"{i}. {step}" for i, step in enumerate(steps, start=1)))
    response = clean_text("\n\n".join(blocks), settings)
    yield Candidate(
        id=f"{NAME}/{slug}",
        source=NAME,
        subset=NAME,
        group=settings.csv_category,
        messages=chat(as_question(title), response),
        rank=0.0,
        meta={
            "url": SITE + quote(slug, safe="-._~()'!*:@,;"),
            "title": title,
            "category": settings.csv_category,
            "category_source": "none",
            "licence": LICENCE,
            "format": "csv",
            "file": path.name,
            "line": article.line,
        },
    )


def csv_steps(headline: str, text: str) -> list[str] | None:
    """``**Headline.** paragraph`` per step, or None when the two columns disagree on the count."""
    headlines = [line.strip().rstrip(",").strip() for line in headline.split("\n")]
    headlines = [collapse(line) for line in headlines if line]
    paragraphs = [line.strip().lstrip(",").strip() for line in text.split("\n")]
    paragraphs = [collapse(line) for line in paragraphs if line]
    if not paragraphs and not headlines:
        return []
    if len(headlines) != len(paragraphs):
        return None
    return [f"**{head}** {body}".strip() if head else body for head, body in zip(headlines, paragraphs)]


def csv_slug(title: str) -> str:
    """wikiHow's URL form of a title: "How to Zip a Folder" -> "Zip-a-Folder"."""
    name = re.sub(r"^how to\s+", "", title, flags=re.IGNORECASE)
    return "-".join(name.split())
