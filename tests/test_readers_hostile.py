"""Hostile and broken input through every reader (issue 12, item 6), each fed to a build as a user would.

A case ends one of two ways: one line ``error: PATH[:LINE]: message`` and exit 2 with the set already in
``--out`` untouched, or a build whose card counts the dropped record under its reason. Builds run in this
process (Typer's runner) to stay fast; one case also runs in a fresh interpreter."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import zstandard
from conftest import ROOT, cli, run_cli
from se_dump import ELIGIBLE_ANSWER, answer, question, site_folder

from lima_curate.errors import InputError
from lima_curate.markup import MAX_NESTING, TooDeep, html_to_markdown
from lima_curate.sources import guard, wikihow_page

SAMPLES = ROOT / "samples"
PAGE = SAMPLES / "wikihow" / "Check-Tire-Pressure.html"
SITE = "unix.stackexchange.com"
QUOTAS = {"se_stem": 0, "se_other": 0, "wikihow": 0, "writingprompts": 0, "superni": 0, "authored": 0}


def recipe(root: Path, **quotas: int) -> Path:
    """A recipe over LIMA's with small quotas, so that a build of one hostile file takes a second."""
    path = root / f"recipe-{'-'.join(sorted(quotas))}.toml"
    table = "\n".join(f"{name} = {n}" for name, n in {**QUOTAS, **quotas}.items())
    path.write_text(
        f'schema = 1\nextends = "{ROOT / "filters" / "lima.toml"}"\nname = "hostile"\nversion = "0.0.1"\n[quotas]\n{table}\n'
    )
    return path


def build(root: Path, source: str, path: Path, out: Path, **quotas: int):
    """``lima-curate build --input SOURCE=PATH`` (short subsets allowed), in this process."""
    args = ["build", "-r", str(recipe(root, **quotas)), "--input", f"{source}={path}", "--out", str(out), "--no-cache"]
    return run_cli(*args, "--allow-short")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    """A good set (one wikiHow page) and its files' bytes, which every failed build must leave as they are."""
    root = tmp_path_factory.mktemp("built")
    result = build(root, "wikihow", PAGE, root / "out", wikihow=1)
    assert result.exit_code == 0, result.output
    return root / "out", snapshot(root / "out")


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.fixture
def out(built, tmp_path) -> Path:
    """A copy of the good set for one test to build over."""
    copy = tmp_path / "out"
    shutil.copytree(built[0], copy)
    return copy


def fails(result, out: Path, built, where: str, message: str) -> None:
    """Exit 2, exactly one line ``error: WHERE: MESSAGE``, and the earlier set byte for byte."""
    assert result.exit_code == 2, (result.exception, result.output)
    assert result.stderr == f"error: {where}: {message}\n"
    assert snapshot(out) == built[1]


def card(out: Path) -> dict:
    return json.loads((out / "manifest.card.json").read_text())


def manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def skipped(out: Path) -> dict[str, int]:
    """The card's skip counts, summed over its inputs."""
    found: dict[str, int] = {}
    for entry in card(out)["inputs"]:
        for reason, n in entry["skipped"].items():
            found[reason] = found.get(reason, 0) + n
    return found


# -- Stack Exchange ----------------------------------------------------------------------------------

TITLE = "How can a shell script read a file line by line?"


def se_build(tmp_path: Path, out: Path, rows: list[str]):
    return build(tmp_path, "stackexchange", site_folder(tmp_path / "se", SITE, rows), out, se_stem=2, se_other=2)


@pytest.mark.parametrize("field", ["answer score", "question score"])
def test_a_score_past_any_integer_is_a_counted_skip_not_an_overflow(tmp_path, out, field):
    huge = "99999999999999999999999"
    rows = [
        question(10, TITLE, score=huge if field == "question score" else 20),
        answer(11, 10, score=huge if field == "answer score" else 15),
    ]
    rows += [question(20, "Why does a loop over file names break on spaces?"), answer(21, 20)]
    result = se_build(tmp_path, out, rows)
    assert result.exit_code == 0, (result.exception, result.output)
    assert skipped(out)["invalid_id_or_score"] == 1
    assert [line["meta"]["question_id"] for line in manifest(out)] == [20]


def test_html_nested_past_the_cap_drops_the_candidate_counted(tmp_path, out):
    deep = "<blockquote>" * 300 + "<p>the end of a very deep quote</p>" + "</blockquote>" * 300
    rows = [question(10, TITLE), answer(11, 10, body=ELIGIBLE_ANSWER + deep)]
    rows += [question(20, "Why does a loop over file names break on spaces?"), answer(21, 20)]
    result = se_build(tmp_path, out, rows)
    assert result.exit_code == 0, (result.exception, result.output)
    assert skipped(out)["html_nested_too_deep"] == 1
    assert [line["meta"]["question_id"] for line in manifest(out)] == [20]


