"""Which r/WritingPrompts titles are story prompts, what Reddit residue is cut from a story, and which
stories fit: the rules both input formats (Pushshift / Arctic Shift dumps, Fan et al.'s files) share, read
from the recipe's ``[writingprompts]`` table.

Residue is what a Reddit comment carries around the story that LIMA's released stories do not: edit
notes, self-promotion and links to the author's subreddit, ``^`` superscript markup, separator lines and
"Part 2" pointers. Each is one named rule (``RESIDUE_RULES``), applied line by line, and the reader
counts the stories each rule cleaned (``residue_<rule>`` in the card's counts)."""

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
    def subreddit(self) -> str:
        """The subreddit being read: a link to it is no self-promotion."""
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


# -- residue: what Reddit adds around a story ----------------------------------------------------------

RESIDUE_RULES = ("separator", "edit_note", "part_pointer", "self_promotion", "superscript")

SEPARATOR = re.compile(r"^\s*(?:[-*_=~•·—–]\s*){3,}$")
EDIT_NOTE = re.compile(r"^[\W_]*edit(?:ed)?\b[^\n:.!?]{0,25}?(?::|\s[-–—]\s)", re.I)
PART_NUMBER = re.compile(r"\bpart\s*(?:\d+|[IVX]+|one|two|three|four|five|six|next)\b", re.I)
PART_LINK = re.compile(r"\[[^\]\n]*\bpart\b[^\]\n]*\]\s*\(", re.I)
POINTER = re.compile(
    r"\b(?:below|comments?|repl(?:y|ies)|here|link(?:ed)?|up|posted|thread|continued|coming)\b|\]\(|https?://", re.I
)
SUBREDDIT_LINK = re.compile(r"(?<![\w/.])/?r/([A-Za-z0-9_]{2,21})\b|reddit\.com/r/([A-Za-z0-9_]{2,21})", re.I)
LINK = re.compile(r"https?://|www\.|\]\(")
PROMOTION_CUE = re.compile(
    r"\b(?:my (?:own )?(?:sub(?:reddit)?|page|blog|website|writing|stories|work|series|profile)"
    r"|more (?:\w+ )?(?:stories|of my|by me|writing)|more (?:at|here)"
    r"|check(?:ing)? (?:it |me |them )?out|visit|subscrib\w*|follow (?:me|along)|come (?:on )?(?:over|to|check)"
    r"|continue (?:this|it|the story)|ongoing series)\b",
    re.I,
)
MARKUP_ONLY = re.compile(r"[\s*_>#\[\]()!.,:;]+")
SUPERSCRIPT = re.compile(r"(?<![\w)\]^])\^+(?:\s*\(([^()\n]*)\)|(?=[^\W_]))")  # ^_^ is a face
BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
ALL_SUPERSCRIPT = re.compile(r"^\s*(?:\^+\s*\([^()\n]*\)|(?:\^+[^\W_]\S*\s*)+)\s*$")
# What a line must contain for a residue rule to touch it (lower-cased; a line of no letter or digit
# may be a separator): a story's other lines keep their length, which bounds the cleaned length.
RESIDUE_TRIGGERS = ("edit", "part", "r/", "r /", "reddit", "http", "www", "^", "](", "] (")


def separator(line: str) -> bool:
    """A line of dashes, stars, underscores or the like only (``-- -- --``, ``***``, ``---``, ``= = =``):
    a horizontal rule or its tokenised form, dropped (a scene break becomes a paragraph break)."""
    return bool(SEPARATOR.match(line))


def edit_note(line: str) -> bool:
    """A line opening with "Edit:" ("EDIT: thanks for the gold", "Edit 2:", "Edit June 30:", "edit - typo"):
    the author's note on the comment, not the story."""
    return bool(EDIT_NOTE.match(line))


def part_pointer(line: str) -> bool:
    """A pointer to another part posted elsewhere: "Part 2 in the comments", "*Part 2 below*",
    "[Part 2](https://...)", "I have uploaded part 2 [here](...)". A heading "Part 2" alone stays."""
    if PART_LINK.search(line):
        return True
    return bool(PART_NUMBER.search(line) and POINTER.search(line))


def self_promotion(line: str, subreddit: str, last: bool = False) -> bool:
    """A line sending the reader to another subreddit: "For more of my writing come to /r/...",
    "subscribing to [r/...](https://...)", a bare "/r/SomeSub", or any other subreddit named on the
    story's last line. A subreddit named inside the story without a call to visit it stays ("Hey
    /r/LucidDreaming, I had a cool experience"), and so does a link to ``subreddit`` itself."""
    others = [a or b for a, b in SUBREDDIT_LINK.findall(line) if (a or b).lower() != subreddit.lower()]
    cue = bool(PROMOTION_CUE.search(line))
    if others:
        bare = not MARKUP_ONLY.sub("", SUBREDDIT_LINK.sub("", LINK.sub("", line))).strip()
        return cue or bare or last
    return last and cue and bool(LINK.search(line))


def superscript_note(line: str) -> bool:
    """A line wholly in ``^`` superscript (``^(Work in progress; feedback welcome)``): Reddit's small print,
    the author's aside."""
    return bool(ALL_SUPERSCRIPT.match(line))


def strip_superscript(line: str) -> str:
    """``^`` superscript markup removed, its text kept: ``^word`` -> ``word``, ``^(a few words)`` -> ``a few
    words``. A caret after a word or a bracket is an exponent (``2^10``) and stays, and so does a face (``^_^``)."""
    return SUPERSCRIPT.sub(lambda m: m.group(1) if m.group(1) is not None else "", line) if "^" in line else line


def line_residue(line: str, subreddit: str, last: bool = False) -> str:
    """The residue rule that drops a whole line, or "" when the line is story."""
    if separator(line):
        return "separator"
    if edit_note(line):
        return "edit_note"
    if part_pointer(line):
        return "part_pointer"
    if self_promotion(strip_superscript(line), subreddit, last):
        return "self_promotion"
    if superscript_note(line):
        return "superscript"
    return ""


def clean_story(text: str, subreddit: str) -> tuple[str, tuple[str, ...]]:
    """The story without its residue, and the rules that removed something (in ``RESIDUE_RULES`` order).

    Lines are dropped whole (a dropped line leaves a paragraph break), then the story's closing lines
    are checked again as its last line (an author's note after the story), and superscript markup is
    stripped from the lines that stay. A story without a trigger (``RESIDUE_TRIGGERS``) is returned as
    it is, without a regular expression run.
    """
    lines = text.split("\n")
    if not any(may_hold_residue(line) for line in lines):
        return text, ()
    fired: set[str] = set()
    for i, line in enumerate(lines):
        if line.strip() and (rule := line_residue(line, subreddit)):
            fired.add(rule)
            lines[i] = ""
    while True:
        last = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), None)
        if last is None or not (rule := line_residue(lines[last], subreddit, last=True)):
            break
        fired.add(rule)
        lines[last] = ""
    for i, line in enumerate(lines):
        if "^" in line and (stripped := strip_superscript(line)) != line:
            fired.add("superscript")
            lines[i] = stripped
    cleaned = BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() if fired else text
    return cleaned, tuple(rule for rule in RESIDUE_RULES if rule in fired)


def may_hold_residue(line: str) -> bool:
    """Whether any residue rule could touch this line: it holds a trigger (``RESIDUE_TRIGGERS``) or is a
    line of no letter or digit. Other lines keep their length, which bounds a cleaned story's length."""
    lowered = line.lower()
    return any(trigger in lowered for trigger in RESIDUE_TRIGGERS) or bool(line.strip() and not any(c.isalnum() for c in line))
