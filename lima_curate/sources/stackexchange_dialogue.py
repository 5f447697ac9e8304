"""Dialogue chains from a site's Comments.xml: the follow-ups between an asker and the answerer.

After the Posts.xml pass, a second streaming pass over the same unit's ``Comments.xml`` keeps only
the comments under answers that passed the score gate, and each such answer whose comments form a
conversation between the asker and the answerer yields a second candidate, subset ``dialogue``: the
question (title, then body), the answer, then the follow-ups, alternating user (the asker's
comments) and assistant (the answerer's replies). The rules, applied to the answer's comments in
time order:

1. the asker and the answerer must both be known (``OwnerUserId``) and be different people;
2. the thread must open with the asker; it ends at the first comment by anyone else (a third voice
   means the replies may not answer the asker), or at an answerer's comment before any asker's;
3. consecutive comments by one person make one turn;
4. each turn is cleaned: leading ``@name`` mentions dropped, ``[text](url)`` links become their
   text, sentences holding a bare URL dropped, spacing collapsed;
5. a turn must keep ``chain_min_chars`` characters and ``chain_min_words`` words besides courtesy
   phrases ("thanks", "got it", ...), and an asker's turn must ask something (a "?"); the chain
   ends before the first turn that fails;
6. at most ``chain_max_follow_ups`` follow-up pairs; a last asker's turn without a reply is dropped,
   and a chain needs at least one follow-up pair.

The question and answer of a chain pass through the recipe's filters like the single-turn
candidate's (the build judges a chain by its first exchange).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Protocol

from ..filters import phrase_pattern
from .stackexchange_join import ID_LIMIT, PostJoin
from .stackexchange_xml import RowTarget


class ChainSettings(Protocol):
    """The recipe's ``chain_*`` settings the turn rules read (the reader's frozen ``Settings`` has them)."""

    @property
    def chain_min_chars(self) -> int:
        """Characters a follow-up turn must keep after cleaning, or the chain ends before it."""
        ...

    @property
    def chain_min_words(self) -> int:
        """Words a turn must have besides courtesy phrases (so "Thanks, got it!" is no turn)."""
        ...

    @property
    def chain_max_follow_ups(self) -> int:
        """Follow-up pairs (asker, answerer) kept after the answer."""
        ...

    @property
    def chain_courtesy_phrases(self) -> tuple[str, ...]:
        """Phrases that do not count towards ``chain_min_words``."""
        ...


@dataclass(slots=True)
class Comment:
    """One row of Comments.xml under an answer a chain can start from."""

    id: int
    created: str
    user: str
    text: str


def chain_answers(join: PostJoin) -> dict[int, int]:
    """Answer id -> question row, for the answers whose comments can make a chain: past the score
    gate, with a known asker and answerer who are different people."""
    found = {}
    for row in join.rows_in_id_order():
        if not join.answer_kept(row):
            continue
        answer = join.answer(row)
        if not answer.owner:
            continue
        asker = join.question(row).owner
        if asker and asker != answer.owner:
            found[answer.id] = row
    return found


class CommentThreads(RowTarget):
    """lxml parser target over Comments.xml: keeps the comments under the answers asked for."""

    def __init__(self, answers: dict[int, int]):
        self.wanted = answers
        self.comments: dict[int, list[Comment]] = {}

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        """Parser target callback: a comment row under a wanted answer is kept, any other ignored."""
        if tag != "row":
            return
        try:
            post_id = int(attrib.get("PostId", ""))
        except ValueError:
            return
        if post_id not in self.wanted:
            return
        try:
            comment_id = int(attrib["Id"])
        except (KeyError, ValueError):
            return
        if not 0 < comment_id < ID_LIMIT:  # no dump holds such an id (and it would not fit the shards' integers)
            return
        comment = Comment(comment_id, attrib.get("CreationDate", ""), attrib.get("UserId", ""), attrib.get("Text", ""))
        self.comments.setdefault(post_id, []).append(comment)

    def threads_in_id_order(self, join: PostJoin) -> list[tuple[int, int]]:
        """(question row, answer id) of every answer with comments, by question id."""
        return [
            (row, answer_id)
            for _, row, answer_id in sorted((join.question_id(self.wanted[a]), self.wanted[a], a) for a in self.comments)
        ]


MENTIONS = re.compile(r"^(?:\s*@[\w.\-]+[,:]?)+\s*")
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\((?:https?://|/)[^)\s]*\)")
BARE_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WORD = re.compile(r"\w+")


def chain_turns(comments: list[Comment], asker: str, answerer: str, settings: ChainSettings) -> tuple[list[str], list[int]]:
    """The follow-up turns (asker, answerer, asker, ...) a comment thread gives, and the comment ids
    used; ([], []) when it gives no complete follow-up pair. The rules are in the module notes."""
    groups: list[tuple[str, list[Comment]]] = []
    for comment in sorted(comments, key=lambda c: (c.created, c.id)):
        role = "user" if comment.user == asker else "assistant" if comment.user == answerer else None
        if role is None or (not groups and role != "user"):
            break
        if groups and groups[-1][0] == role:
            groups[-1][1].append(comment)
        else:
            groups.append((role, [comment]))
    courtesy = phrase_pattern(settings.chain_courtesy_phrases)
    kept: list[tuple[str, list[int]]] = []
    for role, group in groups[: 2 * settings.chain_max_follow_ups]:
        text = "\n\n".join(part for part in (clean_comment(c.text) for c in group) if part)
        if not good_turn(text, role, courtesy, settings):
            break
        kept.append((text, [c.id for c in group]))
    kept = kept[: len(kept) - len(kept) % 2]  # end on the answerer's reply
    return [text for text, _ in kept], [i for _, ids in kept for i in ids]


def clean_comment(text: str) -> str:
    """Leading @mentions off, markdown links to their text, sentences with a bare URL dropped."""
    text = MARKDOWN_LINK.sub(r"\1", MENTIONS.sub("", text.strip()))
    sentences = [s for s in SENTENCE_END.split(" ".join(text.split())) if s and not BARE_URL.search(s)]
    return " ".join(sentences).strip()


def good_turn(text: str, role: str, courtesy: re.Pattern[str] | None, settings: ChainSettings) -> bool:
    """Whether a cleaned turn says enough to keep the chain going (rule 5 of the module notes)."""
    if len(text) < settings.chain_min_chars:
        return False
    substance = courtesy.sub(" ", text) if courtesy else text
    if len(WORD.findall(substance)) < settings.chain_min_words:
        return False
    return role != "user" or "?" in text
