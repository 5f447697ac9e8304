"""The flow layout: inline content runs into paragraphs that block tags cut (post bodies, any HTML).

- ``<pre>`` becomes a fenced block, its text verbatim (a language hint is kept from a ``lang-x`` or
  ``language-x`` class); inline ``<code>`` becomes a backtick span, with a longer fence when the code
  holds backticks itself.
- ``<ul>``/``<ol>`` stay lists, nested ones indented under their item; ``<ol start>`` and
  ``<li value>`` set the numbers. A list is written loose (blank lines between items) only when an
  item holds more than one paragraph.
- A container (``Rules.containers``: ``<p>``, ``<div>``, ...) is paragraphs separated by one blank line;
  ``<br>`` is a line break; ``<blockquote>`` becomes ``> `` lines; a heading (``Rules.headings``)
  becomes ``#`` lines; ``<hr>`` is ``---``; ``<strong>``/``<b>`` become ``**x**`` and ``<em>``/``<i>``
  ``*x*``; a table becomes ``| a | b |`` rows.
- Links become their text; a text that only points ("here", "this paper", ``Rules.deictic_links``)
  keeps the target's host after it: "as detailed in this paper (arxiv.org)". Images disappear with their alt text; skipped elements disappear with
  their content; every other tag disappears and keeps its text.
- Outside code blocks whitespace is normalised: runs of spaces (and no-break spaces) collapse to one,
  lines carry no trailing spaces, blocks are separated by exactly one blank line and the text neither
  starts nor ends with a blank line. Text is not markdown-escaped: the output is read by people and
  tokenisers, not rendered again.

One walk over the tree, about as fast as parsing. Deeper than ``MAX_DEPTH`` a subtree is kept as plain
text, so pathological nesting cannot exhaust Python's recursion limit.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from lxml import etree

from .markup_rules import SPACES, WHITESPACE, Node, Rules, deictic_host, skipped

_RARE_SPACES = re.compile("[\r\f\v]")
_BACKTICKS = re.compile(r"`+")

MAX_DEPTH = 100

_EMPHASIS = {"strong": "**", "b": "**", "em": "*", "i": "*"}
_NO_LANGUAGE = frozenset({"", "none", "default", "plaintext", "text"})


def blocks(nodes: Iterable[Node], rules: Rules) -> list[str]:
    """The markdown blocks of a run of content (texts and elements, as ``content`` yields them)."""
    out = _Blocks()
    for node in nodes:
        if isinstance(node, str):
            out.text(node)
        else:
            _visit(node, out, rules, 1)
    out.flush()
    return out.blocks


class _ListBlock(str):
    """A rendered list: inside a list item it follows the item's text without a blank line."""


class _Blocks:
    """Finished blocks, plus the paragraph being assembled from inline content."""

    __slots__ = ("blocks", "pieces", "at_space", "flushes")

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.pieces: list[str] = []
        self.at_space = True  # the paragraph so far is empty or ends in whitespace
        self.flushes = 0  # bumped whenever the paragraph is cut, so emphasis knows it was split

    def text(self, text: str) -> None:
        if not text.strip(WHITESPACE):
            text = " "
        elif "  " in text or "\n" in text or "\xa0" in text or "\t" in text or _RARE_SPACES.search(text):
            text = SPACES.sub(" ", text)  # the cheap checks first: most text nodes need no regex pass
        if self.at_space and text[:1] == " ":
            text = text[1:]
        if text:
            self.pieces.append(text)
            self.at_space = text[-1] == " "

    def literal(self, text: str) -> None:
        self.pieces.append(text)
        self.at_space = False

    def line_break(self) -> None:
        self.pieces.append("\n")
        self.at_space = True

    def flush(self) -> None:
        """End the current paragraph: strip each line, keep at most one blank line between lines."""
        if not self.pieces:
            return
        joined = "".join(self.pieces)
        self.pieces = []
        self.at_space = True
        self.flushes += 1
        lines: list[str] = []
        for line in joined.split("\n"):
            line = line.strip(" ")
            if line or (lines and lines[-1]):
                lines.append(line)
        while lines and not lines[-1]:
            lines.pop()
        if lines:
            self.blocks.append("\n".join(lines))

    def add_block(self, block: str) -> None:
        self.flush()
        self.flushes += 1
        self.blocks.append(block)


def _walk(parent: etree._Element, out: _Blocks, rules: Rules, depth: int) -> None:
    """Render the content of `parent` (its text, children and their tails) into `out`."""
    if depth > MAX_DEPTH:
        out.text(" ".join(_plain_texts(parent, rules, [])))
        return
    if parent.text:
        out.text(parent.text)
    for child in parent:
        _visit(child, out, rules, depth + 1)
        if child.tail:
            out.text(child.tail)


