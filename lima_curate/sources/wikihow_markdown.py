"""A saved wikiHow page's body -> the response's markdown: the markup core's lines layout with
wikiHow's rules, over the sections the page is made of.

The body (``#bodyContent``) is ``div.section`` elements: ``#intro`` (a byline, a table of contents, an
image, then the intro paragraphs in ``#mf-section-0``), one ``div.section.steps`` per method or part
(an ``h2``/``h3`` holding ``Method 2 of 3:`` in ``div.altblock`` and the name in ``span.mw-headline``,
then ``<ol>`` lists whose items hold ``div.step``), then sections named by their ``span.mw-headline``
(Ingredients, Tips, Warnings, Things You'll Need, References, ...). The response is the intro's
paragraphs, each method or part under a ``## `` heading over its steps numbered across the method's
lists, then every other section not pruned as ``## Heading`` over its blocks. Two layouts (the
recipe's ``[wikihow] layout``):

- ``released`` (LIMA's released answers, GAIR/lima): ``## Name`` headings without their ``Method 2:``
  / ``Part 1:`` label, each step ``1. Headline. Rest of the step.`` as one run of prose, and no bold
  anywhere (a headline without closing punctuation gets a full stop before the text it runs into);
- ``rich``: ``## Method 1: Name`` (``## Part 1: Name``) and ``1. **Headline.** Rest of the step.``,
  bold kept as ``**bold**``.

Either way a single unnamed list of steps gets no heading, and a method without a name keeps its label
(``## Method 2``) as its only heading.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Iterable

from lxml import etree

from .. import markup
from .wikihow_categories import normal_name

# Elements that never carry article text: media, scripts, templates (inert markup a script may clone),
# ads, citation markers with their pop-ups, step numbers (the markdown numbers the steps), vote buttons
# and forms.
SKIPPED_TAGS = frozenset(
    "script style template noscript img picture source video audio svg iframe input button form textarea select map object embed".split()
)
SKIPPED_CLASSES = frozenset(
    "reference ts_popup mwimg image_details video-player m-video step_num checkmark clearall altblock wh_ad_inner"
    " wh_vote_container addTipElement qz_container qy_cta stepanchor expert_coauthor article_byline".split()
)

# One line per paragraph, item and cell; sub-headings at level 3 under the response's ## sections;
# a link whose text is a bare URL keeps the sentence whole as the site's host name.
WIKIHOW = markup.Rules(
    layout=markup.LINES,
    skipped_tags=SKIPPED_TAGS,
    skipped_classes=SKIPPED_CLASSES,
    skip_hidden=True,
    containers=frozenset({"body", "div", "section", "blockquote"}),  # body: a fragment given to html_to_markdown
    block_children=frozenset({"p", "ul", "ol", "table", "div", "h3", "h4"}),
    spaced_tags=frozenset({"p", "div", "li", "ul", "ol", "h2", "h3", "h4", "tr", "td", "th", "table"}),
    headings={tag: 3 for tag in ("h2", "h3", "h4", "h5", "h6")},
    bullet="*",
    url_links_as_hosts=True,
    fraction_class="frac",
    table_header="first row",
    table_pipe="/",
)
STEPS = dataclasses.replace(WIKIHOW, step_class="step")  # a method's or part's lists of steps

SECTION_NUMBER = re.compile(r"\b(Method|Part)\s*(\d+)\b")

RELEASED = "released"  # LIMA's released layout: headlines run into their step as prose, no bold, bare headings
RICH = "rich"  # wikiHow's own emphasis: bold headlines, "Method N:" labels on headings
LAYOUTS = (RELEASED, RICH)
BOLD_TAGS = ("b", "strong")
CLOSED = re.compile(r"[.!?:;\u2026][\"'\u201d\u2019)\]]*$")  # a headline that already ends a sentence
CITATIONS = re.compile(r"(?:\s*\[\d+\])+$")


def page_markdown(sections: Iterable[etree._Element], pruned_sections: Iterable[str], layout: str = RELEASED) -> str:
    """The intro, every method or part with its numbered steps, and the sections not pruned, in
    ``layout`` (``released`` or ``rich``)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    pruned = {normal_name(name) for name in pruned_sections}
    blocks: list[str] = []
    for section in sections:
        kind = section_kind(section)
        kept = kind in ("intro", "steps") or (kind is not None and normal_name(kind) not in pruned)
        if kept and layout == RELEASED:
            as_prose(section)
        if kind == "intro":
            blocks.extend(intro_blocks(section))
        elif kind == "steps":
            blocks.extend(steps_blocks(section, layout))
        elif kept and kind is not None:
            blocks.extend(other_blocks(section, kind))
    return "\n\n".join(block for block in blocks if block.strip())