def test_template_contents_never_reach_a_stack_exchange_text(tmp_path, out):
    body = ELIGIBLE_ANSWER + "<template><p>TEMPLATE-SECRET in a template</p></template><p>Shown after it.</p>"
    result = se_build(tmp_path, out, [question(10, TITLE), answer(11, 10, body=body)])
    assert result.exit_code == 0, (result.exception, result.output)
    [line] = manifest(out)
    response = line["messages"][1]["content"]
    assert "TEMPLATE-SECRET" not in response and response.endswith("Shown after it.")


def test_a_duplicate_question_id_keeps_the_first_row_and_counts_the_second(tmp_path, out):
    rows = [question(10, TITLE), answer(11, 10), question(10, "A second question reusing the id?"), answer(12, 10, score=99)]
    result = se_build(tmp_path, out, rows)
    assert result.exit_code == 0, (result.exception, result.output)
    assert skipped(out)["duplicate_question_id"] == 1
    [line] = manifest(out)
    assert line["meta"]["title"] == TITLE and line["meta"]["answer_id"] == 12  # answers join by ParentId


# -- wikiHow -----------------------------------------------------------------------------------------


def page_with(tmp_path: Path, inside_step: str = "", replace: tuple[str, str] | None = None) -> Path:
    """The sample page with markup put at the start of its first step, or one of its strings replaced."""
    html = PAGE.read_text()
    if inside_step:
        at = html.index('<div class="step">') + len('<div class="step">')
        html = html[:at] + inside_step + html[at:]
    if replace:
        assert replace[0] in html
        html = html.replace(replace[0], replace[1], 1)
    path = tmp_path / "pages" / PAGE.name
    path.parent.mkdir(exist_ok=True)
    path.write_text(html)
    return path


def test_a_page_nested_250_levels_is_a_counted_skip_not_a_recursion_error(tmp_path, out):
    page = page_with(tmp_path, "<span>" * 260 + "deep" + "</span>" * 260)
    result = build(tmp_path, "wikihow", page, out, wikihow=1)
    assert result.exit_code == 0, (result.exception, result.output)
    assert skipped(out) == {"nested too deep": 1}
    assert not manifest(out)


def test_template_contents_never_reach_a_wikihow_text(tmp_path, out, built):
    page = page_with(tmp_path, "<template>TEMPLATE-SECRET</template>")
    result = build(tmp_path, "wikihow", page, out, wikihow=1)
    assert result.exit_code == 0, (result.exception, result.output)
    assert "TEMPLATE-SECRET" in page.read_text() and "TEMPLATE-SECRET" not in (out / "manifest.jsonl").read_text()
    assert snapshot(out)["manifest.jsonl"] == built[1]["manifest.jsonl"]  # the same text as without it


def config_line(key: str) -> int:
    html = PAGE.read_text()
    return html.count("\n", 0, html.index(f'"{key}":')) + 1


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "wgArticleId",
            "99999999999999999999999",
            "mw.config wgArticleId 99999999999999999999999 is out of range (a 64-bit integer)",
        ),
        ("wgPageName", "42", "mw.config wgPageName must be a string, not 42"),
        ("wgCategories", '"Cars"', 'mw.config wgCategories must be a list of strings, not "Cars"'),
        ("wgTitle", '"\\ud800"', "mw.config wgTitle is not text (it holds a lone surrogate escape)"),
    ],
)
def test_a_config_value_of_the_wrong_type_or_range_is_one_line(tmp_path, out, built, key, value, message):
    html = PAGE.read_text()
    start = html.index(f'"{key}":')
    old = wikihow_page.CONFIG_VALUE.match(html, start).group(0)
    page = page_with(tmp_path, replace=(old, f'"{key}":{value}'))
    result = build(tmp_path, "wikihow", page, out, wikihow=1)
    fails(result, out, built, f"{page}:{config_line(key)}", message)


def test_an_unforeseen_exception_inside_a_reader_is_one_line_naming_the_file(tmp_path, out, built, monkeypatch):
    def broken(*args):
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr(wikihow_page, "page_title", broken)
    result = build(tmp_path, "wikihow", PAGE, out, wikihow=1)
    fails(result, out, built, str(PAGE), "cannot be read (TypeError: unsupported operand type(s) for +: 'int' and 'str')")


# -- JSON readers: Super-NaturalInstructions and authored examples ---------------------------------

