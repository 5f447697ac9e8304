"""What differs between sources when their HTML becomes markdown (:class:`Rules`), and reading a tree
the same way in every layout: which nodes are skipped, a node's content, an element's text.

The layouts themselves are ``markup_flow`` and ``markup_lines``; ``markup`` is the entry point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Iterator, Mapping, TypeAlias
from urllib.parse import urlsplit

from lxml import etree

Node: TypeAlias = str | etree._Element  # a piece of an element's content: a text or a child

FLOW = "flow"
LINES = "lines"

# Tags that start and end a paragraph in the flow layout; their content is walked like the top level.
BLOCK_CONTAINERS = frozenset(
    "p div html head body title section article aside header footer main nav figure figcaption address center details"
    " summary dl dt dd form fieldset legend caption li noscript tr td th thead tbody tfoot dialog menu hgroup".split()
)
HEADING_LEVELS = MappingProxyType({"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6})

# Text below these is not text a browser shows (BeautifulSoup's string containers): left out of text_content.
NOT_SHOWN = frozenset({"script", "style", "template", "rt", "rp"})

# Link texts that only point ("as detailed in this paper", "see here"): with the link gone the sentence
# points at nothing, so the flow layout keeps the target's host after them: "in this paper (arxiv.org)".
_POINTERS = ("here", "there", "this", "that", "link", "source", "click here", "see here", "right here", "over here")
_NOUNS = (
    "paper article link page post blog blog post video site website web page webpage document doc docs documentation"
    " thread tutorial guide book study report question answer discussion one list table chart graph image picture"
    " photo map pdf source reference wiki entry talk presentation slides repository repo project package library"
    " tool spec specification standard rfc manual issue commit comment example demo"
).split()
DEICTIC_LINK_TEXTS = frozenset(
    _POINTERS
    + tuple(f"{det} {noun}" for det in ("this", "that", "the", "a", "an") for noun in _NOUNS)
    + tuple(f"{det} {noun}s" for det in ("these", "those", "the") for noun in _NOUNS if not noun.endswith("s"))
)

WHITESPACE = " \t\n\r\f\v\xa0"  # HTML's collapsible whitespace, plus the no-break space
SPACES = re.compile(f"[{WHITESPACE}]+")


@dataclass(frozen=True)
class Rules:
    """How one source's HTML becomes markdown. The defaults are general HTML, as in Stack Exchange post
    bodies; a source with a regular page layout passes its own (wikiHow: ``sources/wikihow_markdown.py``).

    ``deictic_links`` (flow layout): link texts, lower case, that only point ("here", "this paper"); a
    link with such a text and an absolute href keeps its target's host after it ("this paper
    (arxiv.org)"), so the sentence still says where. An empty set turns it off.

    ``layout`` is ``FLOW`` or ``LINES``. Flow: inline content runs into paragraphs that block tags cut,
    list items and table cells hold blocks of their own, ``<pre>``/``<code>`` become fences and
    backticks, ``<blockquote>`` ``>`` lines and ``<hr>`` ``---``. Lines: every child of a block is a
    block of its own, and each paragraph, heading, list item paragraph and table cell is one line of
    text, with ``**bold**`` and ``*italic*`` (not nested) and every other tag reduced to its text.
    """

    layout: str = FLOW
    skipped_tags: frozenset[str] = frozenset({"script", "style", "template"})  # left out with their content
    skipped_classes: frozenset[str] = frozenset()  # so is an element with one of these classes
    skip_hidden: bool = False  # and one with the ``hidden`` attribute; comments and PIs always are
    containers: frozenset[str] = BLOCK_CONTAINERS  # tags whose content is blocks, not one paragraph
    block_children: frozenset[str] = frozenset()  # lines: a container holds blocks only with such a child
    spaced_tags: frozenset[str] = frozenset()  # lines: on one line, their text stands a word apart
    headings: Mapping[str, int] = field(default_factory=HEADING_LEVELS.copy)  # tag -> the number of # before its text
    bullet: str = "-"  # the marker of an unordered list item
    step_class: str = ""  # lines: an <ol> whose items hold a div of this class is a list of steps
    url_links_as_hosts: bool = False  # lines: a link whose text is a bare URL reads as the site's host
    fraction_class: str = ""  # lines: a span of this class holding <sup>1</sup> and <sub>2</sub> reads 1/2
    table_header: str = "th"  # "th": a rule under a first row of <th> cells; "first row": always one
    table_pipe: str = "\\|"  # what a | inside a cell becomes
    deictic_links: frozenset[str] = DEICTIC_LINK_TEXTS  # flow: after such a link text, "(host)" of its href

    def __post_init__(self) -> None:
        if self.layout not in (FLOW, LINES):
            raise ValueError(f"layout must be {FLOW!r} or {LINES!r}, not {self.layout!r}")
        if self.table_header not in ("th", "first row"):
            raise ValueError(f"table_header must be 'th' or 'first row', not {self.table_header!r}")


def skipped(element: etree._Element, rules: Rules) -> bool:
    """Whether an element is left out with its content (its tail is text of its parent)."""
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return True
    if tag in rules.skipped_tags:
        return True
    if rules.skipped_classes:
        names = element.get("class")
        if names and not rules.skipped_classes.isdisjoint(names.split()):
            return True
    return rules.skip_hidden and element.get("hidden") is not None


def has_class(element: etree._Element, name: str) -> bool:
    """Whether ``name`` is one of the element's classes."""
    names = element.get("class")
    return bool(names) and name in names.split()


def content(element: etree._Element) -> Iterator[Node]:
    """The element's content in document order: its text, each child and the text after that child."""
    if element.text:
        yield element.text
    for child in element:
        yield child
        if child.tail:
            yield child.tail


def text_content(element: etree._Element, separator: str = "") -> str:
    """All text below an element as a browser shows it: no comments, and nothing inside script, style,
    template or ruby annotations unless the element is one itself (then: its own text of that kind).
    Skipping rules do not apply: this is the page's own text, as BeautifulSoup's ``get_text`` gives it."""
    own = element.tag if element.tag in NOT_SHOWN else None
    around = own or next((ancestor.tag for ancestor in element.iterancestors() if ancestor.tag in NOT_SHOWN), None)
    return separator.join(_strings_of_kind(element, around, own))


def _strings_of_kind(element: etree._Element, inside: str | None, kind: str | None) -> Iterator[str]:
    """The texts below ``element`` whose innermost not-shown container is ``kind`` (None: there is none);
    ``inside`` is the innermost one around the element's own text."""
    if element.text and inside == kind:
        yield element.text
    for child in element:
        if isinstance(child.tag, str):
            yield from _strings_of_kind(child, child.tag if child.tag in NOT_SHOWN else inside, kind)
        if child.tail and inside == kind:
            yield child.tail


def deictic_host(element: etree._Element, text: str, rules: Rules) -> str:
    """The host to keep after a link whose shown ``text`` only points ("here", "this paper"), without
    "www."; "" for any other text and for a relative or unreadable href."""
    words = collapse(text).strip(" .,:;!?()[]\"'“”‘’*_").lower()
    if words not in rules.deictic_links:
        return ""
    href = (element.get("href") or "").strip()
    try:
        host = urlsplit(href).hostname or "" if href.lower().startswith(("http://", "https://")) else ""
    except ValueError:  # a malformed netloc ("http://[x")
        return ""
    return host.removeprefix("www.")


def collapse(text: str) -> str:
    """Runs of whitespace as one space, none at either end."""
    return SPACES.sub(" ", text).strip()