def section_kind(section: etree._Element) -> str | None:
    """The section's kind: "intro", "steps", the heading of any other section, or None without one."""
    if section.get("id") == "intro":
        return "intro"
    if markup.has_class(section, "steps"):
        return "steps"
    headline = first_with_class(section, "mw-headline")
    return markup.collapse(markup.text_content(headline, " ")) if headline is not None else None


def as_prose(section: etree._Element) -> None:
    """The released layout, in the tree: each step's headline closed as a sentence, then every
    ``<b>``/``<strong>`` unwrapped (its text stays where it was), so no ``**`` is ever written."""
    for step in section.iterdescendants("div"):
        headline = step_headline(step) if markup.has_class(step, "step") else None
        if headline is not None:
            said = CITATIONS.sub("", markup.collapse(markup.text_content(headline)))
            rest = markup.collapse(markup.text_content(step))
            if said and not CLOSED.search(said) and rest != markup.collapse(markup.text_content(headline)):
                headline.tail = "." + (headline.tail or "")
    etree.strip_tags(section, *BOLD_TAGS)


def step_headline(step: etree._Element) -> etree._Element | None:
    """The step's bold headline: its first element that is not a script or a comment, when that is a
    ``<b>``/``<strong>`` with no text before it."""
    before = step.text or ""
    for child in step:
        if not isinstance(child.tag, str) or child.tag in SKIPPED_TAGS:
            before += child.tail or ""
            continue
        return child if child.tag in BOLD_TAGS and not before.strip() else None
    return None


def intro_blocks(section: etree._Element) -> list[str]:
    """The intro's paragraphs; its byline, table of contents and image are not article text."""
    text = next((node for node in section.iterdescendants() if node.get("id") == "mf-section-0"), section)
    return markup.blocks([child for child in text if child.tag in ("p", "ul", "ol", "table")], WIKIHOW)


def steps_blocks(section: etree._Element, layout: str = RELEASED) -> list[str]:
    """A method's or part's heading over the elements of its text: its steps and whatever else it holds
    (text between those elements is the page's whitespace, left out)."""
    heading = next(section.iterdescendants("h2", "h3"), None)
    blocks = [steps_heading(heading, layout)] if heading is not None else []
    content = first_with_class(section, "section_text")
    return blocks + markup.blocks(list(content if content is not None else section), STEPS)


def steps_heading(heading: etree._Element, layout: str = RELEASED) -> str:
    """``## Fillets`` (released) or ``## Method 2: Fillets`` / ``## Part 1: ...`` (rich); a method
    without a name is ``## Method 2`` in both, a single unnamed list of steps gets no heading."""
    headline = first_with_class(heading, "mw-headline")
    name = markup.collapse(markup.text_content(headline, " ")) if headline is not None else ""
    altblock = first_with_class(heading, "altblock")
    number = SECTION_NUMBER.search(markup.collapse(markup.text_content(altblock, " "))) if altblock is not None else None
    if number and not (layout == RELEASED and name):
        label = f"{number.group(1)} {number.group(2)}"
        return f"## {label}: {name}" if name else f"## {label}"
    return f"## {name}" if name and normal_name(name) != "steps" else ""


def other_blocks(section: etree._Element, heading: str) -> list[str]:
    """A kept section (Tips, Warnings, Ingredients, ...) as ``## Heading`` over its blocks."""
    content = first_with_class(section, "section_text")
    if content is None:
        return []
    blocks = markup.blocks(markup.content(content), WIKIHOW)
    return [f"## {heading}", *blocks] if blocks else []


def first_with_class(element: etree._Element, name: str) -> etree._Element | None:
    """The first element below ``element`` (in document order) with class ``name``."""
    return next((node for node in element.iterdescendants() if markup.has_class(node, name)), None)