DEEP_JSON = "[" * 100_000 + "]" * 100_000
LONG_INT = "9" * 5000
HOSTILE_JSON = {
    "nested": (DEEP_JSON, "not valid JSON here (nested too deeply)"),
    "long integer": (LONG_INT, "not valid JSON here (an integer of more than 4300 digits)"),
    "lone surrogate": ('"\\udc80"', "holds a \\u escape of a lone surrogate, which is not text"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_JSON))
def test_a_hostile_task_file_is_one_line(tmp_path, out, built, case):
    value, message = HOSTILE_JSON[case]
    folder = tmp_path / "superni"
    shutil.copytree(SAMPLES / "superni", folder)
    task = sorted((folder / "tasks").glob("*.json"))[0]
    text = task.read_text()
    task.write_text(text.replace('"Definition"', f'"Contributors": {value}, "Definition"', 1))
    result = build(tmp_path, "superni", folder, out, superni=1)
    fails(result, out, built, str(task), message)


@pytest.mark.parametrize("case", sorted(HOSTILE_JSON))
def test_a_hostile_authored_line_is_one_line_naming_it(tmp_path, out, built, case):
    value, message = HOSTILE_JSON[case]
    lines = (SAMPLES / "authored" / "examples.jsonl").read_text().splitlines()
    example = json.loads(lines[1])
    lines[1] = json.dumps(example)[:-1] + f', "meta": {{"category": {value}}}}}'
    path = tmp_path / "examples.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = build(tmp_path, "authored", path, out, authored=1)
    fails(result, out, built, f"{path}:2", message)


# -- r/WritingPrompts (Pushshift) ------------------------------------------------------------------

STORY = " ".join(["The lighthouse keeper counted the ships that never came back, one a night."] * 12)


def write_zst(path: Path, records: list[dict]) -> Path:
    buffer = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(buffer, closefd=False) as writer:
        for record in records:
            writer.write(json.dumps(record).encode() + b"\n")
    path.write_bytes(buffer.getvalue())
    return path


def submission(**extra: object) -> dict:
    return {"id": "abc", "subreddit": "WritingPrompts", "title": "[WP] The sea keeps a list", "score": 50,
            "created_utc": 1546300800, "selftext": "", **extra}  # fmt: skip


def comment(**extra: object) -> dict:
    return {"id": "c1", "subreddit": "WritingPrompts", "link_id": "t3_abc", "parent_id": "t3_abc", "body": STORY,
            "score": 40, "created_utc": 1546300900, "author": "writer", **extra}  # fmt: skip


def dump(tmp_path: Path, submissions: list[dict], comments: list[dict]) -> Path:
    folder = tmp_path / "wp"
    folder.mkdir()
    write_zst(folder / "WritingPrompts_comments.zst", comments)
    return write_zst(folder / "WritingPrompts_submissions.zst", submissions)


def test_the_pushshift_records_build(tmp_path, out):
    result = build(tmp_path, "writingprompts", dump(tmp_path, [submission()], [comment()]), out, writingprompts=1)
    assert result.exit_code == 0, (result.exception, result.output)
    assert [line["meta"]["story_score"] for line in manifest(out)] == [40]


@pytest.mark.parametrize(
    ("half", "field", "value", "shown"),
    [("submissions", "score", 1e30, "1e+30"), ("comments", "score", "99999999999999999999999", "99999999999999999999999"),
     ("comments", "created_utc", -(10**20), "-1e+20")],
)  # fmt: skip
def test_a_number_past_a_64_bit_integer_is_one_line_naming_file_and_line(tmp_path, out, built, half, field, value, shown):
    other = submission(id="abd", title="[WP] Another prompt")
    if half == "submissions":
        path = dump(tmp_path, [other, submission(**{field: value})], [comment()])
    else:
        path = dump(tmp_path, [submission()], [comment(id="c0", score=12), comment(**{field: value})]).with_name(
            "WritingPrompts_comments.zst"
        )
    result = build(tmp_path, "writingprompts", path.with_name("WritingPrompts_submissions.zst"), out, writingprompts=1)
    fails(result, out, built, f"{path}:2", f"{field} {shown} is out of range (a 64-bit integer)")


def test_a_post_body_that_is_no_text_is_a_counted_skip(tmp_path, out):
    path = dump(tmp_path, [submission(selftext=7), submission(id="abd", selftext=["x"])], [comment()])
    result = build(tmp_path, "writingprompts", path, out, writingprompts=1)
    assert result.exit_code == 0, (result.exception, result.output)
    assert skipped(out)["submission_missing_field"] == 2 and not manifest(out)


