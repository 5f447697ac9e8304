"""The lines layout: every child of a block is a block of its own, each paragraph, heading, list item
paragraph and table cell one line of text (pages with a regular layout, such as wikiHow's).

- A text is a paragraph. A container (``Rules.containers``) holding one of ``Rules.block_children``
  is its children's blocks; any other element is a paragraph: its text on one line, ``<br>`` and the
  ``Rules.spaced_tags`` a space, ``<b>``/``<strong>`` ``**x**`` and ``<i>``/``<em>`` ``*x*`` (not
  nested), a link its text (or the site's host, with ``Rules.url_links_as_hosts``, when that text is a
  bare URL), a ``Rules.fraction_class`` span ``1/2``, every other tag its text.
- A heading (``Rules.headings``) is ``#`` marks and its line.
- A list item is its first paragraph after the marker (``1. `` or the bullet), its nested lists
  indented beneath, then its later paragraphs, each after a blank line; a ``<p>`` starts a new
  paragraph. Items without text take no number.
- A step list (an ``<ol>`` whose items hold a ``div`` of ``Rules.step_class``) is one block per step,
  numbered across one call (wikiHow numbers steps per method, across its lists).
- A table is ``| a | b |`` rows of its cells' lines, every row below it (nested tables' too), padded
  to the widest, a header rule as ``Rules.table_header`` says; rows without text are left out.
"""

from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import urlsplit

from lxml import etree

from .markup_rules import Node, Rules, collapse, content, has_class, skipped, text_content

_URL_TEXT = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_BOLD = ("b", "strong")
_ITALIC = ("i", "em")


def blocks(nodes: Iterable[Node], rules: Rules) -> list[str]:
    """The markdown blocks of a run of content (texts and elements, as ``content`` yields them)."""
    steps = [0]  # steps numbered so far in this run
    return [block for node in nodes for block in _blocks(node, rules, steps)]


def _blocks(node: Node, rules: Rules, steps: list[int]) -> list[str]:
    if isinstance(node, str):
        text = collapse(node)
        return [text] if text else []
    if skipped(node, rules):
        return []
    tag = node.tag
    if tag == "ol" and rules.step_class and _is_step_list(node, rules):
        return _step_items(node, rules, steps)
    if tag in ("ul", "ol"):
        lines = _list_lines(node, rules, 0)
        return ["\n".join(lines)] if lines else []
    if tag in rules.headings:
        text = _line(node, rules)
        return ["#" * rules.headings[tag] + " " + text] if text else []
    if tag == "table":
        table = _table(node, rules)
        return [table] if table else []
    if tag in rules.containers and _holds_blocks(node, rules):
        return [block for child in content(node) for block in _blocks(child, rules, steps)]
    text = _line(node, rules)
    return [text] if text else []


def _holds_blocks(node: etree._Element, rules: Rules) -> bool:
    return any(child.tag in rules.block_children and not skipped(child, rules) for child in node)


def _line(node: etree._Element, rules: Rules) -> str:
    """An element's text on one line, with emphasis."""
    return collapse(_inline(node, rules, False, False))


def _inline(node: etree._Element, rules: Rules, bold: bool, italic: bool) -> str:
    if skipped(node, rules):
        return ""
    tag = node.tag
    if tag == "br":
        return " "
    if tag == "a" and rules.url_links_as_hosts:
        text = text_content(node).strip()
        if _URL_TEXT.match(text):
            return urlsplit(text if "://" in text else f"http://{text}").hostname or ""
    if tag == "span" and rules.fraction_class and has_class(node, rules.fraction_class):
        parts = [collapse(text_content(part)) for part in node.iterdescendants("sup", "sub")]
        return "/".join(parts) if len(parts) == 2 else text_content(node)
    if tag in _BOLD and not bold:
        return _emphasised(_inner(node, rules, True, italic), "**")
    if tag in _ITALIC and not italic:
        return _emphasised(_inner(node, rules, bold, True), "*")
    text = _inner(node, rules, bold, italic)
    return f" {text} " if tag in rules.spaced_tags else text


def _inner(node: etree._Element, rules: Rules, bold: bool, italic: bool) -> str:
    return "".join(part if isinstance(part, str) else _inline(part, rules, bold, italic) for part in content(node))


def _emphasised(text: str, mark: str) -> str:
    """``mark`` around the words, outside the spaces around them (``** a **`` is not emphasis)."""
    core = text.strip()
    if not core:
        return text
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() else ""
    return f"{lead}{mark}{collapse(core)}{mark}{trail}"


# -- lists -----------------------------------------------------------------------------------------


def _items(node: etree._Element) -> list[etree._Element]:
    return [child for child in node if child.tag == "li"]


def _step_of(item: etree._Element, rules: Rules) -> etree._Element | None:
    return next((child for child in item if child.tag == "div" and has_class(child, rules.step_class)), None)


def _is_step_list(node: etree._Element, rules: Rules) -> bool:
    return any(_step_of(item, rules) is not None for item in _items(node))


def _step_items(node: etree._Element, rules: Rules, steps: list[int]) -> list[str]:
    """``1. **Headline.** Rest of the step.`` with the step's bullets indented beneath it."""
    found = []
    for item in _items(node):
        step = _step_of(item, rules)
        lines = _item_lines(step if step is not None else item, rules, f"{steps[0] + 1}. ", 0)
        if lines:
            steps[0] += 1
            found.append("\n".join(lines))
    return found


def _list_lines(node: etree._Element, rules: Rules, indent: int) -> list[str]:
    lines = []
    ordered = node.tag == "ol"
    number = 0
    for item in _items(node):
        item_lines = _item_lines(item, rules, f"{number + 1}. " if ordered else f"{rules.bullet} ", indent)
        if item_lines:
            number += 1
            lines.extend(item_lines)
    return lines


def _item_lines(item: etree._Element, rules: Rules, marker: str, indent: int) -> list[str]:
    """One list item: its text after the marker, nested lists and later paragraphs indented under it."""
    pad = " " * (indent + len(marker))
    paragraphs: list[str] = []
    nested: list[list[str]] = []
    pieces: list[str] = []
    for child in content(item):
        if isinstance(child, str):
            pieces.append(child)
        elif child.tag in ("ul", "ol") and not skipped(child, rules):
            if pieces:
                paragraphs.append(collapse("".join(pieces)))
                pieces = []
            nested.append(_list_lines(child, rules, indent + len(marker)))
        elif child.tag == "p" and pieces:
            paragraphs.append(collapse("".join(pieces)))
            pieces = [_inline(child, rules, False, False)]
        else:
            pieces.append(_inline(child, rules, False, False))
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


# -- tables ----------------------------------------------------------------------------------------


def _table(table: etree._Element, rules: Rules) -> str:
    """``| a | b |`` lines for every row below the table with text, padded to the widest row."""
    rows = []
    for row in table.iter("tr"):
        cells = [cell for cell in row if cell.tag in ("th", "td")]
        texts = [_line(cell, rules).replace("|", rules.table_pipe) for cell in cells]
        if any(texts):
            rows.append((texts, all(cell.tag == "th" for cell in cells)))
    if not rows:
        return ""
    width = max(len(texts) for texts, _ in rows)
    lines = ["| " + " | ".join(texts + [""] * (width - len(texts))) + " |" for texts, _ in rows]
    if rules.table_header == "first row" or rows[0][1]:
        lines.insert(1, "|" + " --- |" * width)
    return "\n".join(lines)
