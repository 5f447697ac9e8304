"""The Stack Exchange reader: formats, the question/answer join, skips, and bad input."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, read_source, recipe_settings
from se_dump import answer, posts_xml, question, row, site_archive, site_folder

from lima_curate.errors import InputError
from lima_curate.sources import stackexchange as se

REAL = ROOT.parent / "shared" / "real" / "stackexchange"
SETTINGS = recipe_settings("stackexchange")  # LIMA's: unix is a STEM site, cooking another, meta sites excluded


def read_all(unit: Path, settings: se.Settings = SETTINGS) -> tuple[list, Counter]:
    """The reader over one unit with the recipe's settings, as a build reads it."""
    return read_source("stackexchange", unit, settings)


def test_settings_defaults_are_the_recipes():
    """Every default but the site list (a file the recipe names) is what filters/lima.toml makes."""
    assert replace(SETTINGS, site_list={}) == se.Settings()
    assert SETTINGS.site_list["unix.stackexchange.com"] == "stem" and SETTINGS.site_list["cooking.stackexchange.com"] == "other"


def test_joins_each_question_to_its_top_answer(tmp_path):
    rows = [
        question(10, "How can a shell script read a file line by line?", score=30, AcceptedAnswerId=12),
        answer(11, 10, score=40),
        answer(12, 10, score=12, body="<p>short accepted one</p>"),
        answer(13, 10, score=40, body="<p>same score, later id</p>"),
    ]
    [c], _ = read_all(site_folder(tmp_path, "unix.stackexchange.com", rows))
    assert c.id == "stackexchange/unix.stackexchange.com/q10-a11"
    assert c.subset == "se_stem" and c.group == "unix.stackexchange.com"
    assert c.meta["answer_score"] == 40 and c.meta["question_score"] == 30
    assert c.meta["url"] == "https://unix.stackexchange.com/questions/10"
    assert c.meta["licence"] == "CC BY-SA 4.0" and c.meta["dump_date"] == "2021-05-01"
    assert "```\nwith open(path" in c.response and "1. Check the encoding" in c.response
    assert c.rank == 30


def test_answers_before_their_question_still_join(tmp_path):
    rows = [answer(21, 20), question(20, "How can a shell script read a file line by line?")]
    [c], _ = read_all(site_folder(tmp_path, "unix.stackexchange.com", rows))
    assert c.meta["answer_id"] == 21


def test_both_tag_formats():
    assert se.parse_tags("<python><csv-files>") == ["python", "csv-files"]
    assert se.parse_tags("|python|csv-files|") == ["python", "csv-files"]
    assert se.parse_tags("") == []


def test_answers_below_the_gate_are_not_converted(tmp_path):
    rows = [question(10, "How can a shell script read a file line by line?"), answer(11, 10, score=3)]
    [c], _ = read_all(site_folder(tmp_path, "unix.stackexchange.com", rows))
    assert c.meta["answer_score"] == 3 and c.response == ""


def test_planted_posts_other_types_and_broken_rows_are_skipped_and_counted(tmp_path):
    rows = [
        question(1000000001, "How can a shell script read a file line by line?", score=999),
        answer(1000000010, 1000000001, score=999),
        row(Id=5, PostTypeId=4, Score=0, Body="<p>tag wiki excerpt</p>"),
        row(Id=6, PostTypeId=5, Score=0, Body="<p>tag wiki</p>"),
        row(Id=7, PostTypeId=6, Score=0, Body="<p>moderator nomination</p>"),
        question(30, "What is the difference between a hard link and a soft link?", Score="x"),
        question(40, "Why do file names with spaces break shell loops?", AnswerCount=0),
        row(Id=50, PostTypeId=1, Score=3, Title="A question without a body", AnswerCount=1),
        question(60, "How can a shell script read a file line by line?"),
        answer(61, 60),
    ]
    candidates, skipped = read_all(site_folder(tmp_path, "unix.stackexchange.com", rows))
    assert [c.id for c in candidates] == ["stackexchange/unix.stackexchange.com/q60-a61"]
    assert skipped == Counter({"planted_post": 2, "invalid_id_or_score": 1, "missing_body": 1, "unanswered_question": 1})


def test_archive_folder_and_bare_posts_xml_give_the_same_candidates(tmp_path):
    rows = [question(10, "How can a shell script read a file line by line?"), answer(11, 10)]
    archive = site_archive(tmp_path / "a", "unix.stackexchange.com", rows)
    folder = site_folder(tmp_path / "b", "unix.stackexchange.com", rows)
    from_archive, _ = read_all(archive)
    from_folder, _ = read_all(folder)
    from_posts, _ = read_all(folder / "Posts.xml")
    assert from_archive == from_folder == from_posts
    assert from_archive[0].group == "unix.stackexchange.com"


def test_site_names_from_published_file_names():
    assert se.site_of(Path("cooking.stackexchange.com.7z")) == "cooking.stackexchange.com"
    assert se.site_of(Path("stackoverflow.com-Posts.7z")) == "stackoverflow.com"
    assert se.site_of(Path("dumps/Cooking.StackExchange.com/Posts.xml")) == "cooking.stackexchange.com"


