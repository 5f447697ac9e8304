"""Which r/WritingPrompts titles are story prompts and which stories fit: the rules both input
formats (Pushshift dumps, Fan et al.'s files) share, read from the recipe's ``[writingprompts]`` table."""

from __future__ import annotations

import re
from typing import Protocol


class StoryRules(Protocol):
    """The fields of ``writingprompts.Settings`` these rules read (kept apart so that the format
    readers need not import the source module that imports them)."""

    @property
    def prompt_types(self) -> tuple[str, ...]:
        """Tags of prompts that ask for a story: stripped from the title, and the prompt kept."""
        ...

    @property
    def other_tags(self) -> tuple[str, ...]:
        """Tags recognised and stripped, but whose prompts are dropped (image prompts, meta posts, ...)."""
        ...

    @property
    def max_selftext_chars(self) -> int:
        """A longer post body means the title alone is not the prompt: the post is dropped."""
        ...

    @property
    def min_story_chars(self) -> int:
        """The shortest story kept, in characters (both bounds measure the story as the manifest holds it)."""
        ...

    @property
    def max_story_chars(self) -> int:
        """The longest story kept, in characters."""
        ...


TAG = re.compile(r"[\[(]\s*([A-Za-z]{2,5}(?:\s*[/,&|]\s*[A-Za-z]{2,5})*)\s*[\])]")
LEADING_BARE_TAG = re.compile(r"^\s*([A-Za-z]{2,4})\s*:\s+")
EDGE_PUNCTUATION = re.compile(r"^[\s:\-–—|]+|[\s\-–—|]+$")


def strip_tags(title: str, rules: StoryRules) -> tuple[str, tuple[str, ...]]:
    """The title without its prompt tags (``[ WP ]``, ``[WP]``, ``(WP)``, ``[WP/EU]``, ``WP:``), and the
    tags in the order found. Bracketed words that are not known tags stay ("[ units of ] happiness")."""
    known = {tag.upper() for tag in (*rules.prompt_types, *rules.other_tags)}
    found: list[str] = []

    def take(match: re.Match) -> str:
        parts = [part.upper() for part in re.split(r"\s*[/,&|]\s*", match.group(1))]
        if not all(part in known for part in parts):
            return match.group(0)
        found.extend(parts)
        return " "

    text = TAG.sub(take, title)
    if not found:
        bare = LEADING_BARE_TAG.match(text)
        if bare and bare.group(1).upper() in known:
            found.append(bare.group(1).upper())
            text = text[bare.end() :]
    text = EDGE_PUNCTUATION.sub("", " ".join(text.split()))
    return text, tuple(found)


def make_prompt(title: str, selftext: str, rules: StoryRules) -> tuple[str, str, tuple[str, ...]] | str:
    """(prompt text, prompt type, tags) or the reason the title is no story prompt."""
    text, tags = strip_tags(title, rules)
    if not tags:
        return "prompt_untagged"
    allowed = {tag.upper() for tag in rules.prompt_types}
    refused = [tag for tag in tags if tag not in allowed]
    if refused:
        return "prompt_tag_not_kept"
    if not text:
        return "prompt_empty"
    if selftext and selftext not in ("[removed]", "[deleted]"):
        if len(selftext) > rules.max_selftext_chars:
            return "prompt_body_too_long"
        text = f"{text}\n\n{selftext}"
    return text, tags[0], tags


def length_problem(story: str, rules: StoryRules) -> str:
    """Why a story's length is outside the recipe's bounds, or "" when it fits."""
    if len(story) < rules.min_story_chars:
        return "story_too_short"
    if len(story) > rules.max_story_chars:
        return "story_too_long"
    return ""
