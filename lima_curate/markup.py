"""HTML -> markdown text: one converter for every source, told apart by the :class:`Rules` each passes.

LIMA trains on responses as plain markdown: code stays code, lists stay lists, paragraphs, headings and
tables keep their shape, and everything that only makes sense in a browser goes. What a source decides
is data in its rules: what is skipped (tags, classes, the ``hidden`` attribute), the layout, heading
levels, the bullet, step lists, links whose text is a URL, fractions and how tables mark their header.

- ``markup_rules``: :class:`Rules`, and reading a tree alike in every layout (skipping, a node's
  content, an element's shown text);
- ``markup_flow``: the flow layout, for post bodies and HTML at large; ``Rules()`` is it with the
  defaults Stack Exchange bodies use;
- ``markup_lines``: the lines layout, for pages with a regular layout (wikiHow: its rules are in
  ``sources/wikihow_markdown.py``).

The parser is libxml2's HTML parser through lxml, which repairs malformed markup. ``html_to_markdown``
never raises on a ``str`` unless asked to be strict. One limit comes from libxml2: markup nested 255
elements deep or more ends the parse, so such a body converts to the text before that point (real post
bodies nest a handful of levels, saved wikiHow pages under 20). Readers convert with ``strict=True``:
a tree nested more than ``MAX_NESTING`` elements deep raises :class:`TooDeep` instead, and the reader
drops what held it with a counted skip, so no half-converted text and no exhausted stack ever reach a set
(:func:`nested_too_deep` is the same check on a tree a reader parsed itself).
"""

from __future__ import annotations

from typing import Iterable

from lxml import etree

from . import markup_flow, markup_lines
from .markup_rules import FLOW, LINES, Node, Rules, collapse, content, has_class, text_content

__all__ = [
    "FLOW",
    "LINES",
    "MAX_NESTING",
    "Node",
    "Rules",
    "TooDeep",
    "blocks",
    "collapse",
    "content",
    "has_class",
    "html_to_markdown",
    "nested_too_deep",
    "parse_document",
    "parse_fragment",
    "text_content",
]

GENERAL = Rules()  # HTML at large: the flow layout as Stack Exchange bodies need it
_BYTES_PARSER = etree.HTMLParser(encoding="utf-8")

MAX_NESTING = 128  # elements below the root; libxml2 cuts a parse at 255, real pages nest under 20
_BELOW_MAX_NESTING = etree.XPath("/".join(["*"] * (MAX_NESTING + 1)))  # elements deeper than the cap


class TooDeep(ValueError):
    """Markup nested more than ``MAX_NESTING`` elements deep: the reader drops what holds it (counted)."""


def nested_too_deep(root: etree._Element) -> bool:
    """Whether some element lies more than ``MAX_NESTING`` levels below ``root`` (one XPath pass, in C)."""
    return bool(_BELOW_MAX_NESTING(root))


def html_to_markdown(html: str, rules: Rules = GENERAL, strict: bool = False) -> str:
    """Convert one HTML fragment (a post body) to markdown text ("" for a body with no text).

    ``strict``: raise :class:`TooDeep` for markup nested deeper than ``MAX_NESTING`` (which libxml2 may
    have cut short) rather than convert what the parser kept."""
    root = parse_fragment(html)
    if root is None:
        return ""
    if strict and nested_too_deep(root):
        raise TooDeep(f"HTML nested more than {MAX_NESTING} elements deep")
    return "\n\n".join(blocks(content(root), rules))


def blocks(nodes: Iterable[Node], rules: Rules) -> list[str]:
    """A run of content (texts and elements, as :func:`content` yields them) as markdown blocks, in the
    layout the rules name; a source that knows its page's structure picks the runs."""
    layout = markup_lines if rules.layout == LINES else markup_flow
    return layout.blocks(nodes, rules)


def parse_fragment(html: str) -> etree._Element | None:
    """Parse a fragment; unencodable characters become '?' instead of silently ending the text."""
    if not html or html.isspace():
        return None
    if not html.isascii():
        try:
            html.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: libxml2 would stop reading at the first one
            html = html.encode("utf-8", "replace").decode("utf-8")
    try:
        return etree.HTML(html)
    except (ValueError, etree.LxmlError):  # e.g. a str that carries an XML encoding declaration
        try:
            return etree.fromstring(html.encode("utf-8"), _BYTES_PARSER)
        except (ValueError, etree.LxmlError):
            return None


def parse_document(html: str) -> etree._Element | None:
    """Parse a whole saved page as wikiHow pages have always been read: lxml's push parser feeding a tree
    builder (the events BeautifulSoup's lxml builder gets), every text node as the page has it; None when
    the page holds no element."""
    parser = etree.HTMLParser(target=etree.TreeBuilder())
    try:
        parser.feed(html.removeprefix("\ufeff"))
        root = parser.close()
    except etree.LxmlError:  # an empty page: the tree builder has no root
        return None
    return root if root is not None and isinstance(root.tag, str) else None