def test_site_classes_unknown_and_meta(tmp_path):
    assert se.subset_of("cooking.stackexchange.com", SETTINGS) == "se_other"
    assert se.subset_of("meta.cooking.stackexchange.com", SETTINGS) == "excluded"
    assert se.subset_of("cooking.meta.stackexchange.com", SETTINGS) == "excluded"
    assert se.subset_of("nosuchsite.stackexchange.com", SETTINGS) == "unknown"


def test_a_folder_of_dumps_expands_to_one_unit_per_site(tmp_path):
    rows = [question(10, "How can a shell script read a file line by line?"), answer(11, 10)]
    site_archive(tmp_path, "unix.stackexchange.com", rows)
    site_folder(tmp_path, "cooking.stackexchange.com", rows)
    (tmp_path / "notes.txt").write_text("not a dump")
    assert [u.name for u in se.units(tmp_path)] == ["cooking.stackexchange.com", "unix.stackexchange.com.7z"]


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"this is not xml at all\n", r"Posts\.xml:1: not well-formed XML"),
        (
            posts_xml([question(10, "How can a shell script read a file?"), answer(11, 10)])[:-40],
            r"Posts\.xml:\d+: not well-formed XML",
        ),
        (posts_xml(['  <row Id="1" PostTypeId="1" Score="3" Body="x" <oops'])[:], r"Posts\.xml:3: not well-formed XML"),
    ],
    ids=["not-xml", "cut-short", "malformed-row"],
)
def test_bad_xml_is_one_line_naming_file_and_line(tmp_path, content, expected):
    folder = tmp_path / "unix.stackexchange.com"
    folder.mkdir()
    (folder / "Posts.xml").write_bytes(content)
    with pytest.raises(InputError, match=expected) as info:
        read_all(folder)
    assert "\n" not in str(info.value)


def test_truncated_archive_is_one_line_naming_the_archive(tmp_path):
    rows = [question(10 + i, f"How can a shell script read file {i}?") for i in range(50)]
    archive = site_archive(tmp_path, "unix.stackexchange.com", rows)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"unix\.stackexchange\.com\.7z: ") as info:
        read_all(archive)
    assert "\n" not in str(info.value)


def test_missing_input_and_wrong_file_kind(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        se.units(tmp_path / "missing.7z")
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="not a Stack Exchange dump"):
        se.units(tmp_path / "x.csv")


@pytest.mark.real
def test_real_beer_archive_and_cardano_folder():
    if not REAL.is_dir():
        pytest.skip("../shared/real is absent")
    beer, beer_skipped = read_all(REAL / "beer.stackexchange.com.7z")
    cardano, _ = read_all(REAL / "cardano.stackexchange.com")
    assert len(beer) > 800 and len(cardano) > 800
    assert {c.subset for c in beer} == {"se_other"} and {c.subset for c in cardano} == {"se_stem"}
    converted = [c for c in beer + cardano if c.meta["answer_score"] >= 10]
    assert converted and all(c.response and "<p>" not in c.response for c in converted)
    assert all(c.response == "" for c in beer + cardano if c.meta["answer_score"] < 10)
    assert beer_skipped["unanswered_question"] > 0


def test_escaped_html_entities_in_bodies_are_decoded_once(tmp_path):
    body = "<p>Write &quot;quoted&quot; text &amp; compare with <code>a &lt; b</code>.</p>" + "<p>More.</p>" * 3
    rows = [question(10, "How can a shell script read a file line by line?"), answer(11, 10, body=body)]
    [c], _ = read_all(site_folder(tmp_path, "unix.stackexchange.com", rows))
    assert c.response.startswith('Write "quoted" text & compare with `a < b`.')


def test_questions_out_of_id_order_and_answers_placed_by_a_merge_join_like_any_other(tmp_path):
    rows = [
        question(10, "How can a shell script read a file line by line?"),
        answer(8, 30, score=25),  # moved here by a merge: below its new question's id, before it
        question(30, "How does a shell script read a file in bulk?"),
        question(20, "How does a shell script read a file backwards?", score=7),  # out of id order
        answer(31, 20, score=33),
        answer(32, 10, score=12),
        answer(33, 20, score=40, body="<p>better, and later</p>"),
        question(20, "Which title wins for a repeated id?"),  # a repeated id is skipped and counted
        answer(34, 30, score=11),
    ]
    candidates, skipped = read_all(site_folder(tmp_path, "unix.stackexchange.com", rows))
    assert [c.id.rsplit("/", 1)[1] for c in candidates] == ["q10-a32", "q20-a33", "q30-a8"]
    assert [c.meta["title"] for c in candidates] == [
        "How can a shell script read a file line by line?",
        "How does a shell script read a file backwards?",
        "How does a shell script read a file in bulk?",
    ]
    assert skipped["duplicate_question_id"] == 1


