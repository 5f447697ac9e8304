"""r/WritingPrompts reader: Pushshift dumps, Fan et al. 2018 files and CSV samples of them, and the
Reddit dump helpers (lima_curate.reddit) it reads them with. Readers run with the recipe's settings.

Over 400 lines: one source's three input formats and its detokeniser cases, kept in one file as each reader's are."""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import io
import random
import re
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest
import zstandard
from conftest import ROOT, read_source, recipe_settings

from lima_curate import reddit, sources
from lima_curate.errors import InputError
from lima_curate.recipe import load_recipe
from lima_curate.records import canonical_json
from lima_curate.sources import writingprompts as wp
from lima_curate.sources import writingprompts_fan as fan
from lima_curate.sources import writingprompts_rules as rules

SAMPLES = ROOT / "samples" / "writingprompts"
GOLDEN = ROOT / "tests" / "golden" / "writingprompts"
REAL = ROOT.parent / "shared" / "real"
SETTINGS = recipe_settings("writingprompts")
# The sample dumps' stories were written for the sample recipe's wider bounds (filters/sample.toml).
SAMPLE_SETTINGS = load_recipe(ROOT / "filters" / "sample.toml").sources["writingprompts"]


def read_sample(unit: Path, settings=SAMPLE_SETTINGS) -> tuple[list, Counter]:
    return read_source(wp.NAME, unit, settings)


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"wp_samples_{name}", SAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(SAMPLES))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SAMPLES))
    return module


content = load("content")
make_samples = load("make_samples")


def write_zst(path: Path, lines: list[bytes]) -> Path:
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31)
    buffer = io.BytesIO()
    with zstandard.ZstdCompressor(compression_params=params).stream_writer(buffer, closefd=False) as writer:
        for line in lines:
            writer.write(line + b"\n")
    path.write_bytes(buffer.getvalue())
    return path


def sample_lines(name: str) -> list[bytes]:
    return [line for _, line in reddit.zst_lines(SAMPLES / name) if line]


# -- units -----------------------------------------------------------------------------------------


def test_the_registry_serves_this_module_as_a_source():
    assert sources.get("writingprompts") is wp
    assert isinstance(wp, sources.Source)


def test_a_folder_expands_into_one_unit_per_pair_and_csv():
    assert wp.units(SAMPLES) == [
        SAMPLES / "WritingPrompts_submissions.zst",
        SAMPLES / "fan2018" / "valid.wp_source",
        SAMPLES / "writing_prompts_sample.csv",
    ]
    assert wp.files(SAMPLES / "WritingPrompts_submissions.zst", SETTINGS) == [
        SAMPLES / "WritingPrompts_comments.zst",
        SAMPLES / "WritingPrompts_submissions.zst",
    ]


def test_either_half_of_a_pair_names_the_same_unit():
    assert wp.units(SAMPLES / "WritingPrompts_comments.zst") == [SAMPLES / "WritingPrompts_submissions.zst"]
    assert wp.units(SAMPLES / "fan2018" / "valid.wp_target") == [SAMPLES / "fan2018" / "valid.wp_source"]


