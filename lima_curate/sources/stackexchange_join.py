"""The question/answer join of one Posts.xml pass: each question and its top answer, at Stack Overflow's size.

Only what the join needs stays in memory, as numbers in parallel arrays with one row per question
(about 70 bytes a question): the questions' ids in arrival order, which in a dump is ascending, so a
question is found by bisection; its score, closed flag and where its texts sit in the question
spill; and its best answer so far (score, id, where its texts sit, or -1 when the answer is under
the score gate and its text was never kept). A question's texts go to a ``BlockSpill``; an answer's
to a ``PlainSpill``, and only when its score can pass the gate. What arrives in an unusual order is
handled aside: an answer whose question comes later (moved there by a merge) waits in ``pending``
until the end, and a question below the last id seen keeps its id in two small dicts.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from typing import IO, Iterable, Iterator, Mapping

from .stackexchange_spill import BlockSpill, PlainSpill
from .stackexchange_xml import RowTarget

QUESTION, ANSWER = "1", "2"  # PostTypeId
FIELD_SEP = "\x00"  # cannot occur in XML text, so it separates spilled fields safely
ID_LIMIT = 1 << 62  # ids and scores beyond this are not numbers a dump holds (and would not fit an array)
NO_ANSWER = 0  # a_id of a question no answer has been joined to yet (post ids start at 1)


@dataclass(slots=True)
class Question:
    """A question as the candidates need it, read back from the spill file."""

    id: int
    score: int
    title: str
    tags: str
    closed: bool
    licence: str
    body: str  # HTML
    owner: str  # OwnerUserId ("" when the user is deleted): who the asker is in a dialogue chain
    revised: str = ""  # the date of its latest revision (LastEditDate, else CreationDate): what its licence follows


@dataclass(slots=True)
class Answer:
    """A question's top answer as the candidates need it; texts only when it passed the score gate."""

    score: int
    id: int
    licence: str
    body: str | None  # HTML, kept only when the score can pass the gate
    owner: str
    revised: str = ""  # as for a question