# -- the markup core and the guard, and one case end to end in a fresh interpreter ---------------------


def test_strict_conversion_refuses_what_the_parser_would_cut_and_the_default_still_never_raises():
    at_cap = "<div>" * (MAX_NESTING - 2) + "x"  # html and body are two of the levels
    assert html_to_markdown(at_cap, strict=True) == "x"
    for deep in ("<div>" * 300 + "x", "<ul><li>" * 200 + "x", "<b><i>" * 70 + "x"):
        with pytest.raises(TooDeep):
            html_to_markdown(deep, strict=True)
        assert isinstance(html_to_markdown(deep), str)
    assert html_to_markdown("<p>a</p><template><p>b</p></template><p>c</p>") == "a\n\nc"


def test_the_guard_passes_input_errors_through_and_names_the_file_for_the_rest():
    def raising(error: BaseException):
        yield 1
        raise error

    assert list(guard.guarded("f", iter([1, 2]))) == [1, 2]
    with pytest.raises(InputError, match=r"^f:3: own$"):
        list(guard.guarded("f", raising(InputError("f", "own", 3))))
    with pytest.raises(InputError, match=r"^f: cannot be read: nested too deeply$"):
        list(guard.guarded("f", raising(RecursionError("maximum recursion depth exceeded"))))
    with pytest.raises(InputError, match=r"^f: cannot be read \(KeyError: 'Id'\)$"):
        list(guard.guarded("f", raising(KeyError("Id"))))
    with pytest.raises(OSError):  # left to the callers, which name the path that failed
        list(guard.guarded("f", raising(OSError("disk"))))


def test_a_deep_task_file_in_a_fresh_interpreter_is_one_line_and_exit_2(tmp_path, built):
    folder = tmp_path / "superni"
    shutil.copytree(SAMPLES / "superni", folder)
    task = sorted((folder / "tasks").glob("*.json"))[0]
    task.write_text(DEEP_JSON)
    out = tmp_path / "out"
    shutil.copytree(built[0], out)
    args = ["build", "-r", str(recipe(tmp_path, superni=1)), "--input", f"superni={folder}", "--out", str(out)]
    result = cli(*args, "--no-cache", "--allow-short", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr == f"error: {task}: not valid JSON here (nested too deeply)\n"
    assert snapshot(out) == built[1]


def test_a_submission_dumped_twice_keeps_the_first_record_and_counts_the_second(tmp_path, out):
    twice = [submission(), submission(title="[WP] A second record under the same id")]
    result = build(tmp_path, "writingprompts", dump(tmp_path, twice, [comment()]), out, writingprompts=1)
    assert result.exit_code == 0, (result.exception, result.output)
    assert skipped(out)["duplicate_submission_id"] == 1
    assert [line["messages"][0]["content"] for line in manifest(out)] == ["The sea keeps a list"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e400", "the number inf is not one JSON can hold (write it as a string)"),
        ("NaN", "the number nan is not one JSON can hold (write it as a string)"),
        (
            "[99999999999999999999999]",
            "the number 99999999999999999999999 is out of range (a 64-bit integer; write it as a string)",
        ),
    ],
)
def test_a_number_no_manifest_line_can_hold_is_one_line_naming_it(tmp_path, out, built, value, message):
    lines = (SAMPLES / "authored" / "examples.jsonl").read_text().splitlines()
    lines[0] = json.dumps(json.loads(lines[0]))[:-1] + f', "meta": {{"category": "advice", "n": {value}}}}}'
    path = tmp_path / "examples.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = build(tmp_path, "authored", path, out, authored=1)
    fails(result, out, built, f"{path}:1", message)


def test_any_other_complaint_of_libxml2_is_one_line_naming_the_table(tmp_path, out, built, monkeypatch):
    from types import SimpleNamespace

    from lxml import etree

    from lima_curate.sources import stackexchange_xml

    class Refusing:
        def __init__(self, **options):
            pass

        def feed(self, block):
            raise etree.LxmlError("internal error: Huge input lookup")

    fake = SimpleNamespace(XMLParser=Refusing, XMLSyntaxError=etree.XMLSyntaxError, LxmlError=etree.LxmlError)
    monkeypatch.setattr(stackexchange_xml, "etree", fake)
    folder = site_folder(tmp_path / "se", SITE, [question(10, TITLE), answer(11, 10)])
    result = build(tmp_path, "stackexchange", folder, out, se_stem=2, se_other=2)
    fails(result, out, built, str(folder / "Posts.xml"), "not readable XML (internal error: Huge input lookup)")