def test_question_texts_spilled_across_many_compressed_blocks_read_back_whole(tmp_path):
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
    rows = []
    for n in range(1, 1201):
        body = "<p>" + " ".join(words[(n * k) % 10] + str(n * k) for k in range(300)) + "</p>"
        rows += [question(2 * n, f"How does case {n} of the parser work?", body=body), answer(2 * n + 1, 2 * n)]
    settings = replace(SETTINGS, title_prompt_share=0.0)  # every prompt is the body
    candidates, _ = read_all(site_folder(tmp_path, "unix.stackexchange.com", rows), settings)
    assert len(candidates) == 1200
    for c in candidates[::97]:
        n = c.meta["question_id"] // 2
        assert c.prompt == " ".join(words[(n * k) % 10] + str(n * k) for k in range(300))


@pytest.mark.parametrize("score", ["99999999999999999999999", "-99999999999999999999999"])
def test_a_score_no_dump_can_hold_is_skipped_and_counted(tmp_path, score):
    rows = [question(10, "How can a shell script read a file line by line?"), answer(11, 10, score=score)]
    candidates, skipped = read_all(site_folder(tmp_path, "unix.stackexchange.com", rows))
    assert skipped["invalid_id_or_score"] == 1 and skipped["unanswered_question"] == 1 and not candidates


@pytest.mark.parametrize(
    "dates, licence",
    [
        ({"CreationDate": "2010-09-01T12:00:00.000"}, "CC BY-SA 2.5"),
        ({"CreationDate": "2011-04-07T23:59:59.999"}, "CC BY-SA 2.5"),
        ({"CreationDate": "2011-04-08T00:00:00.000"}, "CC BY-SA 3.0"),
        ({"CreationDate": "2018-05-01T23:59:59.999"}, "CC BY-SA 3.0"),
        ({"CreationDate": "2018-05-02T00:00:00.000"}, "CC BY-SA 4.0"),
        ({"CreationDate": "2010-09-01T12:00:00.000", "LastEditDate": "2019-01-05T08:00:00.000"}, "CC BY-SA 4.0"),
        ({"CreationDate": "2009-09-01T12:00:00.000", "LastEditDate": "2012-01-05T08:00:00.000"}, "CC BY-SA 3.0"),
    ],
    ids=["2010", "eve-of-3.0", "first-day-of-3.0", "eve-of-4.0", "first-day-of-4.0", "edited-2019", "edited-2012"],
)
def test_a_dump_without_content_licence_gets_the_licence_of_the_latest_revisions_date(tmp_path, dates, licence):
    rows = [
        question(10, "How can a shell script read a file line by line?", ContentLicense=""),
        answer(11, 10, ContentLicense="", **dates),
    ]
    rows = [r.replace(' ContentLicense=""', "") for r in rows]  # the attribute absent, as in older dumps
    [c], _ = read_all(site_folder(tmp_path, "unix.stackexchange.com", rows))
    assert c.meta["licence"] == licence and c.meta["licence_from"] == "date"


def test_a_dump_with_content_licence_keeps_it_unmarked(tmp_path):
    rows = [
        question(10, "How can a shell script read a file line by line?"),
        answer(11, 10, CreationDate="2010-01-01T00:00:00.000"),
    ]
    [c], _ = read_all(site_folder(tmp_path, "unix.stackexchange.com", rows))
    assert c.meta["licence"] == "CC BY-SA 4.0" and "licence_from" not in c.meta  # the dump's word wins over the date


@pytest.mark.real
def test_real_dumps_carry_content_licence_and_the_date_rule_agrees_with_every_post(tmp_path):
    """beer (2020-06) and cardano (~2021-12) both hold ContentLicense on every post: the reader takes
    it as it is, and the rule the reader falls back on gives the same licence for every one of them."""
    if not REAL.is_dir():
        pytest.skip("../shared/real is absent")
    import py7zr
    from lxml import etree

    beer, _ = read_all(REAL / "beer.stackexchange.com.7z")
    cardano, _ = read_all(REAL / "cardano.stackexchange.com")
    converted = [c for c in beer + cardano if c.messages]
    assert converted and all(c.meta["licence"].startswith("CC BY-SA ") and "licence_from" not in c.meta for c in converted)
    with py7zr.SevenZipFile(REAL / "beer.stackexchange.com.7z") as archive:
        archive.extract(path=tmp_path, targets=["Posts.xml"])
    agree = Counter()
    for posts in (tmp_path / "Posts.xml", REAL / "cardano.stackexchange.com" / "Posts.xml"):
        for _, element in etree.iterparse(str(posts), tag="row"):
            attrib = element.attrib
            if attrib.get("PostTypeId") in ("1", "2"):
                derived = se.licence_by_date(attrib.get("LastEditDate") or attrib["CreationDate"])
                agree[derived == attrib["ContentLicense"]] += 1
            element.clear()
    assert agree == Counter({True: 3306 + 2538})


def test_a_folder_holding_one_site_in_two_layouts_is_refused(tmp_path):
    (tmp_path / "stackoverflow.com.7z").write_bytes(b"7z")
    (tmp_path / "stackoverflow.com-Posts.7z").write_bytes(b"7z")
    with pytest.raises(
        InputError, match=r"holds stackoverflow\.com twice \(stackoverflow\.com-Posts\.7z and stackoverflow\.com\.7z\): keep one"
    ):
        se.units(tmp_path)