class PostJoin(RowTarget):
    """lxml parser target: keeps what the question/answer join needs, spills texts to disk (see the module notes)."""

    def __init__(
        self,
        question_spill: IO[bytes],
        answer_spill: IO[bytes],
        skipped: Counter,
        min_answer_score: int,
        drop_post_ids: Iterable[int],
    ):
        self.min_answer_score = min_answer_score  # answers below it are never kept (the filter drops them)
        self.drop_ids = frozenset(drop_post_ids)
        self.question_texts = BlockSpill(question_spill)
        self.answer_texts = PlainSpill(answer_spill)
        self.skipped = skipped
        self.q_ids, self.q_score, self.q_at, self.q_len = array("q"), array("q"), array("q"), array("q")
        self.q_closed = bytearray()
        self.a_score, self.a_id, self.a_at, self.a_len = array("q"), array("q"), array("q"), array("q")
        self.out_of_order: dict[int, int] = {}  # question id -> row, for the rare question not in ascending order
        self.out_of_order_ids: dict[int, int] = {}  # and row -> question id
        self.pending: dict[int, tuple[int, int, int, int]] = {}  # question id not seen yet -> its best answer
        self.latest = ""  # the latest CreationDate seen: the dump's date

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        """Parser target callback, once per element: the hot path, so it does as little as it can."""
        if tag != "row":
            return
        kind = attrib.get("PostTypeId")
        if kind != QUESTION and kind != ANSWER:
            return
        try:
            post_id = int(attrib["Id"])
            score = int(attrib["Score"])
        except (KeyError, ValueError):
            self.skipped["invalid_id_or_score"] += 1
            return
        if not (0 < post_id < ID_LIMIT and -ID_LIMIT < score < ID_LIMIT):
            self.skipped["invalid_id_or_score"] += 1
            return
        if post_id in self.drop_ids:
            self.skipped["planted_post"] += 1
            return
        body = attrib.get("Body")
        if body is None:
            self.skipped["missing_body"] += 1
            return
        created = attrib.get("CreationDate", "")
        if created > self.latest:
            self.latest = created
        if kind == QUESTION:
            self.add_question(post_id, score, body, attrib)
        else:
            self.add_answer(post_id, score, body, attrib)

    def row_of(self, question_id: int) -> int | None:
        """The row of a question already read, by bisection (or aside, for one out of id order)."""
        ids = self.q_ids
        at = bisect_left(ids, question_id)
        if at < len(ids) and ids[at] == question_id and at not in self.out_of_order_ids:
            return at
        return self.out_of_order.get(question_id) if self.out_of_order else None

    def add_question(self, post_id: int, score: int, body: str, attrib: Mapping[str, str]) -> None:
        """A new row for an answered question with a title; its texts to the question spill."""
        title = attrib.get("Title")
        if not title:
            self.skipped["missing_title"] += 1
            return
        if attrib.get("AnswerCount", "1") == "0":
            self.skipped["unanswered_question"] += 1
            return
        ids = self.q_ids
        if ids and post_id <= ids[-1]:
            if self.row_of(post_id) is not None:
                self.skipped["duplicate_question_id"] += 1
                return
            # keep q_ids ascending for bisection: the row repeats the last id, its own is kept aside
            self.out_of_order[post_id] = len(ids)
            self.out_of_order_ids[len(ids)] = post_id
            ids.append(ids[-1])
        else:
            ids.append(post_id)
        fields = (
            title,
            attrib.get("Tags", ""),
            attrib.get("ContentLicense", ""),
            attrib.get("OwnerUserId", ""),
            revised(attrib),
            body,
        )
        data = FIELD_SEP.join(fields).encode("utf-8")
        self.q_at.append(self.question_texts.append(data))
        self.q_len.append(len(data))
        self.q_score.append(score)
        self.q_closed.append("ClosedDate" in attrib)
        self.a_score.append(0)
        self.a_id.append(NO_ANSWER)
        self.a_at.append(-1)
        self.a_len.append(0)

    def add_answer(self, post_id: int, score: int, body: str, attrib: Mapping[str, str]) -> None:
        """Keep the answer if it beats its question's best so far (higher score, then lower id)."""
        try:
            parent = int(attrib["ParentId"])
        except (KeyError, ValueError):
            self.skipped["invalid_parent"] += 1
            return
        if parent in self.drop_ids:
            self.skipped["planted_post"] += 1
            return
        row = self.row_of(parent)
        if row is None:
            if self.q_ids and parent < self.q_ids[-1]:
                return  # its question is not in the dump, or was skipped above (and counted there)
            best = self.pending.get(parent)
            if best is None or (best[0], -best[1]) < (score, -post_id):
                self.pending[parent] = (score, post_id, *self.keep_answer(score, body, attrib))
            return
        if self.a_id[row] != NO_ANSWER and (self.a_score[row], -self.a_id[row]) >= (score, -post_id):
            return
        self.a_score[row], self.a_id[row] = score, post_id
        self.a_at[row], self.a_len[row] = self.keep_answer(score, body, attrib)

    def keep_answer(self, score: int, body: str, attrib: Mapping[str, str]) -> tuple[int, int]:
        """Where the answer's texts are spilled; (-1, 0) under the gate: they can never be chosen."""
        if score < self.min_answer_score:
            return -1, 0
        fields = (attrib.get("ContentLicense", ""), attrib.get("OwnerUserId", ""), revised(attrib), body)
        data = FIELD_SEP.join(fields).encode("utf-8")
        return self.answer_texts.append(data), len(data)

    def join_pending(self) -> None:
        """Answers that arrived before their question: joined once every question is known."""
        for parent, (score, post_id, at, length) in sorted(self.pending.items()):
            row = self.row_of(parent)
            if row is None:
                continue
            if self.a_id[row] == NO_ANSWER or (self.a_score[row], -self.a_id[row]) < (score, -post_id):
                self.a_score[row], self.a_id[row], self.a_at[row], self.a_len[row] = score, post_id, at, length
        self.pending.clear()
        self.question_texts.flush()

    def answered_rows(self) -> Iterator[int]:
        """After the pass: the rows of questions that have an answer, in question-id order (the
        others counted as unanswered)."""
        self.join_pending()
        for row in self.rows_in_id_order():
            if self.a_id[row] == NO_ANSWER:
                self.skipped["unanswered_question"] += 1
                continue
            yield row

    def rows_in_id_order(self) -> Iterator[int]:
        """Every row, by question id (arrival order unless a question came out of order)."""
        if not self.out_of_order:
            yield from range(len(self.q_ids))
            return
        yield from sorted(range(len(self.q_score)), key=self.question_id)

    def question_id(self, row: int) -> int:
        """The id of the question in a row (its own, for a row kept aside)."""
        return self.out_of_order_ids.get(row, self.q_ids[row]) if self.out_of_order_ids else self.q_ids[row]

    def answer_kept(self, row: int) -> bool:
        """Whether the row's top answer passed the score gate, so that its texts can be read back."""
        return self.a_at[row] >= 0

    def numbers(self, row: int) -> tuple[int, int, int, int]:
        """Question id, question score, answer id, answer score: all a row holds without reading texts."""
        return self.question_id(row), self.q_score[row], self.a_id[row], self.a_score[row]

    def question(self, row: int) -> Question:
        """The row's question, its texts read back from the spill."""
        text = self.question_texts.read(self.q_at[row], self.q_len[row]).decode("utf-8")
        title, tags, licence, owner, when, body = text.split(FIELD_SEP)
        closed = bool(self.q_closed[row])
        return Question(self.question_id(row), self.q_score[row], title, tags, closed, licence, body, owner, when)

    def answer(self, row: int) -> Answer:
        """The row's top answer, its texts read back when it passed the gate."""
        if self.a_at[row] < 0:
            return Answer(self.a_score[row], self.a_id[row], "", None, "")
        licence, owner, when, body = self.answer_texts.read(self.a_at[row], self.a_len[row]).decode("utf-8").split(FIELD_SEP)
        return Answer(self.a_score[row], self.a_id[row], licence, body, owner, when)


def revised(attrib: Mapping[str, str]) -> str:
    """When a post's current text was published: its last edit, else its creation. Stack Exchange
    licenses each revision by the date it was made, so this date is what its licence follows."""
    return attrib.get("LastEditDate") or attrib.get("CreationDate", "")
