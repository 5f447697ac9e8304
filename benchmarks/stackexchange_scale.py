"""Does a build over the whole Stack Exchange dump fit one 24 GB machine? Generated dumps of several sizes, projected.

    .venv/bin/python benchmarks/stackexchange_scale.py                      # 200k, 1M, 5M questions and 3 GB
    .venv/bin/python benchmarks/stackexchange_scale.py --questions 20000 --gb 0.05 --repeat 1   # a smoke run
    .venv/bin/python benchmarks/stackexchange_scale.py --sizes-only --questions 1000000,5000000 --json out.json
    .venv/bin/python benchmarks/stackexchange_scale.py --speed-only --gb 3 --work /big/disk --keep
    .venv/bin/python benchmarks/stackexchange_scale.py --no-build            # dumps and the reader alone

Stack Overflow alone is ~24M questions, ~35M answers and ~100 GB of Posts.xml, too big to try on
every change, so the script writes dumps with the real layout and projects linearly:

1. **Dumps.** One ``<row .../>`` a line in Id order, split into eight sites named after real ones
   (half STEM, half Other; the largest holds a quarter of the dump). Every answered question has 1-3
   answers; most answers follow their question closely, some come much later, a few carry an Id
   below their question's (answers moved by a merge). Scores are skewed (~8% of top answers reach
   10); answers are English-like text, unique per post (a fresh sentence plus random paragraphs,
   code blocks and lists from a pool), and two thirds of the high-score ones are planned to pass
   every LIMA filter; the rest fail one filter each, as real ones do. A *compact* dump (the
   ``--questions`` sizes) gives real bodies only to answers past the score gate, so that millions
   of questions fit a few GB: it measures memory. A *realistic* dump (``--gb``, ~1.7 KB a row like
   Stack Overflow) measures speed and temporary disk.
2. **Recipe** ``benchmarks/scale.toml``: LIMA's, with 1,000 examples from the generated sites and the
   shipped samples of the other sources (``--allow-short`` is added, and said, only when a dump
   has fewer eligible answers than the Stack Exchange quotas).
3. **Measurements**, each in a fresh process: the reader alone over the largest site (MB/s, peak
   RSS, bytes per answered question over the RSS after imports); the cold build (wall, peak RSS of
   the whole process tree, peak temporary disk in a dedicated ``TMPDIR`` counting deleted-but-open
   spill files, cache size); the warm rebuild with ``-j1`` and the default workers; ``verify``.
4. **Projection** to Stack Overflow from the slope per answered question between the two largest
   sizes, against the targets: extraction < 3 GB, whole build < 5 GB, temporary disk < 0.1x XML.

Timings on the realistic dump are the best of ``--repeat`` runs; the compact sizes run once (they
are about memory). Any command that fails stops the script with its stderr tail.

Measuring notes: a child's peak is its own ``VmHWM``, never ``ru_maxrss`` from ``wait4``, which on
Linux starts from the parent's high-water mark (carried across fork and exec). The tree's RSS is a
sum of samples, so pages that forked workers share are counted in each. Temporary disk is sampled,
so a spill that lives less than 0.25 s can be missed; files outside ``TMPDIR`` are not temporary
disk here (the build's shards and staging go beside the cache and ``--out``: reported apart).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "benchmarks" / "scale.toml"
LIMA = ROOT / "filters" / "lima.toml"
# The Makefile's SAMPLE_INPUTS, less the samples' stackexchange: the generated sites replace it.
SAMPLE_INPUTS = (
    "wikihow=samples/wikihow",
    "writingprompts=samples/writingprompts",
    "superni=samples/superni",
    "authored=samples/authored/examples.jsonl",
)

# site -> (LIMA subset, share of the dump's questions)
SITES = {
    "askubuntu.com": ("se_stem", 0.25),
    "superuser.com": ("se_stem", 0.12),
    "unix.stackexchange.com": ("se_stem", 0.08),
    "physics.stackexchange.com": ("se_stem", 0.05),
    "english.stackexchange.com": ("se_other", 0.20),
    "diy.stackexchange.com": ("se_other", 0.12),
    "travel.stackexchange.com": ("se_other", 0.10),
    "cooking.stackexchange.com": ("se_other", 0.08),
}

STACK_OVERFLOW = {"questions": 24_000_000, "answers": 35_000_000, "xml_bytes": 100e9}
TARGETS = {"reader_rss": 3e9, "build_rss": 5e9, "temp_ratio": 0.1, "warm_s": 5.0, "verify_ratio": 1.2}

# -- text ------------------------------------------------------------------------------------------

COMMON = (
    "the of and to a in is it that for on be with as by this are or can from at an not which have when "
    "if then than so all each any some more most other another only also both such same new first last "
    "before after between into over under through without within while because until once every where "
    "there these those its their they them he she his her you your it's one two three few many much "
    "use used using set run runs running make makes made get gets take takes give gives keep keeps need "
    "needs want show shows find finds work works call calls read reads write writes change changes start "
    "starts stop stops move moves open opens close closes add adds remove removes check checks try tries "
    "build builds load loads save saves send sends turn turns leave leaves hold holds mean means follow "
    "should would could will may might must does do did has had was were been being is are "
    "file files folder path disk drive memory system kernel driver package version update server client "
    "network port address user group account password key value table row column list array string "
    "number line word name type class method function module library program script command option "
    "setting config service process thread task job queue event signal error message output input log "
    "cache index buffer stream socket request response header body page window screen display device "
    "power battery cable switch circuit voltage current resistor sensor motor wheel chain brake frame "
    "water heat oven pan pot flour sugar salt butter egg dough bread sauce rice meat fish garlic onion "
    "time day week month year hour minute morning evening night season weather rain snow wind summer "
    "city country border visa passport ticket train flight airport station hotel road map route bus "
    "word sentence verb noun phrase meaning sense usage grammar tense clause letter sound accent spelling "
    "wall floor roof door pipe wire outlet breaker joist stud drywall paint tile grout screw nail "
    "energy force mass field charge particle wave light speed frame motion orbit pressure density "
    "large small long short high low fast slow old young early late full empty simple common usual "
    "different similar possible likely clear quiet safe correct exact default local remote public "
    "private single double main extra whole half main standard normal special general specific "
    "usually often always never sometimes rarely simply just still even already quite very rather "
    "instead almost enough however therefore otherwise perhaps probably certainly especially mostly "
    "good better best bad worse hard easy cheap expensive warm cold dry wet thick thin strong weak"
).split()
SYLLABLES = (
    "ba be bi bo ca ce co da de di do fa fe fi ga ge go ha he hi ho ja ka ke ki la le li lo lu ma "
    "me mi mo na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi wa we ya ze "
    "bar ber cor dar del fan gar hal kin lan lor man mar nel nor par pel ran ren sal sen tan ter "
    "tor val ver ing ion ent est ard ack"
).split()
WHITELIST = {
    "as",
    "in",
    "the",
    "this",
    "have",
    "other",
    "another",
    "here",
    "top",
    "previous",
    "accepted",
    "see",
    "is",
    "what",
    "why",
    "does",
    "how",
    "do",
    "one",
}
FIRST_PERSON_OPENERS = (
    "I would start by checking the",
    "In my experience the",
    "We usually keep the",
    "My own setup uses the",
    "I have seen the",
)
OTHER_ANSWER_OPENERS = (
    "As mentioned in the comments, the",
    "As others have said, the",
    "The accepted answer misses the",
    "Edit: the",
    "See above for the",
)
TITLE_OPENERS = (
    b"How can",
    b"How do",
    b"Why does",
    b"What makes",
    b"When should",
    b"Is it possible to",
    b"Which",
    b"Where does",
    b"Can",
    b"Should",
)
BAD_TITLES = ("What is wrong with this code?", "Please help", "Error in title", "Strange behaviour")


def tokens(phrases: list[str]) -> set[str]:
    return {word.strip(":").lower() for phrase in phrases for word in phrase.split()}


def banned_words(words: dict[str, list[str]]) -> tuple[set[str], set[str]]:
    """Words no generated prose may use, so that no filter phrase can form by chance: every token of
    the recipe's first-person and other-answer lists (titles: of the title list) except function
    words, checked so that each phrase keeps at least one banned token."""
    prose = tokens(words["first_person"]) | (tokens(words["other_answers"]) - WHITELIST)
    title = prose | (tokens(words["title_needs_body"]) - WHITELIST) | {"this", "one"}
    for phrase in words["other_answers"] + words["first_person"]:
        assert tokens([phrase]) & prose, phrase
    for phrase in words["title_needs_body"]:
        assert tokens([phrase]) & title, phrase
    return prose, title


def xml_attr(html: str) -> bytes:
    """HTML as it sits in a dump's Body attribute."""
    return (
        html.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#xA;")
        .encode()
    )