def test_monthly_dumps_pair_by_month(tmp_path):
    for name in ("RS_2019-10.zst", "RC_2019-10.zst", "RC_2019-11.zst", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert wp.units(tmp_path) == [tmp_path / "RC_2019-11.zst", tmp_path / "RS_2019-10.zst"]
    assert wp.files(tmp_path / "RS_2019-10.zst", SETTINGS) == [tmp_path / "RC_2019-10.zst", tmp_path / "RS_2019-10.zst"]


def test_inputs_that_are_not_writingprompts_are_refused(tmp_path):
    (tmp_path / "train.wp_target").write_text("a story\n")
    with pytest.raises(InputError, match="needs both files"):
        wp.units(tmp_path)
    with pytest.raises(InputError, match="not a r/WritingPrompts input"):
        wp.units(SAMPLES / "make_samples.py")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no Pushshift"):
        wp.units(empty)


# -- Pushshift samples -----------------------------------------------------------------------------


def test_each_prompt_gets_its_best_story_within_bounds():
    candidates, _ = read_sample(SAMPLES / "WritingPrompts_submissions.zst")
    got = {c.meta["submission_id"]: (c.meta["comment_id"], c.prompt, c.response) for c in candidates}
    assert got == content.EXPECT  # exact text: entities decoded, markdown as written
    assert [c.id for c in candidates] == sorted(c.id for c in candidates)
    noise = next(c for c in candidates if c.meta["submission_id"] == content.NOISE)
    assert noise.rank == 240  # the 980-point story is longer than max_story_chars


def test_candidates_carry_provenance_but_no_author():
    candidates, _ = read_sample(SAMPLES / "WritingPrompts_submissions.zst")
    dragon = next(c for c in candidates if c.meta["submission_id"] == content.DRAGON)
    assert dragon.id == f"writingprompts/{content.DRAGON}-f3a000j"
    assert (dragon.source, dragon.subset, dragon.group, dragon.rank) == ("writingprompts", "writingprompts", "WP", 520)
    assert dragon.meta["url"] == (
        f"https://www.reddit.com/r/WritingPrompts/comments/{content.DRAGON}/"
        "wp_a_dragon_applies_for_a_job_at_the_hollow_creek/f3a000j/"
    )
    assert dragon.meta["story_score"] == 520 and dragon.meta["prompt_score"] == 11876
    assert {c.group for c in candidates} == {"WP", "EU", "CW", "SP", "RF", "TT"}
    text = canonical_json([c.to_row() for c in candidates])
    assert "author" not in text
    assert not any(handle in text for handle in make_samples.AUTHORS)


def test_every_drop_is_counted_under_its_reason():
    _, skipped = read_sample(SAMPLES / "WritingPrompts_submissions.zst")
    assert skipped == Counter(
        {
            "submission_over_18": 1,
            "submission_moderator": 1,
            "submission_removed": 1,
            "prompt_untagged": 1,
            "prompt_tag_not_kept": 2,  # [IP], [PI]
            "prompt_body_too_long": 1,
            "prompt_without_story": 1,  # only a short story and a low-scored one
            "comment_moderator": 1,  # AutoModerator's sticky
            "comment_bot": 1,
            "comment_reply": 2,
            "comment_removed": 2,  # [deleted], [removed]
            "comment_without_prompt": 2,  # stories under the over_18 and [IP] posts
            "story_low_score": 2,
            "story_too_short": 2,
            "story_too_long": 1,
            "story_not_best": 1,
        }
    )


def test_length_bounds_and_score_floor_come_from_the_settings():
    roomy = dataclasses.replace(SAMPLE_SETTINGS, max_story_chars=5000, min_story_score=1)
    candidates, _ = read_sample(SAMPLES / "WritingPrompts_submissions.zst", roomy)
    chosen = {c.meta["submission_id"]: c.meta["comment_id"] for c in candidates}
    assert chosen[content.NOISE] == "f3a0007"  # now the 980-point story fits
    assert chosen[content.NO_STORY_POST] == "f3a000n"  # and a 6-point story passes the floor


def test_the_choice_does_not_depend_on_record_order(tmp_path):
    comments = sample_lines("WritingPrompts_comments.zst")
    random.Random(3).shuffle(comments)
    write_zst(tmp_path / "WritingPrompts_comments.zst", comments)
    write_zst(tmp_path / "WritingPrompts_submissions.zst", sample_lines("WritingPrompts_submissions.zst")[::-1])
    shuffled, _ = read_sample(tmp_path / "WritingPrompts_submissions.zst")
    original, _ = read_sample(SAMPLES / "WritingPrompts_submissions.zst")
    assert [c.to_row() for c in shuffled] == [c.to_row() for c in original]


def test_monthly_dumps_keep_only_the_subreddit_whatever_its_case(tmp_path):
    other = orjson.dumps({"id": "zz1", "subreddit": "AskWomen", "title": "[WP] not here", "selftext": "", "score": 9})
    other_comment = orjson.dumps(
        {"id": "zz2", "subreddit": "books", "link_id": "t3_zz1", "parent_id": "t3_zz1", "body": "x" * 900, "score": 50}
    )
    lowered = [
        line.replace(b'"subreddit":"WritingPrompts"', b'"subreddit":"writingprompts"')
        for line in sample_lines("WritingPrompts_comments.zst")
    ]
    write_zst(tmp_path / "RS_2019-10.zst", [other, *sample_lines("WritingPrompts_submissions.zst"), other])
    write_zst(tmp_path / "RC_2019-10.zst", [other_comment, *lowered])
    candidates, skipped = read_sample(tmp_path / "RS_2019-10.zst")
    assert {c.meta["submission_id"]: c.meta["comment_id"] for c in candidates} == {k: v[0] for k, v in content.EXPECT.items()}
    assert skipped["other_subreddit"] == 3


def test_samples_need_the_2gib_window_like_the_real_dumps():
    with open(SAMPLES / "WritingPrompts_comments.zst", "rb") as handle:
        with pytest.raises(zstandard.ZstdError, match="too much memory"):
            zstandard.ZstdDecompressor().stream_reader(handle).read(100)


def test_samples_are_rebuilt_byte_for_byte(tmp_path):
    make_samples.main(tmp_path)
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (SAMPLES / path.relative_to(tmp_path)).read_bytes(), path.name


# -- bad input -------------------------------------------------------------------------------------


def test_a_zst_cut_short_is_a_one_line_error_naming_the_file(tmp_path):
    data = (SAMPLES / "WritingPrompts_comments.zst").read_bytes()
    cut = tmp_path / "WritingPrompts_comments.zst"
    cut.write_bytes(data[: len(data) // 2])
    (tmp_path / "WritingPrompts_submissions.zst").write_bytes((SAMPLES / "WritingPrompts_submissions.zst").read_bytes())
    with pytest.raises(InputError) as caught:
        read_sample(tmp_path / "WritingPrompts_submissions.zst")
    message = str(caught.value)
    assert "\n" not in message
    cut_short = r"zstd stream cut short after line \d+ \(truncated or incomplete download\)"
    assert re.fullmatch(rf"{re.escape(str(cut))}: {cut_short}", message)


def test_a_cut_short_error_says_how_far_the_stream_got(tmp_path):
    records = [orjson.dumps({"id": f"c{i}", "body": random.Random(i).randbytes(300).hex()}) for i in range(2000)]
    data = write_zst(tmp_path / "x_comments.zst", records).read_bytes()
    (tmp_path / "x_comments.zst").write_bytes(data[: len(data) * 3 // 5])
    with pytest.raises(InputError, match=r"cut short after line (\d+)") as caught:
        list(reddit.zst_lines(tmp_path / "x_comments.zst"))
    reached = int(re.search(r"after line (\d+)", str(caught.value)).group(1))
    assert 500 < reached < 2000


def test_a_line_that_is_not_json_names_file_and_line(tmp_path):
    lines = sample_lines("WritingPrompts_submissions.zst")
    lines[4] = lines[4][:-10]
    bad = write_zst(tmp_path / "WritingPrompts_submissions.zst", lines)
    with pytest.raises(InputError, match=rf"^{bad}:5: not valid JSON"):
        read_sample(bad)


def test_a_file_that_is_not_zstd_is_an_error(tmp_path):
    bad = tmp_path / "WritingPrompts_submissions.zst"
    bad.write_bytes(b'{"id": "plain json, not compressed"}\n')
    with pytest.raises(InputError, match="not a readable zstd stream after line 0"):
        read_sample(bad)


# -- streaming dumps (lima_curate.reddit) ---------------------------------------------------------


def test_lines_survive_chunks_cut_inside_a_utf8_character():
    text = "Ça va? — “quoted” — 東京 — 🐉\n".encode() * 3
    cut = text.index("東".encode()) + 1  # inside the three bytes of 東
    chunks = [text[:cut], text[cut : cut + 2], text[cut + 2 :]]
    assert [line.decode("utf-8") for line in reddit.split_lines(chunks)] == ["Ça va? — “quoted” — 東京 — 🐉"] * 3


def test_tiny_reads_give_the_same_records(tmp_path):
    records = [{"id": f"c{i}", "body": "Ωmega “story” 🐉 " * (i + 1)} for i in range(50)]
    path = write_zst(tmp_path / "x_comments.zst", [orjson.dumps(r) for r in records])
    lines = [orjson.loads(line) for _, line in reddit.zst_lines(path, read_size=7)]
    assert lines == records


def test_several_frames_are_read_one_after_another(tmp_path):
    frames = [zstandard.ZstdCompressor().compress(b'{"n": %d}\n' % i) for i in range(3)]
    path = tmp_path / "x_comments.zst"
    path.write_bytes(b"".join(frames))
    assert [orjson.loads(line)["n"] for _, line in reddit.zst_lines(path)] == [0, 1, 2]


def test_dump_helpers_take_the_subreddit_as_a_parameter(tmp_path):
    question = orjson.dumps({"id": "ah1", "subreddit": "AskHistorians", "title": "Why did Rome fall?"})
    submissions = sample_lines("WritingPrompts_submissions.zst")
    write_zst(tmp_path / "RS_2020-01.zst", [question, *submissions])
    (tmp_path / "RC_2020-01.zst").write_bytes(b"")
    skipped: Counter = Counter()
    assert [r["id"] for _, r in reddit.zst_records(tmp_path / "RS_2020-01.zst", "AskHistorians", skipped)] == ["ah1"]
    assert skipped == Counter({"other_subreddit": len(submissions)})
    assert reddit.dump_unit(tmp_path / "RC_2020-01.zst") == tmp_path / "RS_2020-01.zst"
    assert reddit.pair_files(tmp_path / "RS_2020-01.zst") == [tmp_path / "RC_2020-01.zst", tmp_path / "RS_2020-01.zst"]


# -- prompts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title, text, tags",
    [
        ("[WP] A dragon applies for a job.", "A dragon applies for a job.", ("WP",)),
        ("[ WP ] A dragon applies for a job.", "A dragon applies for a job.", ("WP",)),
        ("[wp] [ rf ] A late train.", "A late train.", ("WP", "RF")),
        ("(WP) Santa turns vigilante.", "Santa turns vigilante.", ("WP",)),
        ("Magic is hereditary. [WP]", "Magic is hereditary.", ("WP",)),
        ("WP: I remember the first time.", "I remember the first time.", ("WP",)),
        ("[WP/EU] - Gandalf retires.", "Gandalf retires.", ("WP", "EU")),
        ("[WP] Money buys [units of] happiness.", "Money buys [units of] happiness.", ("WP",)),
        ("Just a question about drafting", "Just a question about drafting", ()),
    ],
)
def test_prompt_tags_are_stripped(title, text, tags):
    assert rules.strip_tags(title, SETTINGS) == (text, tags)


@pytest.mark.parametrize(
    "title, selftext, expected",
    [
        ("[WP] The sea leaves.", "", ("The sea leaves.", "WP", ("WP",))),
        ("[CW] No letter e.", "Under 500 words.", ("No letter e.\n\nUnder 500 words.", "CW", ("CW",))),
        ("[WP] [NSFW] Something", "", "prompt_tag_not_kept"),
        ("[IP] A picture", "", "prompt_tag_not_kept"),
        ("No tag at all", "", "prompt_untagged"),
        ("[WP]", "", "prompt_empty"),
        ("[WP] Long", "x" * 501, "prompt_body_too_long"),
    ],
)
def test_prompts_keep_only_story_prompt_types(title, selftext, expected):
    assert rules.make_prompt(title, selftext, SETTINGS) == expected


def test_reddit_escaping_is_undone_once():
    assert reddit.reddit_text("Fish &amp; chips &lt;3\r\n&gt; quoted  \n\n\n\n&amp;#x200B;\n\nwrite &amp;amp; here") == (
        "Fish & chips <3\n> quoted\n\nwrite &amp; here"
    )


# -- Fan et al. 2018 -------------------------------------------------------------------------------


def test_golden_fan_story_is_detokenised_exactly():
    candidates, _ = read_sample(SAMPLES / "fan2018" / "valid.wp_source")
    first = candidates[0]
    assert first.id == "writingprompts/fan-valid-1"
    assert first.prompt + "\n" == (GOLDEN / "fan-valid-1.prompt.txt").read_text(encoding="utf-8")
    assert first.response + "\n" == (GOLDEN / "fan-valid-1.story.txt").read_text(encoding="utf-8")


def test_fan_files_give_the_first_story_per_prompt():
    candidates, skipped = read_sample(SAMPLES / "fan2018" / "valid.wp_source")
    assert [(c.id, c.group, c.rank) for c in candidates] == [
        ("writingprompts/fan-valid-1", "WP", 0),
        ("writingprompts/fan-valid-3", "EU", 0),
    ]
    assert candidates[1].meta == {
        "format": "fan2018",
        "file": "valid.wp_target",
        "fan_split": "valid",
        "line": 3,
        "prompt_type": "EU",
        "tags": ["EU"],
        "licence": wp.LICENCE,
    }
    assert skipped == Counter({"story_prompt_answered": 1})


def test_fan_files_of_different_lengths_are_an_error(tmp_path):
    (tmp_path / "test.wp_source").write_text("[ WP ] one\n[ WP ] two\n")
    (tmp_path / "test.wp_target").write_text("a story\n")
    with pytest.raises(InputError, match=r"test.wp_target:2: ends after line 1"):
        read_sample(tmp_path / "test.wp_source")


def test_csv_sample_rows_become_candidates():
    candidates, skipped = read_sample(SAMPLES / "writing_prompts_sample.csv")
    assert [c.id for c in candidates] == [
        "writingprompts/writing_prompts_sample-40417",
        "writingprompts/writing_prompts_sample-88102",
    ]
    assert candidates[1].prompt == 'Tell a story in which nobody ever says the word "goodbye".'
    assert candidates[0].response.startswith("It happened at 8:14 on a Monday, in the middle of the rush.\n\nForty thousand")
    assert '"It\'s a prank," said the mayor' in candidates[0].response
    assert skipped == Counter({"prompt_tag_not_kept": 1})


def test_blank_csv_lines_are_not_rows(tmp_path):
    story = "A story that is long enough to keep . " * 20
    path = tmp_path / "sample.csv"
    path.write_text(f'row_id,prompt,story\n7,[ WP ] First prompt .,"{story}"\n\n')
    candidates, _ = read_sample(path)
    assert [c.id for c in candidates] == ["writingprompts/sample-7"]


def test_a_broken_csv_row_names_its_line(tmp_path):
    bad = tmp_path / "wp.csv"
    bad.write_text('row_id,prompt,story\n1,"[ WP ] one","a\nstory"\n2,"[ WP ] two"\n')
    with pytest.raises(InputError, match=r"wp.csv:4: row has 2 fields, the header 3"):
        read_sample(bad)
    bad.write_text("id,text\n1,x\n")
    with pytest.raises(InputError, match=r"wp.csv:1: no 'prompt' column"):
        read_sample(bad)


def test_csv_rows_without_row_id_are_numbered_and_bad_bytes_are_an_error(tmp_path):
    story = "A story that is long enough to keep . " * 20
    path = tmp_path / "sample.csv"
    path.write_text(f'prompt,story\n[ WP ] First prompt .,"{story}"\n[ WP ] Second prompt .,"{story}"\n')
    candidates, _ = read_sample(path)
    assert [c.id for c in candidates] == ["writingprompts/sample-1", "writingprompts/sample-2"]
    assert [c.meta["line"] for c in candidates] == [2, 3]
    path.write_bytes(b"prompt,story\n[ WP ] x,\xff\xfe broken\n")
    with pytest.raises(InputError, match="not valid UTF-8"):
        read_sample(path)


def test_fan_line_that_is_not_utf8_names_its_line(tmp_path):
    (tmp_path / "valid.wp_source").write_bytes(b"[ WP ] one\n[ WP ] two\n")
    (tmp_path / "valid.wp_target").write_bytes(b"a story\nbad \xff byte\n")
    with pytest.raises(InputError, match=r"valid.wp_target:2: not valid UTF-8"):
        read_sample(tmp_path / "valid.wp_source")


@pytest.mark.parametrize(
    "tokens, text",
    [
        ("I do n't know , and I ca n't say .", "I don't know, and I can't say."),
        ("It wo n't open ; it 's stuck .", "It won't open; it's stuck."),
        ("`` Wait ! '' she said . `` Why ? ''", '"Wait!" she said. "Why?"'),
        ('He said " hello , world . " Then he left .', 'He said "hello, world." Then he left.'),
        ("He laughed ( a little too loudly ) .", "He laughed (a little too loudly)."),
        ("We 're gon na need $ 20 , maybe 15 % more ...", "We're gonna need $20, maybe 15% more..."),
        ("I can not , I got ta go .", "I cannot, I gotta go."),
        ("The parents ' house . She whispered ` run ' .", "The parents' house. She whispered 'run'."),
        ("“ Where ’ s mommy ? ” he asked . She didn ’ t answer .", "“Where’s mommy?” he asked. She didn’t answer."),
        ("Read [ this ] ( https : //example.com/a ? id=4 ) first .", "Read [this](https://example.com/a?id=4) first."),
        ("# # # Part Two <newline> <newline> *The end . *", "### Part Two\n\n*The end.*"),
        ("One <newline> <newline> <newline> Two . . .", "One\n\nTwo..."),
        ("`` Yes , I think so ``, and he nodded .", '"Yes, I think so", and he nodded.'),
        ("Type `ls -la` to see it .", "Type `ls -la` to see it."),
    ],
)
def test_fan_tokenisation_is_undone(tokens, text):
    assert fan.detokenize(tokens) == text


# -- real files (../shared/real) -------------------------------------------------------------------


def real(*parts: str) -> Path:
    path = REAL.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    return path


@pytest.mark.real
def test_real_monthly_comment_dump_streams_every_line():
    path = real("pushshift", "RC_2005-12.zst")
    records = [orjson.loads(line) for _, line in reddit.zst_lines(path) if line]
    assert len(records) == 1075
    assert all(r["link_id"].startswith("t3_") for r in records)
    assert wp.units(path) == [path]
    candidates, skipped = read_source(wp.NAME, path)
    assert candidates == []
    assert skipped == Counter({"other_subreddit": 1075})


@pytest.mark.real
def test_real_submissions_extract_of_another_subreddit_yields_nothing():
    path = real("pushshift", "AskWomen_submissions.zst")
    candidates, skipped = read_source(wp.NAME, path)
    assert candidates == []
    assert skipped == Counter({"other_subreddit": 8271, "other_subreddit:r/AskWomen": 8271})


@pytest.mark.real
def test_real_fan_csv_sample_is_detokenised():
    path = real("writingprompts", "writing_prompts_train_subset.csv")
    candidates, skipped = read_source(wp.NAME, path)
    residue = {reason: n for reason, n in skipped.items() if reason.startswith("residue_")}  # kept stories, cleaned
    assert len(candidates) + sum(skipped.values()) - sum(residue.values()) == 500
    assert len(candidates) > 100
    assert set(skipped) - set(residue) <= {
        "prompt_untagged",
        "prompt_tag_not_kept",
        "story_too_short",
        "story_too_long",
        "story_prompt_answered",
    }
    assert set(residue) <= {f"residue_{rule}" for rule in rules.RESIDUE_RULES}
    for candidate in candidates:
        for text in (candidate.prompt, candidate.response):
            assert "<newline>" not in text and " n't" not in text and "``" not in text and "''" not in text
            assert " ," not in text and " ." not in text.replace(" ...", "")
        assert not candidate.prompt.startswith("[")
        assert SETTINGS.min_story_chars <= len(candidate.response) <= SETTINGS.max_story_chars
    assert len({c.id for c in candidates}) == len(candidates)


@pytest.mark.real
def test_real_fan_text_length_bounds_hold():
    """The reader skips detokenising when these bounds decide a story's length; they must hold."""
    path = real("writingprompts", "writing_prompts_train_subset.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        texts = [text for row in csv.DictReader(handle) for text in (row["prompt"], row["story"])]
    texts += [story for _, story in content.FAN_VALID] + [row[2] for row in content.CSV_ROWS]
    for text in texts:
        assert fan.shortest_detokenized(text) <= len(fan.detokenize(text)) <= len(text)
