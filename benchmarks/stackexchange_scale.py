"""Does a build over the whole Stack Exchange dump fit one 24 GB machine? Generated dumps of several sizes, projected.

    .venv/bin/python benchmarks/stackexchange_scale.py                      # 200k, 1M, 5M questions and 3 GB
    .venv/bin/python benchmarks/stackexchange_scale.py --questions 20000 --gb 0.05 --repeat 1   # a smoke run
    .venv/bin/python benchmarks/stackexchange_scale.py --sizes-only --questions 1000000,5000000 --json out.json
    .venv/bin/python benchmarks/stackexchange_scale.py --speed-only --gb 3 --work /big/disk --keep

Stack Overflow alone is ~24M questions, ~35M answers and ~100 GB of Posts.xml, too big to try on
every change, so the script writes dumps with the real layout and projects linearly:

1. **Dumps.** One ``<row .../>`` a line in Id order, split into eight sites named after real ones
   (half STEM, half Other, one of them much larger than the rest). Every answered question has 1-3
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
"""

from __future__ import annotations

import argparse
import bisect
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "benchmarks" / "scale.toml"
LIMA = ROOT / "filters" / "lima.toml"
# The Makefile's SAMPLE_INPUTS, less the samples' stackexchange: the generated sites replace it.
SAMPLE_INPUTS = ("wikihow=samples/wikihow", "writingprompts=samples/writingprompts", "superni=samples/superni",
                 "authored=samples/authored/examples.jsonl")

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
SYLLABLES = ("ba be bi bo ca ce co da de di do fa fe fi ga ge go ha he hi ho ja ka ke ki la le li lo lu ma "
             "me mi mo na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi wa we ya ze "
             "bar ber cor dar del fan gar hal kin lan lor man mar nel nor par pel ran ren sal sen tan ter "
             "tor val ver ing ion ent est ard ack").split()
WHITELIST = {"as", "in", "the", "this", "have", "other", "another", "here", "top", "previous", "accepted", "see",
             "is", "what", "why", "does", "how", "do", "one"}
FIRST_PERSON_OPENERS = ("I would start by checking the", "In my experience the", "We usually keep the",
                        "My own setup uses the", "I have seen the")
OTHER_ANSWER_OPENERS = ("As mentioned in the comments, the", "As others have said, the", "The accepted answer misses the",
                        "Edit: the", "See above for the")