def html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Corpus:
    """Pre-escaped pieces of text, so that writing a post costs a few joins.

    Every post opens with a fresh sentence of random word chunks (unique per post). A post that can
    reach the filters (a top answer past the score gate, its question) is then assembled from random
    blocks (paragraphs, code, lists) to a planned length, so no two are near duplicates; the others,
    which the reader never converts, take a ready body from a pool of a few thousand of each kind.
    ``plain`` lengths are what the markdown of a block keeps (fences, list markers, blank lines).
    """

    BLOCKS = 60_000
    POOLED = 4_000

    def __init__(self, seed: int):
        with open(LIMA, "rb") as handle:
            chain = tomllib.load(handle)["filters"]["stackexchange"]
        words = {
            "first_person": chain["first_person"]["words"],
            "other_answers": chain["other_answers"]["phrases"],
            "title_needs_body": chain["self_contained_title"]["phrases"],
        }
        prose_ban, title_ban = banned_words(words)
        rng = random.Random(seed)
        made = set()
        while len(made) < 3000:
            made.add("".join(rng.choices(SYLLABLES, k=rng.choice((1, 2, 2, 2, 3)))))
        vocabulary = [w for w in dict.fromkeys(COMMON + sorted(made)) if w.lower() not in prose_ban]
        self.words = vocabulary  # in Zipf rank order: the common words first
        self.cum = list(accumulate_zipf(len(vocabulary)))
        title_words = [w for w in vocabulary if w.lower() not in title_ban]
        title_cum = list(accumulate_zipf(len(title_words)))
        self.rng = rng
        self.names = [w.replace("'", "") for w in vocabulary[80:]]
        self.words_stream = iter(rng.choices(vocabulary, cum_weights=self.cum, k=600_000))
        self.chunks = [self.phrase(2 + (i % 3 > 0)).encode() for i in range(1 << 16)]
        self.openers = [c[:1].upper() + c[1:] for c in self.chunks[: 1 << 12]]
        titles = iter(rng.choices(title_words, cum_weights=title_cum, k=2 << 16))
        self.title_chunks = [f"{next(titles)} {next(titles)}".encode() for _ in range(1 << 16)]
        self.sentences = [self.sentence() for _ in range(20_000)]
        self.code_lines = [self.code_line() for _ in range(4_000)]
        blocks = [self.make_block() for _ in range(self.BLOCKS)]
        self.block_xml = [b for b, _ in blocks]
        self.block_len = [n for _, n in blocks]
        self.tags = [xml_attr(f"<{'-'.join(rng.sample(vocabulary[100:], rng.choice((1, 1, 2))))}>") for _ in range(1024)]
        self.first_person = [xml_attr(f"<p>{s} {self.sentence()}</p>\n") for s in FIRST_PERSON_OPENERS]
        self.other_answers = [xml_attr(f"<p>{s} {self.sentence()}</p>\n") for s in OTHER_ANSWER_OPENERS]
        self.pooled_answers = [self.body(rng, lognormal(rng, 650, 40, 9000), 12000)[0] for _ in range(self.POOLED)]
        self.pooled_questions = [self.body(rng, lognormal(rng, 900, 60, 12000), 16000)[0] for _ in range(self.POOLED)]

    def phrase(self, n: int) -> str:
        return " ".join(next(self.words_stream) for _ in range(n))

    def sentence(self) -> str:
        n = self.rng.randint(6, 16)
        if n > 8 and self.rng.random() < 0.3:
            text = self.phrase(n // 2) + ", " + self.phrase(n - n // 2)
        else:
            text = self.phrase(n)
        return text[0].upper() + text[1:] + "."

    def make_block(self) -> tuple[bytes, int]:
        rng, roll = self.rng, self.rng.random()
        if roll < 0.16:
            code = "\n".join(rng.choices(self.code_lines, k=rng.randint(2, 9)))
            return xml_attr(f"<pre><code>{html_text(code)}\n</code></pre>\n"), len(code) + 8
        if roll < 0.26:
            tag = rng.choice(("ul", "ol"))
            items = rng.choices(self.sentences, k=rng.randint(2, 5))
            html = f"<{tag}>\n" + "".join(f"<li>{item}</li>\n" for item in items) + f"</{tag}>\n"
            return xml_attr(html), sum(len(item) + 3 for item in items) - 1
        text = " ".join(rng.choices(self.sentences, k=rng.randint(1, 5)))
        return xml_attr(f"<p>{text}</p>\n"), len(text)

    def code_line(self) -> str:
        rng, n = self.rng, self.rng.randint(1, 999)
        a, b, c, d = rng.sample(self.names, 4)
        return rng.choice(
            (
                f"{a}_{b} = {c}({d}, {n})",
                f'if {a} < {n} and {b} != "{c}":',
                f"    return {a}.{b}_{c}()",
                f"for {a} in {b}s:",
                f"$ {a} --{b}={n} /{c}/{d} > {a}.log",
                f'    {a}["{b}"] += {n}  # {c} {d}',
                f'<{a} {b}="{c}">{d}</{a}>',
            )
        )

    def title(self, rng: random.Random) -> bytes:
        """Three to eight words after an opener, none of them pointing into the body."""
        bits, chunks = rng.getrandbits(37), self.title_chunks
        words = chunks[bits & 0xFFFF] if bits >> 36 else chunks[bits & 0xFFFF] + b" " + chunks[(bits >> 16) & 0xFFFF]
        return b"%s %s?" % (TITLE_OPENERS[((bits >> 32) & 15) % len(TITLE_OPENERS)], words)

    def fresh(self, rng: random.Random) -> bytes:
        """One sentence nobody else has (2^60 ways): what makes each post unique."""
        bits, chunks = rng.getrandbits(60), self.chunks
        first, second, third = chunks[bits & 0xFFFF], chunks[(bits >> 16) & 0xFFFF], chunks[(bits >> 32) & 0xFFFF]
        return b"&lt;p&gt;%s %s %s %s.&lt;/p&gt;&#xA;" % (self.openers[bits >> 48], first, second, third)

    def body(self, rng: random.Random, low: int, high: int) -> tuple[bytes, int]:
        """A fresh sentence, then random blocks until ``low`` characters, never past ``high``."""
        parts = [self.fresh(rng)]
        total = len(parts[0]) - 24  # the sentence without its escaped <p> tags
        misses, blocks, lengths, random_ = 0, self.block_xml, self.block_len, rng.random
        while total < low and misses < 8:
            i = int(random_() * self.BLOCKS)
            n = lengths[i] + 2
            if total + n > high:
                misses += 1
                continue
            parts.append(blocks[i])
            total += n
        return b"".join(parts), total

    def pooled(self, rng: random.Random, pool: list[bytes]) -> bytes:
        return self.fresh(rng) + pool[int(rng.random() * self.POOLED)]


def accumulate_zipf(n: int):
    total = 0.0
    for rank in range(n):
        total += 1.0 / (rank + 8) ** 0.9
        yield total


# -- dumps -----------------------------------------------------------------------------------------

HEADER = b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
QUESTION_ROW = (
    b'  <row Id="%d" PostTypeId="1"%s CreationDate="%s" Score="%d" ViewCount="%d" Body="%s" '
    b'OwnerUserId="%d" LastActivityDate="%s" Title="%s" Tags="%s" AnswerCount="%d" CommentCount="%d"%s '
    b'ContentLicense="CC BY-SA 4.0" />\n'
)
ANSWER_ROW = (
    b'  <row Id="%d" PostTypeId="2" ParentId="%d" CreationDate="%s" Score="%d" Body="%s" OwnerUserId="%d" '
    b'LastActivityDate="%s" CommentCount="%d" ContentLicense="CC BY-SA 4.0" />\n'
)
SLOT = 8  # ids per question: the question's own, then seven for answers placed at that point of the dump
UNANSWERED = 0.12  # share of questions without an answer (not counted in --questions)
HIGH = 0.08  # share of top answers scoring >= 10
LATE = 0.05  # share of answers posted long after their question (up to LATE_SLOTS questions later)
LATE_SLOTS = 200_000
MERGED = 0.002  # answers per question that sit before their question (moved there by a merge)
# What a high-score top answer is planned to do in the filter chain (cumulative shares); the rest pass.
PLANS = ((0.02, "closed"), (0.05, "title"), (0.17, "short"), (0.25, "long"), (0.30, "first_person"), (0.34, "other_answers"))
EPOCH = 733773  # 2010-01-01 as a proleptic ordinal
GENERATOR = 1  # bump when the dumps change, so that a --keep folder is not reused across versions


def plan_of(rng: random.Random) -> str:
    roll = rng.random()
    for share, plan in PLANS:
        if roll < share:
            return plan
    return "eligible"


def lognormal(rng: random.Random, median: float, low: int, high: int) -> int:
    return int(min(high, max(low, rng.lognormvariate(math.log(median), 0.75))))


def write_site(
    path: Path, seed: int, compact: bool, questions: int = 0, target_bytes: int = 0, corpus: Corpus | None = None
) -> dict:
    """One site's Posts.xml, until ``questions`` answered questions or ``target_bytes`` bytes.

    Question ``k`` has Id ``8k``; its answers take the free Ids after the question they are placed
    behind (most right behind it, some up to LATE_SLOTS questions later), so rows stay in Id order
    with one pass and only the late answers wait in memory.
    """
    from datetime import date

    start = time.perf_counter()
    rng = random.Random(seed)
    random_, randrange, getrandbits = rng.random, rng.randrange, rng.getrandbits
    corpus = corpus or Corpus(seed)
    fresh, body, pooled = corpus.fresh, corpus.body, corpus.pooled
    estimate = questions / (1 - UNANSWERED) if questions else target_bytes / (600 if compact else 4600)
    ids_per_day = max(1, int(SLOT * estimate / 3650))
    late_slots = int(min(LATE_SLOTS, max(200, estimate / 2)))
    merge_span = int(min(30_000, max(10, estimate / 20)))
    days = [date.fromordinal(EPOCH + day).isoformat().encode() + b"T" for day in range(5000)]
    times = [b"%02d:%02d:%02d.%03d" % (s // 3600, s // 60 % 60, s % 60, s % 1000) for s in range(0, 86400, 21)]

    def stamp(post_id: int) -> bytes:
        """Dates grow with the Id over ten years; the time of day is the Id's (unordered) share of it."""
        return days[min(4999, post_id // ids_per_day)] + times[post_id % 4096]

    pending: dict[int, list[bytes]] = {}  # slot -> answer rows placed there, in Id order
    merged_into: Counter = Counter()  # question slot -> answers already written before it
    counts: Counter = Counter()

    def place(at: int) -> tuple[int, list[bytes]]:
        rows = pending.get(at)
        if rows is None:
            rows = pending[at] = []
        while len(rows) >= SLOT - 1:
            at += 1
            rows = pending.setdefault(at, [])
        return SLOT * at + 1 + len(rows), rows

    def top_body(plan: str) -> bytes:
        if plan == "short":
            return body(rng, rng.randint(200, 900), 1100)[0]
        if plan == "long":
            return body(rng, rng.randint(4500, 8000), 14000)[0]
        text = body(rng, rng.randint(1300, 3300), 3800)[0]
        if plan == "first_person":
            return rng.choice(corpus.first_person) + text
        if plan == "other_answers":
            return rng.choice(corpus.other_answers) + text
        return text

    def question(slot: int, own: int) -> bytes:
        """The question at ``slot`` with ``own`` answers placed from here on (and any merged before)."""
        qid, merged = SLOT * slot, merged_into.pop(slot, 0)
        high = own > 0 and random_() < HIGH
        plan = plan_of(rng) if high else None
        accepted = b""
        if own:
            top = 10 + int((rng.paretovariate(1.3) - 1) * 12) if high else min(9, int(rng.expovariate(0.35)))
            at = int(random_() * own)  # which of the answers is the top one
            for i in range(own):
                score = top if i == at else top - 1 - int(rng.expovariate(0.4))
                roll = random_()
                if roll < 0.55:
                    delay = 0
                elif roll < 1 - LATE:
                    delay = 1 + int(rng.expovariate(0.25))
                else:
                    delay = randrange(100, late_slots)
                    counts["late_answers"] += 1
                aid, rows = place(slot + delay)
                if i == at and high:
                    text = top_body(plan)
                else:
                    text = fresh(rng) if compact else pooled(rng, corpus.pooled_answers)
                created = stamp(aid)
                rows.append(ANSWER_ROW % (aid, qid, created, score, text, 1 + getrandbits(20), created, getrandbits(2)))
                if i == at and top > 0 and random_() < 0.6:
                    accepted = b' AcceptedAnswerId="%d"' % aid
            counts["answers"] += own
            counts[plan or "below_gate"] += 1
            qscore = max(0, int(top * rng.uniform(0.4, 1.6))) if high else int(rng.expovariate(0.4)) - (random_() < 0.1)
        else:
            qscore = int(rng.expovariate(0.6)) - (random_() < 0.2)
        counts["questions"] += 1
        counts["answered"] += own + merged > 0
        if high:
            text = body(rng, lognormal(rng, 900, 60, 6000), 8000)[0]
        else:
            text = fresh(rng) if compact else pooled(rng, corpus.pooled_questions)
        title = rng.choice(BAD_TITLES).encode() if plan == "title" else corpus.title(rng)
        closed = b' ClosedDate="%s"' % stamp(qid + 9) if plan == "closed" or (not high and random_() < 0.03) else b""
        bits = getrandbits(40)
        tags = b"".join(corpus.tags[(bits >> shift) & 0x3FF] for shift in range(0, 10 * (1 + (bits >> 38)), 10))
        created = stamp(qid)
        return QUESTION_ROW % (
            qid,
            accepted,
            created,
            qscore,
            30 * max(qscore, 1),
            text,
            1 + getrandbits(20),
            created,
            title,
            tags,
            own + merged,
            getrandbits(3),
            closed,
        )

    out = open(path, "wb", buffering=1 << 22)
    out.write(HEADER)
    size, buffer = len(HEADER), []

    def emit(rows: list[bytes]) -> None:
        nonlocal size
        buffer.extend(rows)
        if len(buffer) > 2000:
            data = b"".join(buffer)
            out.write(data)
            size += len(data)
            buffer.clear()

    slot, sizes = 1, (1, 1, 1, 1, 2, 2, 2, 3, 3)
    while counts["answered"] < questions if questions else size < target_bytes:
        own = sizes[int(random_() * 9)] if slot in merged_into or random_() >= UNANSWERED else 0
        row = question(slot, own)
        if random_() < MERGED and (not questions or counts["answered"] + merge_span < questions):
            target = slot + rng.randint(1, merge_span)  # a later question this answer was merged into
            aid, rows = place(slot)
            created = stamp(aid)
            rows.append(
                ANSWER_ROW % (aid, SLOT * target, created, rng.randint(-1, 8), fresh(rng), 1 + getrandbits(20), created, 0)
            )
            merged_into[target] += 1
            counts["answers"] += 1
            counts["merged_answers"] += 1
        rows = pending.pop(slot, None)
        emit([row, *rows] if rows else [row])
        slot += 1
    for slot in sorted({*pending, *merged_into}):  # late answers past the last question, merged answers' questions
        emit(([question(slot, 0)] if slot in merged_into else []) + pending.pop(slot, []))
    out.write(b"".join(buffer) + b"</posts>\n")
    out.close()
    counts["rows"] = counts["questions"] + counts["answers"]
    counts["high"] = counts["questions"] - counts["below_gate"] - (counts["questions"] - counts["answered"])
    return {"path": str(path), "bytes": path.stat().st_size, "seconds": time.perf_counter() - start, **counts}


SHARED: dict[str, Corpus] = {}  # built once by write_dump, inherited by the forked writers


def write_site_job(job: tuple) -> dict:
    site, path, seed, compact, questions, target_bytes = job
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {"site": site, **write_site(Path(path), seed, compact, questions, target_bytes, SHARED.get("corpus"))}


def write_dump(root: Path, compact: bool, jobs: int, seed: int, questions: int = 0, gb: float = 0.0) -> dict:
    """A dump of eight site folders; sites are written in parallel, largest first."""
    start = time.perf_counter()
    SHARED["corpus"] = Corpus(seed)
    work = [
        (site, str(root / site / "Posts.xml"), seed * 100 + i, compact, round(questions * share), int(gb * 1e9 * share))
        for i, (site, (_, share)) in enumerate(SITES.items())
    ]
    work.sort(key=lambda job: -SITES[job[0]][1])
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=get_context("fork")) as pool:
        sites = list(pool.map(write_site_job, work))
    SHARED.clear()
    wall = time.perf_counter() - start
    total = Counter()
    for s in sites:
        total.update({k: v for k, v in s.items() if isinstance(v, int)})
    eligible = Counter()
    for s in sites:
        eligible[SITES[s["site"]][0]] += s.get("eligible", 0)
    return {
        "root": str(root),
        "compact": compact,
        "wall_s": wall,
        "sites": sorted(sites, key=lambda s: s["site"]),
        "eligible_planned": dict(eligible),
        **total,
    }


def print_dump(dump: dict) -> None:
    kind = "compact" if dump["compact"] else "realistic"
    cpu = sum(s["seconds"] for s in dump["sites"])
    print(
        f"  {kind} dump {dump['root']}: {dump['bytes'] / 1e9:.2f} GB XML, {dump['rows']:,} rows, "
        f"{dump['questions']:,} questions, {dump['answered']:,} answered, {dump['answers']:,} answers"
    )
    print(
        f"    written in {dump['wall_s']:.1f} s: {dump['bytes'] / 1e6 / dump['wall_s']:.0f} MB/s, "
        f"{dump['rows'] / dump['wall_s']:,.0f} rows/s ({dump['bytes'] / 1e6 / cpu:.0f} MB/s per process)"
    )
    high, eligible, answered = dump.get("high", 0), dump.get("eligible", 0), dump["answered"]
    print(
        f"    top answers >= 10: {high:,} ({high / answered:.1%} of answered); planned "
        f"eligible {eligible:,} ({eligible / answered:.2%} of answered; stem "
        f"{dump['eligible_planned'].get('se_stem', 0):,}, other {dump['eligible_planned'].get('se_other', 0):,}); "
        f"late answers {dump.get('late_answers', 0):,}, "
        f"answers before their question {dump.get('merged_answers', 0):,}"
    )


def make_dump(root: Path, compact: bool, jobs: int, seed: int, questions: int = 0, gb: float = 0.0) -> dict:
    """Write a dump, or reuse one a ``--keep`` run left with the same parameters (its dump.json)."""
    record = root / "dump.json"
    wanted = {"generator": GENERATOR, "compact": compact, "seed": seed, "questions": questions, "gb": gb}
    if record.is_file():
        dump = json.loads(record.read_text())
        if dump.get("params") == wanted and all(Path(s["path"]).is_file() for s in dump["sites"]):
            print(f"  reusing {root} (written by an earlier --keep run)")
            return dump
    shutil.rmtree(root, ignore_errors=True)
    dump = {**write_dump(root, compact, jobs, seed, questions, gb), "params": wanted}
    record.write_text(json.dumps(dump, indent=1))
    return dump


# -- measuring processes ---------------------------------------------------------------------------


def process_tree(pid: int) -> list:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def temp_bytes(tmpdir: str, procs: list) -> int:
    """Bytes of the files under ``tmpdir``, plus the deleted-but-open ones there that the tree holds
    (``tempfile.TemporaryFile`` unlinks at once: du never sees a spill file). Each inode once."""
    seen, total = set(), 0
    for folder, _, names in os.walk(tmpdir):
        for name in names:
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    for proc in procs:
        fd_dir = f"/proc/{proc.pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            link = f"{fd_dir}/{fd}"
            try:
                if not os.readlink(link).startswith(tmpdir + os.sep):
                    continue
                st = os.stat(link)  # follows the fd, deleted or not
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


class TreeSampler(threading.Thread):
    """Peak RSS summed over a process and all its descendants (every 0.1 s) and peak temporary disk
    (every 0.25 s). Sampling misses peaks shorter than its period, and sums pages that forked workers
    share with their parent more than once: an upper bound on real use, good for a trend."""

    def __init__(self, pid: int, tmpdir: str | None, watch: Path | None = None):
        super().__init__(daemon=True)
        self.pid, self.tmpdir, self.watch = pid, tmpdir, watch
        self.peak_rss = self.peak_temp = self.peak_procs = self.peak_one = self.peak_watch = 0
        self.done = threading.Event()

    def run(self) -> None:
        import psutil

        next_temp = 0.0
        while True:
            procs = process_tree(self.pid)
            rss = 0
            for proc in procs:
                try:
                    one = proc.memory_info().rss
                except psutil.Error:
                    continue
                rss += one
                self.peak_one = max(self.peak_one, one)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_procs = max(self.peak_procs, len(procs))
            now = time.monotonic()
            if now >= next_temp:
                if self.tmpdir:
                    self.peak_temp = max(self.peak_temp, temp_bytes(self.tmpdir, procs))
                if self.watch:
                    self.peak_watch = max(self.peak_watch, folder_bytes(self.watch))
                next_temp = now + 0.25
            if self.done.wait(0.1):
                return


def run_measured(cmd: list[str], logs: Path, label: str, tmpdir: Path | None = None, watch: Path | None = None) -> dict:
    """Run one command in a fresh process; stop the script if it fails (its stderr tail is printed).
    ``tmpdir`` becomes its TMPDIR (measured); ``watch`` is a folder whose bytes are sampled too."""
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if tmpdir is not None:
        shutil.rmtree(tmpdir, ignore_errors=True)
        tmpdir.mkdir(parents=True)
        tmpdir = tmpdir.resolve()
        env["TMPDIR"] = str(tmpdir)
    slug = re.sub(r"[^\w.-]+", "-", label)
    out_path, err_path = logs / f"{slug}.out", logs / f"{slug}.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        sampler = TreeSampler(proc.pid, str(tmpdir) if tmpdir else None, watch)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.done.set()
        sampler.join()
    if tmpdir is not None:
        shutil.rmtree(tmpdir, ignore_errors=True)
    if proc.returncode != 0:
        tail = err_path.read_text(errors="replace")[-3000:]
        print(f"\nFAILED ({label}): exit {proc.returncode}\n  $ {' '.join(cmd)}\n--- stderr tail ---\n{tail}")
        sys.exit(1)
    # Not usage.ru_maxrss: Linux carries the parent's high-water mark into a child across fork and exec.
    return {
        "wall_s": wall,
        "peak_tree_rss": sampler.peak_rss,
        "max_rss": sampler.peak_one,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_temp": sampler.peak_temp,
        "procs": sampler.peak_procs,
        "peak_watch": sampler.peak_watch,
        "stdout": out_path.read_text(errors="replace"),
    }


def best_of(runs: int, measure) -> dict:
    """The fastest of ``runs`` (the one least disturbed on a shared machine), with the worst peaks of all."""
    results = [measure(i) for i in range(max(1, runs))]
    best = dict(min(results, key=lambda r: r["wall_s"]))
    for key in ("peak_tree_rss", "max_rss", "peak_temp", "peak_watch"):
        best[key] = max(r[key] for r in results)
    best["walls"] = [round(r["wall_s"], 2) for r in results]
    return best


def lima_curate() -> str:
    for candidate in (Path(sys.executable).with_name("lima-curate"), ROOT / ".venv" / "bin" / "lima-curate"):
        if candidate.is_file():
            return str(candidate)
    return "lima-curate"


def folder_bytes(path: Path) -> int:
    total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass  # removed while we looked
    return total


# -- the reader alone ------------------------------------------------------------------------------


def reader_child(unit: Path) -> None:
    """Runs in its own process: the reader over one site, counting what it yields, nothing kept."""
    from lima_curate.sources import stackexchange as se

    settings = se.Settings(site_list={unit.name: "stem"})
    baseline = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    skipped: Counter = Counter()
    start = time.perf_counter()
    candidates = converted = 0
    for candidate in se.read(unit, settings, 20230518, skipped):
        candidates += 1
        converted += bool(candidate.messages)
    seconds = time.perf_counter() - start
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "baseline_rss": baseline,
                "peak_rss": int(status["VmHWM"].split()[0]) * 1024,
                "candidates": candidates,
                "converted": converted,
                "skipped": dict(skipped),
            }
        )
    )


def measure_reader(dump: dict, logs: Path, runs: int, label: str) -> dict:
    site = max(dump["sites"], key=lambda s: s["bytes"])
    unit = Path(site["path"]).parent
    cmd = [sys.executable, str(Path(__file__).resolve()), "--reader-child", str(unit)]
    result = best_of(runs, lambda i: run_measured(cmd, logs, f"reader-{label}-{i}"))
    child = json.loads(result.pop("stdout").strip().splitlines()[-1])
    growth = child["peak_rss"] - child["baseline_rss"]
    return {
        **result,
        **child,
        "site": site["site"],
        "xml_bytes": site["bytes"],
        "answered": site["answered"],
        "mb_s": site["bytes"] / 1e6 / child["seconds"],
        "bytes_per_answered": growth / site["answered"],
    }


def print_reader(r: dict, timed: str) -> None:
    print(f"  reader alone ({r['site']}, {r['xml_bytes'] / 1e9:.2f} GB, {r['answered']:,} answered questions, {timed}):")
    print(
        f"    {r['mb_s']:7.1f} MB/s ({r['seconds']:.1f} s in read(), {r['wall_s']:.1f} s with start-up)   "
        f"{r['candidates']:,} candidates, {r['converted']:,} converted"
    )
    print(
        f"    peak RSS {mb(r['peak_rss'])} (VmHWM), after imports {mb(r['baseline_rss'])}: "
        f"{r['bytes_per_answered']:.0f} bytes per answered question"
    )


# -- builds ----------------------------------------------------------------------------------------


def quotas() -> dict[str, int]:
    with open(RECIPE, "rb") as handle:
        return tomllib.load(handle)["quotas"]


def short_of(dump: dict) -> list[str]:
    """Stack Exchange subsets whose planned eligible answers do not reach the recipe's quota."""
    q = quotas()
    return [
        f"{subset} plans {dump['eligible_planned'].get(subset, 0):,} eligible < quota {q[subset]}"
        for subset in ("se_stem", "se_other")
        if dump["eligible_planned"].get(subset, 0) < q.get(subset, 0)
    ]


def build_command(dump: dict, out: Path, cache: Path, jobs: int | None, allow_short: bool) -> list[str]:
    cmd = [lima_curate(), "build", "--recipe", str(RECIPE), "--input", f"stackexchange={dump['root']}"]
    for spec in SAMPLE_INPUTS:
        source, path = spec.split("=", 1)
        cmd += ["--input", f"{source}={ROOT / path}"]
    cmd += ["--out", str(out), "--cache-dir", str(cache)]
    if jobs is not None:
        cmd += ["-j", str(jobs)]
    return cmd + (["--allow-short"] if allow_short else [])


def measure_cold(dump: dict, work: Path, label: str, jobs: int, runs: int) -> dict:
    """Cold builds (an empty cache each time), TMPDIR in a dedicated folder; the last one's cache stays."""
    out, cache, logs = work / "builds" / f"out-{label}", work / "builds" / f"cache-{label}", work / "logs"
    short = short_of(dump)
    if short:
        print(f"  (--allow-short: {'; '.join(short)})")

    def once(i: int) -> dict:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        cmd = build_command(dump, out, cache, jobs, bool(short))
        return run_measured(cmd, logs, f"cold-{label}-{i}", tmpdir=work / f"tmp-{label}", watch=work / "builds")

    result = best_of(runs, once)
    result.pop("stdout")
    card = json.loads((out / "manifest.card.json").read_text()) if (out / "manifest.card.json").is_file() else {}
    subsets = card.get("subsets", {})
    return {
        **result,
        "jobs": jobs,
        "out": str(out),
        "cache": str(cache),
        "cache_bytes": folder_bytes(cache),
        "allow_short": short,
        "xml_bytes": dump["bytes"],
        "answered": dump["answered"],
        "total": card.get("total"),
        "eligible": {s: subsets.get(s, {}).get("eligible") for s in ("se_stem", "se_other")},
        "rejects": card.get("rejects", {}),
        "temp_ratio": result["peak_temp"] / dump["bytes"],
    }


def print_cold(r: dict, dump: dict, timed: str) -> None:
    planned = dump["eligible_planned"]
    print(
        f"  cold build (-j {r['jobs']}, {timed}): {r['wall_s']:.1f} s {r['walls']}, "
        f"{dump['bytes'] / 1e6 / r['wall_s']:.1f} MB/s of XML, CPU {r['cpu_s']:.0f} s"
    )
    print(
        f"    peak RSS, whole tree: {mb(r['peak_tree_rss'])} (largest process {mb(r['max_rss'])}, up to "
        f"{r['procs']} processes); {r['peak_tree_rss'] / dump['answered']:.0f} bytes per answered question"
    )
    print(
        f"    peak temporary disk: {mb(r['peak_temp'])} = {r['temp_ratio']:.3f}x the XML   (target < "
        f"{TARGETS['temp_ratio']}x) {verdict(r['temp_ratio'] < TARGETS['temp_ratio'])}"
    )
    print(
        f"    cache after the build: {mb(r['cache_bytes'])} ({r['cache_bytes'] / dump['bytes']:.3f}x the XML); peak "
        f"of cache + output + staging while building {mb(r['peak_watch'])}; manifest {r['total']} examples"
    )
    print(
        f"    eligible in the card: se_stem {r['eligible']['se_stem']}, se_other {r['eligible']['se_other']} "
        f"(planned {planned.get('se_stem', 0):,} / {planned.get('se_other', 0):,})"
    )


def measure_speed(dump: dict, work: Path, jobs: int, runs: int, cold: dict) -> dict:
    """Warm rebuilds over the cold build's cache, with -j1 and with the default workers; then verify."""
    out, cache, logs = Path(cold["out"]), Path(cold["cache"]), work / "logs"
    allow = bool(cold["allow_short"])
    warm = {}
    for name, j in (("j1", 1), ("default", None)):
        cmd = build_command(dump, out, cache, j, allow)
        warm[name] = best_of(runs, lambda i, cmd=cmd, name=name: run_measured(cmd, logs, f"warm-{name}-{i}"))
        warm[name].pop("stdout")
    cmd = [lima_curate(), "verify", str(out / "manifest.jsonl")]
    verify = best_of(runs, lambda i: run_measured(cmd, logs, f"verify-{i}", tmpdir=work / "tmp-verify"))
    verify.pop("stdout")
    startup = best_of(runs, lambda i: run_measured([lima_curate(), "--version"], logs, f"version-{i}"))["wall_s"]
    return {"warm": warm, "verify": verify, "verify_ratio": verify["wall_s"] / cold["wall_s"], "startup_s": startup}


def print_speed(s: dict, cold: dict, gb: float) -> None:
    at = "" if abs(gb - 3) < 0.3 else f"; target set for 3 GB, this dump is {gb:.2f} GB"
    print(f"  start-up floor: `lima-curate --version` takes {s['startup_s']:.2f} s")
    for name, label in (("j1", "-j1"), ("default", "default -j")):
        w = s["warm"][name]
        print(
            f"  warm rebuild {label:10}: {w['wall_s']:6.2f} s {w['walls']}, peak RSS {mb(w['peak_tree_rss'])}   "
            f"(target < {TARGETS['warm_s']:g} s{at}) {verdict(w['wall_s'] < TARGETS['warm_s'])}"
        )
    v = s["verify"]
    print(
        f"  verify              : {v['wall_s']:6.2f} s {v['walls']}, peak RSS {mb(v['peak_tree_rss'])}, "
        f"peak temporary disk {mb(v['peak_temp'])}, "
        f"{s['verify_ratio']:.2f}x the cold build ({cold['wall_s']:.1f} s)   (target <= {TARGETS['verify_ratio']}x) "
        f"{verdict(s['verify_ratio'] <= TARGETS['verify_ratio'])}"
    )


# -- projection ------------------------------------------------------------------------------------


def project(points: list[tuple[int, float]], to: int) -> tuple[float, float]:
    """Linear in answered questions, fitted on the two largest sizes: (slope, projected value)."""
    (n1, v1), (n2, v2) = sorted(points)[-2:]
    slope = (v2 - v1) / (n2 - n1)
    return slope, v2 + slope * (to - n2)


def print_projection(sizes: list[dict], speed: dict | None) -> dict:
    answered = STACK_OVERFLOW["questions"]
    print(
        f"\nProjection to Stack Overflow ({answered / 1e6:.0f}M questions, all counted as answered: an upper "
        f"bound; {STACK_OVERFLOW['answers'] / 1e6:.0f}M answers, ~{STACK_OVERFLOW['xml_bytes'] / 1e9:.0f} GB XML), "
        f"from the slope between the two largest sizes:"
    )
    rows, figures = [], {}
    if len(sizes) < 2:
        print("  memory: needs two --questions sizes (one size cannot tell fixed costs from the slope)")
    elif max(s["answered"] for s in sizes) < 1_000_000:
        print("  (sizes under 1M answered questions: fixed costs and dict/array growth steps still blur the slope)")
    if len(sizes) >= 2 and "reader" in sizes[0]:
        points = [(s["reader"]["answered"], s["reader"]["peak_rss"]) for s in sizes]
        rows.append(("extraction (reader) peak RSS", points, TARGETS["reader_rss"]))
    if len(sizes) >= 2 and "cold" in sizes[0]:
        rows.append(
            ("whole build peak RSS (tree)", [(s["answered"], s["cold"]["peak_tree_rss"]) for s in sizes], TARGETS["build_rss"])
        )
        rows.append(
            (
                "temporary disk (compact dumps)",
                [(s["answered"], s["cold"]["peak_temp"]) for s in sizes],
                TARGETS["temp_ratio"] * STACK_OVERFLOW["xml_bytes"],
            )
        )
    for name, points, target in rows:
        slope, value = project(points, answered)
        figures[name] = {"bytes_per_answered": slope, "projected": value, "target": target}
        print(
            f"  {name:32} {slope:8.0f} B/answered question -> {gb_text(value):>9}   (target < {gb_text(target)}) "
            f"{verdict(value < target)}"
        )
    if speed and "cold" in speed:
        ratio = speed["cold"]["temp_ratio"]
        value = ratio * STACK_OVERFLOW["xml_bytes"]
        figures["temporary disk (realistic ratio)"] = {"ratio": ratio, "projected": value}
        print(
            f"  {'temporary disk (realistic dump)':32} {ratio:8.3f}x the XML         -> {gb_text(value):>9}   "
            f"(target < {TARGETS['temp_ratio']}x) {verdict(ratio < TARGETS['temp_ratio'])}"
        )
    if not rows and not figures:
        print("  (nothing measured to project)")
    return figures


# -- report helpers --------------------------------------------------------------------------------


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def gb_text(n: float) -> str:
    return f"{n / 1e9:,.2f} GB"


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--questions",
        default="200000,1000000,5000000",
        help="answered questions of each compact dump, comma-separated ('' for none)",
    )
    parser.add_argument("--gb", type=float, default=3.0, help="size of the realistic dump for speed (0: none)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing on the realistic dump; the best counts")
    parser.add_argument("--work", type=Path, help="where dumps and builds go (default: a new temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep dumps and builds (a later run reuses the dumps)")
    parser.add_argument("--sizes-only", action="store_true", help="only the compact sizes and the projection")
    parser.add_argument("--speed-only", action="store_true", help="only the realistic dump")
    parser.add_argument("--no-build", action="store_true", help="write dumps and run the reader only")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="processes for writing dumps, and -j of the cold builds (default: the CLI's default)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--reader-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reader_child:
        return reader_child(args.reader_child)
    try:
        import psutil  # noqa: F401
    except ImportError:
        sys.exit("psutil is needed to sample process trees: .venv/bin/pip install psutil")

    sizes_wanted = [int(float(q)) for q in args.questions.split(",") if q.strip()] if not args.speed_only else []
    gb = args.gb if not args.sizes_only else 0.0
    created = args.work is None
    work = Path(tempfile.mkdtemp(prefix="lima-scale-")) if created else args.work
    work.mkdir(parents=True, exist_ok=True)
    report = {"load_start": load(), "cpu_count": os.cpu_count(), "argv": sys.argv[1:], "sizes": [], "speed": None}
    print(f"{report['load_start']}\ncpu_count {os.cpu_count()}; work folder {work}; lima-curate {lima_curate()}")
    made: list[Path] = []
    try:
        for n in sizes_wanted:
            print(f"\n== compact dump, {n:,} answered questions ==")
            root = work / f"compact-{n}"
            made.append(root)
            dump = make_dump(root, True, args.jobs, args.seed, questions=n)
            print_dump(dump)
            entry = {"dump": strip_paths(dump), "answered": dump["answered"]}
            entry["reader"] = measure_reader(dump, work / "logs", 1, f"compact-{n}")
            print_reader(entry["reader"], "one run")
            if not args.no_build:
                entry["cold"] = measure_cold(dump, work, f"compact-{n}", args.jobs, 1)
                print_cold(entry["cold"], dump, "one run")
            report["sizes"].append(entry)
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
                for extra in ("out", "cache"):
                    shutil.rmtree(work / "builds" / f"{extra}-compact-{n}", ignore_errors=True)
        if gb > 0:
            print(f"\n== realistic dump, {gb:g} GB ==")
            root = work / f"realistic-{gb:g}gb"
            made.append(root)
            dump = make_dump(root, False, args.jobs, args.seed + 1, gb=gb)
            print_dump(dump)
            speed = {"dump": strip_paths(dump), "answered": dump["answered"]}
            runs = f"best of {args.repeat}"
            speed["reader"] = measure_reader(dump, work / "logs", args.repeat, "realistic")
            print_reader(speed["reader"], runs)
            if not args.no_build:
                speed["cold"] = measure_cold(dump, work, "realistic", args.jobs, args.repeat)
                print_cold(speed["cold"], dump, runs)
                speed.update(measure_speed(dump, work, args.jobs, args.repeat, speed["cold"]))
                print_speed(speed, speed["cold"], dump["bytes"] / 1e9)
            report["speed"] = speed
        report["projection"] = print_projection(report["sizes"], report["speed"])
    finally:
        report["load_end"] = load()
        print(f"\n{report['load_end']}")
        if args.json:
            args.json.write_text(json.dumps(report, indent=1, default=str))
            print(f"figures written to {args.json}")
        if not args.keep:
            if created:
                shutil.rmtree(work, ignore_errors=True)
            else:
                for path in [*made, *work.glob("tmp-*"), work / "builds", work / "logs"]:
                    shutil.rmtree(path, ignore_errors=True)


def strip_paths(dump: dict) -> dict:
    return {**dump, "sites": [{k: v for k, v in s.items() if k != "path"} for s in dump["sites"]]}


if __name__ == "__main__":
    main()