def _visit(element: etree._Element, out: _Blocks, rules: Rules, depth: int) -> None:
    """Render one element (not its tail) into `out`."""
    if skipped(element, rules):
        return
    tag = element.tag
    if tag in rules.containers:
        out.flush()
        _walk(element, out, rules, depth)
        out.flush()
    elif tag == "code":
        code = _code_text(element, rules).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
        if code:
            out.literal(_code_span(code))
    elif tag in _EMPHASIS:
        _emphasis(element, out, rules, depth, _EMPHASIS[tag])
    elif tag == "br":
        out.line_break()
    elif tag == "hr":
        out.add_block("---")
    elif tag == "a" and rules.deictic_links:
        _link(element, out, rules, depth)
    else:
        block = _render_block(element, tag, rules, depth)
        if block is None:  # links and every other inline tag: the tag goes, its text stays
            _walk(element, out, rules, depth)
        elif block:
            out.add_block(block)
        else:
            out.flush()


def _render_block(element: etree._Element, tag: str, rules: Rules, depth: int) -> str | None:
    """The markdown of a structured block element ("" when it has no text), None for other tags."""
    if tag == "pre":
        return _fenced_block(element, rules)
    if tag == "ul" or tag == "ol":
        return _list(element, rules, depth)
    if tag == "blockquote":
        quote = _render(element, rules, depth)
        return _prefix_lines(quote, "> ", ">") if quote else ""
    if tag in rules.headings:
        title = _one_line(_render(element, rules, depth))
        return "#" * rules.headings[tag] + " " + title if title else ""
    if tag == "table":
        return _table(element, rules, depth)
    return None


def _render(element: etree._Element, rules: Rules, depth: int) -> str:
    """The content of one element as its own markdown document."""
    return "\n\n".join(_blocks_of(element, rules, depth))


def _blocks_of(element: etree._Element, rules: Rules, depth: int) -> list[str]:
    """The content of one element as a list of blocks."""
    out = _Blocks()
    _walk(element, out, rules, depth)
    out.flush()
    return out.blocks


def _one_line(text: str) -> str:
    """Markdown squeezed onto one line, for headings and table cells."""
    return " ".join(line for line in text.split("\n") if line)


def _emphasis(element: etree._Element, out: _Blocks, rules: Rules, depth: int, marker: str) -> None:
    """Wrap the element's inline text in `marker`, with surrounding whitespace moved outside."""
    start, flushes = len(out.pieces), out.flushes
    _walk(element, out, rules, depth)
    if out.flushes != flushes:  # the element held a block: emphasis cannot span it, keep plain text
        return
    inner = "".join(out.pieces[start:])
    core = inner.strip(" \n")
    if not core:
        return
    lead = inner[: len(inner) - len(inner.lstrip(" \n"))]
    trail = inner[len(inner.rstrip(" \n")) :]
    out.pieces[start:] = [lead, marker, core, marker, trail]


def _link(element: etree._Element, out: _Blocks, rules: Rules, depth: int) -> None:
    """A link becomes its text; a text that only points ("here", "this paper") keeps the host: "(arxiv.org)"."""
    start, flushes = len(out.pieces), out.flushes
    _walk(element, out, rules, depth)
    if out.flushes == flushes:  # a link around blocks is left as its text
        host = deictic_host(element, "".join(out.pieces[start:]), rules)
        if host:
            out.text(f" ({host})")


# -- code ------------------------------------------------------------------------------------------


def _code_text(element: etree._Element, rules: Rules) -> str:
    """All text below `element`, with <br> as a newline and skipped elements left out."""
    plain = not rules.skipped_classes and not rules.skip_hidden
    if plain and next(element.iter("br", *rules.skipped_tags), None) is None:
        return "".join(element.itertext())  # itertext leaves out comments and processing instructions
    parts = [element.text or ""]
    _append_code_text(element, rules, parts)
    return "".join(parts)


def _append_code_text(parent: etree._Element, rules: Rules, parts: list[str]) -> None:
    for child in parent:
        if not skipped(child, rules):
            parts.append("\n" if child.tag == "br" else child.text or "")
            _append_code_text(child, rules, parts)
        if child.tail:
            parts.append(child.tail)


def _plain_texts(parent: etree._Element, rules: Rules, texts: list[str]) -> list[str]:
    """The text nodes below `parent`, as if skipped elements had been removed (a removed element's
    tail joins the text before it): for subtrees nested too deep to walk."""
    last = None  # index in `texts` of the text a removed element's tail joins
    if parent.text:
        texts.append(parent.text)
        last = len(texts) - 1
    for child in parent:
        if skipped(child, rules):
            if child.tail and last is not None:
                texts[last] += child.tail
            elif child.tail:
                texts.append(child.tail)
                last = len(texts) - 1
            continue
        _plain_texts(child, rules, texts)
        last = None
        if child.tail:
            texts.append(child.tail)
            last = len(texts) - 1
    return texts


def _code_span(code: str) -> str:
    """Inline code in a backtick fence one longer than any backtick run inside it."""
    runs = _BACKTICKS.findall(code)
    fence = "`" * (max(map(len, runs)) + 1) if runs else "`"
    needs_padding = code[0] == "`" or code[-1] == "`" or (code[0] == " " == code[-1] and not code.isspace())
    pad = " " if needs_padding else ""
    return fence + pad + code + pad + fence


