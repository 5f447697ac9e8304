"""Fan et al. 2018's r/WritingPrompts files (``{train,valid,test}.wp_source`` + ``.wp_target``,
line-aligned) and CSV samples of them (columns ``prompt`` and ``story``) -> per prompt the first story
within bounds (the files carry no scores), with the tokenisation undone (``<newline>`` is restored,
``do n't`` -> ``don't``, `` `` x '' `` -> ``"x"``) and Reddit residue cut (:mod:`.writingprompts_rules`).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import InputError, decode_utf8
from ..reddit import BLANK_RUN
from .writingprompts_rules import StoryRules, clean_story, length_problem, make_prompt, may_hold_residue


@dataclass(frozen=True, slots=True)
class FanStory:
    """A prompt and the story chosen for it, detokenised, and where they were read."""

    local_id: str  # unique within the source: fan-<split>-<line> or <csv stem>-<row id>
    line: int
    prompt: str
    prompt_type: str
    tags: tuple[str, ...]
    story: str
    provenance: dict  # format and file (and Fan's split): the same for every story of a file


def fan_stories(unit: Path, rules: StoryRules, skipped: Counter) -> Iterator[FanStory]:
    """The stories of a ``.wp_source`` unit (its ``.wp_target`` beside it) or of a CSV sample."""
    if unit.name.endswith(".csv"):
        return first_stories(csv_rows(unit), rules, skipped, {"format": "fan2018-csv", "file": unit.name})
    target = unit.with_suffix(".wp_target")
    split = unit.stem
    rows = ((n, f"fan-{split}-{n}", prompt, story) for n, prompt, story in aligned_lines(unit, target))
    return first_stories(rows, rules, skipped, {"format": "fan2018", "file": target.name, "fan_split": split})


# -- the two layouts ---------------------------------------------------------------------------------


def aligned_lines(source: Path, target: Path) -> Iterator[tuple[int, str, str]]:
    """(line number, prompt line, story line); files of different lengths are an InputError.
    A prompt repeats once per story written for it."""
    number = 0
    try:
        with open(source, "rb") as prompts, open(target, "rb") as stories:
            while True:
                prompt, story = prompts.readline(), stories.readline()
                if not prompt or not story:
                    break
                number += 1
                yield number, decode_line(source, prompt, number), decode_line(target, story, number)
    except OSError as error:
        raise InputError(source, f"cannot read ({error.strerror or error})") from None
    if prompt or story:
        shorter = target if prompt else source
        raise InputError(shorter, f"ends after line {number} but its partner file goes on", line=number + 1)


def decode_line(path: Path, line: bytes, number: int) -> str:
    """One line of a Fan file as text without its line end; bad UTF-8 names the file and line."""
    return decode_utf8(line, path, number).rstrip("\r\n")


CSV_COLUMNS = ("prompt", "story")


def csv_rows(path: Path) -> Iterator[tuple[int, str, str, str]]:
    """(line where the row starts, id, prompt, story) of a CSV sample: ``prompt`` and ``story`` columns,
    ``row_id`` when present; a broken row is an InputError with its line."""
    start = 1
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            missing = [c for c in CSV_COLUMNS if header is None or c not in header]
            if header is None or missing:
                raise InputError(path, f"no {missing[0]!r} column (found: {', '.join(header or []) or 'nothing'})", line=1)
            index = {name: header.index(name) for name in (*CSV_COLUMNS, "row_id") if name in header}
            start = reader.line_num + 1
            for number, row in enumerate(reader, start=1):
                if not row:  # a blank line (often the last one) holds no row
                    start = reader.line_num + 1
                    continue
                if len(row) != len(header):
                    raise InputError(path, f"row has {len(row)} fields, the header {len(header)}", line=start)
                row_id = row[index["row_id"]] if "row_id" in index else str(number)
                yield start, f"{path.stem}-{row_id}", row[index["prompt"]], row[index["story"]]
                start = reader.line_num + 1
    except csv.Error as error:
        raise InputError(path, f"not valid CSV ({error})", line=start) from None
    except UnicodeDecodeError:
        decode_utf8(path.read_bytes(), path)  # raises, naming the line of the first bad byte
        raise
    except OSError as error:
        raise InputError(path, f"cannot read ({error.strerror or error})") from None


# -- choosing a story per prompt ---------------------------------------------------------------------


def first_stories(
    rows: Iterable[tuple[int, str, str, str]], rules: StoryRules, skipped: Counter, provenance: dict
) -> Iterator[FanStory]:
    """Per prompt the first story within bounds once its residue is cut, in file order (Fan's files carry
    no scores); each kept story counts the residue rules that cleaned it (``residue_<rule>``).

    Detokenising is the slow part, so a story whose length bounds already decide it is never
    detokenised, and a prompt repeated on consecutive lines (one per story) is cleaned once.
    """
    answered: set[str] = set()
    last_raw_prompt: str | None = None
    last_prompt: tuple[str, str, tuple[str, ...]] | str = ""  # make_prompt's answer for last_raw_prompt
    for line, local_id, raw_prompt, raw_story in rows:
        if raw_prompt in answered:
            skipped["story_prompt_answered"] += 1
            continue
        if raw_prompt != last_raw_prompt:
            last_raw_prompt, last_prompt = raw_prompt, make_prompt(detokenize(raw_prompt), "", rules)
        prompt = last_prompt
        if isinstance(prompt, str):
            skipped[prompt] += 1
            continue
        if len(raw_story) < rules.min_story_chars:  # detokenising never lengthens a text
            skipped["story_too_short"] += 1
            continue
        if shortest_detokenized(raw_story) > rules.max_story_chars and shortest_cleaned(raw_story) > rules.max_story_chars:
            skipped["story_too_long"] += 1
            continue
        story, residue = clean_story(detokenize(raw_story), rules.subreddit)
        reason = length_problem(story, rules)
        if reason:
            skipped[reason] += 1
            continue
        answered.add(raw_prompt)
        skipped.update(f"residue_{rule}" for rule in residue)
        text, kind, tags = prompt
        yield FanStory(local_id, line, text, kind, tags, story, provenance)


def shortest_detokenized(text: str) -> int:
    """A lower bound on ``len(detokenize(text))``: detokenising removes only whitespace, 8 characters
    per ``<newline>`` and one per `` `` `` or ``''`` pair."""
    visible = sum(map(len, text.split()))
    return visible - 8 * text.count("<newline>") - text.count("``") - text.count("''")


def shortest_cleaned(text: str) -> int:
    """A lower bound on the length of a story once detokenised and cleaned of residue: the
    ``shortest_detokenized`` length of its lines that no residue rule can touch."""
    lines = NEWLINE_TOKEN.sub("\n", text).split("\n")
    return sum(shortest_detokenized(line) for line in lines if not may_hold_residue(line))


# -- undoing Fan's tokenisation -----------------------------------------------------------------------

NEWLINE_TOKEN = re.compile(r"[ \t]*<newline>[ \t]*")
SPLIT_WORDS = ("gon na", "wan na", "got ta", "lem me", "gim me", "can not")
SPLIT_FORMS = [  # the tokeniser splits these words in two
    (re.compile(r"\b([Gg]on|[Ww]an) na\b"), r"\1na"),
    (re.compile(r"\b([Gg]ot) ta\b"), r"\1ta"),
    (re.compile(r"\b([Ll]em|[Gg]im) me\b"), r"\1me"),
    (re.compile(r"\b([Cc]an) not\b"), r"\1not"),
]
NOT_CONTRACTION = re.compile(r"(?<=\w) (n['’]t)\b", re.I)  # do n't, did n’t
APOSTROPHE_CONTRACTION = re.compile(r"(?<=\w) (['’]) ?(t|s|m|d|ll|re|ve)\b", re.I)  # didn ’ t, man ’ s, don ' t
CLITIC = re.compile(r"(?<=\w) ('(?:s|m|d|ll|re|ve))\b", re.I)  # I 'm, Vault 's
CLOSING_AS_OPENING = re.compile(r" ``(?=[,.;:](?!\.))")  # `` , after a quote is its end, mis-marked
OPEN_DOUBLE = re.compile(r"``\s*")
CLOSE_DOUBLE = re.compile(r"\s*''(?!')")
CLOSE_SINGLE = re.compile(r"(?<=\S) '(?=\s|$)")  # '6666 ' -> '6666', parents ' -> parents'
OPEN_SINGLE = re.compile(r"(?<![`\w])`(?!`) +")  # ` x ' (an inline `code` span stays)
SPACED_DOTS = re.compile(r"\.(?: \.)+")
BEFORE_PUNCTUATION = re.compile(r" +(?=[,.;:!?%)\]}…]|’(?!\w))")
AFTER_OPENING = re.compile(r"([(\[{“‘]) +")
BEFORE_CURLY_CLOSE = re.compile(r" +(?=”)")
LINK_TARGET = re.compile(r"\] +\((?=\s*(?:https?:|www\.|/|#))")
SCHEME = re.compile(r"\b(https?) ?: ?//")
URL_QUERY = re.compile(r"(https?://\S*?\?) (?=[\w.-]+=)")
CURRENCY = re.compile(r"([$£€#]) (?=\d)")
HEADING_HASHES = re.compile(r"^#(?: #)+(?= )")
EMPHASIS_CLOSE = re.compile(r"(?<!\S)(\*{1,3}|_{1,3})(?=[^\s*_])([^*_\n]*?[^\s*_]) +\1(?!\S)")
SPACES = re.compile(r" {2,}")


def detokenize(text: str) -> str:
    """Fan et al.'s tokenised text -> text as written: ``<newline>`` back to line breaks, tokens joined.

    Works line by line, because quotes and brackets do not span paragraphs in the tokenised text
    either. Also copes with half-detokenised copies (some CSV samples already joined ``,`` and ``.``).
    Runs of blank lines collapse as in a Reddit post (the stories are Reddit comments).
    """
    text = NEWLINE_TOKEN.sub("\n", text)
    lines = [detokenize_line(line) for line in text.split("\n")]
    return BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def detokenize_line(line: str) -> str:
    """One line; each rule runs only when the text it needs is there (a substring test costs almost
    nothing, a regular expression scans the whole line), which makes this several times faster."""
    line = " ".join(line.split())
    lowered = line.lower()
    if any(split in lowered for split in SPLIT_WORDS):
        for pattern, replacement in SPLIT_FORMS:
            line = pattern.sub(replacement, line)
    if "n't" in lowered or "n’t" in lowered:
        line = NOT_CONTRACTION.sub(r"\1", line)
    if " '" in line or " ’" in line:
        line = APOSTROPHE_CONTRACTION.sub(r"\1\2", line)
        line = CLITIC.sub(r"\1", line)
    if "`" in line:
        line = CLOSING_AS_OPENING.sub("''", line)
        line = OPEN_DOUBLE.sub('"', line)
        line = OPEN_SINGLE.sub("'", line)
    if "''" in line:
        line = CLOSE_DOUBLE.sub('"', line)
    if " '" in line:
        line = CLOSE_SINGLE.sub("'", line)
    line = join_straight_quotes(line)
    if ". ." in line:
        line = SPACED_DOTS.sub(lambda m: m.group(0).replace(" ", ""), line)
    line = BEFORE_PUNCTUATION.sub("", line)
    if any(opening in line for opening in ("( ", "[ ", "{ ", "“ ", "‘ ")):
        line = AFTER_OPENING.sub(r"\1", line)
    if " ”" in line:
        line = BEFORE_CURLY_CLOSE.sub("", line)
    if "] (" in line:
        line = LINK_TARGET.sub("](", line)
    if "//" in line:
        line = SCHEME.sub(r"\1://", line)
        if "?" in line:
            line = URL_QUERY.sub(r"\1", line)
    if any(sign in line for sign in ("$ ", "£ ", "€ ", "# ")):
        line = CURRENCY.sub(r"\1", line)
    if line.startswith("# #"):
        line = HEADING_HASHES.sub(lambda m: m.group(0).replace(" ", ""), line)
    if " *" in line or " _" in line:
        line = EMPHASIS_CLOSE.sub(r"\1\2\1", line)
    return SPACES.sub(" ", line).strip()


def join_straight_quotes(line: str) -> str:
    """``he said " hi , you " and`` -> ``he said "hi , you" and``: a free-standing straight quote opens
    or closes by its parity on the line (quotes already attached to a word count too)."""
    if '"' not in line:
        return line
    tokens = line.split(" ")
    out: list[str] = []
    open_quote = False
    glue_next = False
    for token in tokens:
        if token == '"':
            if open_quote:
                out[-1:] = [(out[-1] if out else "") + '"']
            else:
                out.append('"')
                glue_next = True
            open_quote = not open_quote
            continue
        if glue_next:
            out[-1] += token
            glue_next = False
        else:
            out.append(token)
        if token.count('"') % 2:
            open_quote = not open_quote
    return " ".join(out)