TITLE_OPENERS = (b"How can", b"How do", b"Why does", b"What makes", b"When should", b"Is it possible to", b"Which",
                 b"Where does", b"Can", b"Should")
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
    return (html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\n", "&#xA;").encode())


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
            words = tomllib.load(handle)["words"]
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
        return rng.choice((
            f"{a}_{b} = {c}({d}, {n})",
            f"if {a} < {n} and {b} != \"{c}\":",
            f"    return {a}.{b}_{c}()",
            f"for {a} in {b}s:",
            f"$ {a} --{b}={n} /{c}/{d} > {a}.log",
            f"    {a}[\"{b}\"] += {n}  # {c} {d}",
            f"<{a} {b}=\"{c}\">{d}</{a}>",
        ))

    def title(self, rng: random.Random) -> bytes:
        """Three to eight words after an opener, none of them pointing into the body."""
        bits, chunks = rng.getrandbits(37), self.title_chunks
        words = chunks[bits & 0xFFFF] if bits >> 36 else chunks[bits & 0xFFFF] + b" " + chunks[(bits >> 16) & 0xFFFF]
        return b"%s %s?" % (TITLE_OPENERS[((bits >> 32) & 15) % len(TITLE_OPENERS)], words)

    def fresh(self, rng: random.Random) -> bytes:
        """One sentence nobody else has (2^60 ways): what makes each post unique."""
        bits, chunks = rng.getrandbits(60), self.chunks
        return b"&lt;p&gt;%s %s %s %s.&lt;/p&gt;&#xA;" % (
            self.openers[bits >> 48], chunks[bits & 0xFFFF], chunks[(bits >> 16) & 0xFFFF], chunks[(bits >> 32) & 0xFFFF])

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
QUESTION_ROW = (b'  <row Id="%d" PostTypeId="1"%s CreationDate="%s" Score="%d" ViewCount="%d" Body="%s" OwnerUserId="%d" '
                b'LastActivityDate="%s" Title="%s" Tags="%s" AnswerCount="%d" CommentCount="%d"%s '
                b'ContentLicense="CC BY-SA 4.0" />\n')
ANSWER_ROW = (b'  <row Id="%d" PostTypeId="2" ParentId="%d" CreationDate="%s" Score="%d" Body="%s" OwnerUserId="%d" '
              b'LastActivityDate="%s" CommentCount="%d" ContentLicense="CC BY-SA 4.0" />\n')
SLOT = 8  # ids per question: the question's own, then seven for answers placed at that point of the dump
UNANSWERED = 0.12  # share of questions without an answer (not counted in --questions)
HIGH = 0.08  # share of top answers scoring >= 10
LATE = 0.05  # share of answers posted long after their question (up to LATE_SLOTS questions later)
LATE_SLOTS = 200_000
MERGED = 0.002  # answers per question that sit before their question (moved there by a merge)
# What a high-score top answer is planned to do in the filter chain (cumulative shares); the rest pass.
PLANS = ((0.02, "closed"), (0.05, "title"), (0.17, "short"), (0.25, "long"), (0.30, "first_person"),
         (0.34, "other_answers"))
EPOCH = 733773  # 2010-01-01 as a proleptic ordinal


def plan_of(rng: random.Random) -> str:
    roll = rng.random()
    for share, plan in PLANS:
        if roll < share:
            return plan
    return "eligible"


def lognormal(rng: random.Random, median: float, low: int, high: int) -> int:
    return int(min(high, max(low, rng.lognormvariate(math.log(median), 0.75))))


def write_site(path: Path, seed: int, compact: bool, questions: int = 0, target_bytes: int = 0) -> dict:
    """One site's Posts.xml, until ``questions`` answered questions or ``target_bytes`` bytes.

    Question ``k`` has Id ``8k``; its answers take the free Ids after the question they are placed
    behind (most right behind it, some up to LATE_SLOTS questions later), so rows stay in Id order
    with one pass and only the late answers wait in memory.
    """
    from datetime import date

    start = time.perf_counter()
    rng = random.Random(seed)
    random_, randrange, getrandbits = rng.random, rng.randrange, rng.getrandbits
    corpus = Corpus(seed)
    fresh, body, pooled = corpus.fresh, corpus.body, corpus.pooled
    estimate = questions / (1 - UNANSWERED) if questions else target_bytes / (600 if compact else 4600)
    ids_per_day = max(1, int(SLOT * estimate / 3650))
    late_slots = int(min(LATE_SLOTS, max(200, estimate / 2)))
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
        return QUESTION_ROW % (qid, accepted, created, qscore, 30 * max(qscore, 1), text, 1 + getrandbits(20),
                               created, title, tags, own + merged, getrandbits(3), closed)

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

    slot, sizes = 0, (1, 1, 1, 1, 2, 2, 2, 3, 3)
    while counts["answered"] < questions if questions else size < target_bytes:
        own = sizes[int(random_() * 9)] if slot in merged_into or random_() >= UNANSWERED else 0
        row = question(slot, own)
        if random_() < MERGED and (not questions or counts["answered"] + 40_000 < questions):
            target = slot + rng.randint(1, 30_000)  # a later question this answer was merged into
            aid, rows = place(slot)
            created = stamp(aid)
            rows.append(ANSWER_ROW % (aid, SLOT * target, created, rng.randint(-1, 8), fresh(rng), 1 + getrandbits(20),
                                      created, 0))
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


def write_site_job(job: tuple) -> dict:
    site, path, seed, compact, questions, target_bytes = job
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {"site": site, **write_site(Path(path), seed, compact, questions, target_bytes)}


def write_dump(root: Path, compact: bool, jobs: int, seed: int, questions: int = 0, gb: float = 0.0) -> dict:
    """A dump of eight site folders; sites are written in parallel, largest first."""
    start = time.perf_counter()
    work = [(site, str(root / site / "Posts.xml"), seed * 100 + i, compact, round(questions * share),
             int(gb * 1e9 * share)) for i, (site, (_, share)) in enumerate(SITES.items())]
    work.sort(key=lambda job: -SITES[job[0]][1])
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        sites = list(pool.map(write_site_job, work))
    wall = time.perf_counter() - start
    total = Counter()
    for s in sites:
        total.update({k: v for k, v in s.items() if isinstance(v, int)})
    eligible = Counter()
    for s in sites:
        eligible[SITES[s["site"]][0]] += s.get("eligible", 0)
    return {"root": str(root), "compact": compact, "wall_s": wall, "sites": sorted(sites, key=lambda s: s["site"]),
            "eligible_planned": dict(eligible), **total}


def print_dump(dump: dict) -> None:
    kind = "compact" if dump["compact"] else "realistic"
    cpu = sum(s["seconds"] for s in dump["sites"])
    print(f"  {kind} dump {dump['root']}: {dump['bytes'] / 1e9:.2f} GB XML, {dump['rows']:,} rows, "
          f"{dump['questions']:,} questions, {dump['answered']:,} answered, {dump['answers']:,} answers")
    print(f"    written in {dump['wall_s']:.1f} s: {dump['bytes'] / 1e6 / dump['wall_s']:.0f} MB/s, "
          f"{dump['rows'] / dump['wall_s']:,.0f} rows/s ({dump['bytes'] / 1e6 / cpu:.0f} MB/s per process)")
    print(f"    top answers >= 10: {dump['high']:,} ({dump['high'] / dump['answered']:.1%} of answered); planned "
          f"eligible {dump['eligible']:,} ({dump['eligible'] / dump['answered']:.2%} of answered; stem "
          f"{dump['eligible_planned'].get('se_stem', 0):,}, other {dump['eligible_planned'].get('se_other', 0):,}); "
          f"late answers {dump['late_answers']:,}, answers before their question {dump['merged_answers']:,}")