def _fenced_block(pre: etree._Element, rules: Rules) -> str:
    """A ``` block: the code verbatim, minus blank lines before and after it."""
    code = _code_text(pre, rules).replace("\r\n", "\n").replace("\r", "\n")
    lines = code.split("\n")
    first, last = 0, len(lines)
    while first < last and not lines[first].strip():
        first += 1
    while last > first and not lines[last - 1].strip():
        last -= 1
    if first == last:
        return ""
    code = "\n".join(lines[first:last])
    runs = _BACKTICKS.findall(code)
    fence = "`" * max(3, max(map(len, runs)) + 1 if runs else 3)
    return f"{fence}{_language(pre)}\n{code}\n{fence}"


def _language(pre: etree._Element) -> str:
    """The language named by a lang-x / language-x class on <pre> or its <code>."""
    classes = (pre.get("class") or "").split()
    code = pre.find("code")
    if code is not None:
        classes += (code.get("class") or "").split()
    for name in classes:
        for prefix in ("lang-", "language-"):
            if name.startswith(prefix):
                language = name[len(prefix) :]
                if language.lower() not in _NO_LANGUAGE and "`" not in language:
                    return language
    return ""


# -- lists -----------------------------------------------------------------------------------------


def _list(element: etree._Element, rules: Rules, depth: int) -> str:
    """A markdown list; what sits directly in <ul>/<ol> (a nested list, stray text) joins the item before."""
    ordered = element.tag == "ol"
    number = _number(element.get("start"), 1)
    items: list[tuple[str, list[str]]] = []
    stray = _Blocks()
    if element.text:
        stray.text(element.text)
    for child in element:
        if child.tag == "li" and not skipped(child, rules):
            if _attach_stray(items, stray, f"{number}." if ordered else rules.bullet):
                number += 1
            number = _number(child.get("value"), number)
            items.append((f"{number}." if ordered else rules.bullet, _blocks_of(child, rules, depth)))
            number += 1
        else:
            _visit(child, stray, rules, depth + 1)
        if child.tail:
            stray.text(child.tail)
    _attach_stray(items, stray, f"{number}." if ordered else rules.bullet)
    rendered = [_item(marker, blocks) for marker, blocks in items if blocks]
    if not rendered:
        return ""
    loose = any(is_loose for _, is_loose in rendered)
    return _ListBlock(("\n\n" if loose else "\n").join(text for text, _ in rendered))


def _attach_stray(items: list[tuple[str, list[str]]], stray: _Blocks, marker: str) -> bool:
    """Move what `stray` collected into the last item; True when that needed a new item."""
    stray.flush()
    if not stray.blocks:
        return False
    created = not items
    if created:
        items.append((marker, []))
    items[-1][1].extend(stray.blocks)
    stray.blocks.clear()
    return created


def _item(marker: str, blocks: list[str]) -> tuple[str, bool]:
    """One list item: the marker, then the item's blocks indented under it. Also: is it loose?"""
    parts = [blocks[0]]
    loose = False
    for block in blocks[1:]:
        if isinstance(block, _ListBlock):
            parts.append("\n")
        else:
            parts.append("\n\n")
            loose = True
        parts.append(block)
    indent = " " * (len(marker) + 1)
    first, *rest = "".join(parts).split("\n")
    lines = [f"{marker} {first}"]
    lines += [indent + line if line else "" for line in rest]
    return "\n".join(lines), loose


def _prefix_lines(text: str, prefix: str, empty_prefix: str) -> str:
    return "\n".join(prefix + line if line else empty_prefix for line in text.split("\n"))


def _number(value: str | None, default: int) -> int:
    """An <ol start> or <li value> number; anything unreadable keeps the running count."""
    if value is None:
        return default
    try:
        return max(0, int(value.strip()))
    except ValueError:
        return default


# -- tables ----------------------------------------------------------------------------------------


def _table(table: etree._Element, rules: Rules, depth: int) -> str:
    """Rows as `| a | b |` lines (a header rule as ``Rules.table_header`` says), after any caption."""
    rows: list[str] = []
    for row in _rows(table, rules):
        cells = [child for child in row if child.tag in ("td", "th") and not skipped(child, rules)]
        if not cells:
            continue
        texts = [_one_line(_render(cell, rules, depth)).replace("|", rules.table_pipe) for cell in cells]
        is_header = not rows and (rules.table_header == "first row" or all(cell.tag == "th" for cell in cells))
        rows.append("|" + "|".join(f" {text} " if text else " " for text in texts) + "|")
        if is_header:
            rows.append("|" + "|".join(" --- " for _ in cells) + "|")
    caption = table.find("caption")
    title = _one_line(_render(caption, rules, depth)) if caption is not None and not skipped(caption, rules) else ""
    return "\n\n".join(part for part in (title, "\n".join(rows)) if part)


def _rows(table: etree._Element, rules: Rules) -> Iterator[etree._Element]:
    """The table's own rows, also those inside thead/tbody/tfoot, but not those of nested tables."""
    for child in table:
        if child.tag == "tr" and not skipped(child, rules):
            yield child
        elif child.tag in ("thead", "tbody", "tfoot") and not skipped(child, rules):
            for row in child:
                if row.tag == "tr" and not skipped(row, rules):
                    yield row
