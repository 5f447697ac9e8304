"""r/WritingPrompts from today's Reddit dumps: Arctic Shift's per-subreddit files (``r_X_posts.jsonl`` +
``r_X_comments.jsonl``, plain or zstd), its ``_meta`` deletion flag, ``pull writingprompts --from`` for them,
and ``why_empty``: the one line a build prints for a unit that gave nothing (a file of another subreddit,
half a pair, no story within bounds), on fixtures written here and on the real dumps in ../shared/real."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import orjson
import pytest
import zstandard
from conftest import ROOT, read_source, run_cli
from rich.console import Console

from lima_curate import reddit
from lima_curate.download import Fetcher
from lima_curate.lockfile import Lock
from lima_curate.pull.writingprompts import writingprompts_register
from lima_curate.sources import writingprompts as wp

REAL = ROOT.parent / "shared" / "real" / "pushshift"
STORY = " ".join(f"The lighthouse answered letter number {n}, in a hand that nobody in the village knew." for n in range(9))
EMPTY = {"skipped": {}, "dropped": {}, "unknown": {}, "excluded": {}}


def post(id: str, title: str, **extra) -> dict:
    """A submission as Arctic Shift's API and download tool write it (keys sorted, numbers as numbers)."""
    fields = {"created_utc": 1700000000, "id": id, "over_18": False, "permalink": f"/r/WritingPrompts/comments/{id}/x/"}
    fields |= {"score": 120, "selftext": "", "stickied": False, "subreddit": "WritingPrompts", "title": title}
    return dict(sorted((fields | extra).items()))


def comment(id: str, link: str, body: str, **extra) -> dict:
    fields = {"author": "writer", "body": body, "created_utc": 1700000500, "id": id, "link_id": f"t3_{link}"}
    fields |= {"parent_id": f"t3_{link}", "score": 40, "stickied": False, "subreddit": "WritingPrompts"}
    return dict(sorted((fields | extra).items()))


POSTS = [
    post("1a", "[WP] The lighthouse writes back."),
    post("1b", "[WP] The moon keeps a diary.", _meta={"was_deleted_later": True}),
    post("1c", "[IP] A picture of a boat."),
]
COMMENTS = [
    comment("c1", "1a", f"{STORY}\n\nEdit: thanks for the gold!"),
    comment("c2", "1a", "A reply, not a story.", parent_id="t1_c1"),
    comment("c3", "1a", STORY.replace("lighthouse", "harbour"), score=90, _meta={"was_deleted_later": True}),
    comment("c4", "1b", STORY),
]


def write_lines(path: Path, records: list[dict]) -> Path:
    data = b"".join(orjson.dumps(r) + b"\n" for r in records)
    if path.name.endswith(".zst"):
        params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31)
        buffer = io.BytesIO()
        with zstandard.ZstdCompressor(compression_params=params).stream_writer(buffer, closefd=False) as writer:
            writer.write(data)
        data = buffer.getvalue()
    path.write_bytes(data)
    return path


def arctic_pair(folder: Path, ext: str = ".jsonl", posts=POSTS, comments=COMMENTS) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return write_lines(folder / f"r_WritingPrompts_posts{ext}", posts), write_lines(
        folder / f"r_WritingPrompts_comments{ext}", comments
    )


def why(unit: Path, skipped: Counter | dict, **counts) -> str | None:
    return wp.why_empty(unit, {**EMPTY, "skipped": dict(skipped), **counts})


# -- Arctic Shift's files ------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".jsonl", ".jsonl.zst", ".zst", ".ndjson"])
def test_arctic_shift_pairs_are_one_unit_and_give_the_story_without_its_residue(tmp_path, ext):
    posts, comments = arctic_pair(tmp_path / "arctic", ext)
    assert wp.units(tmp_path / "arctic") == [posts]
    assert wp.units(comments) == [posts]  # either half names the pair
    assert wp.files(posts, None) == sorted([comments, posts])
    candidates, skipped = read_source(wp.NAME, posts)
    assert [(c.id, c.prompt, c.response) for c in candidates] == [("writingprompts/1a-c1", "The lighthouse writes back.", STORY)]
    assert candidates[0].meta["url"] == "https://www.reddit.com/r/WritingPrompts/comments/1a/x/c1/"
    assert candidates[0].meta["format"] == "arctic-shift" and candidates[0].meta["files"] == sorted([comments.name, posts.name])
    assert skipped["comment_deleted_later"] == 1 and skipped["submission_deleted_later"] == 1
    assert skipped["residue_edit_note"] == 1 and skipped["comment_reply"] == 1 and skipped["prompt_tag_not_kept"] == 1


def test_a_plain_jsonl_reads_like_its_zstd_copy(tmp_path):
    plain = arctic_pair(tmp_path / "plain")[0]
    packed = arctic_pair(tmp_path / "packed", ".jsonl.zst")[0]
    assert [line for _, line in reddit.zst_lines(plain)] == [line for _, line in reddit.zst_lines(packed)]
    assert [c.response for c in read_source(wp.NAME, plain)[0]] == [c.response for c in read_source(wp.NAME, packed)[0]]


def test_a_bad_line_in_a_jsonl_names_the_file_and_line(tmp_path):
    posts, _ = arctic_pair(tmp_path)
    posts.write_bytes(posts.read_bytes() + b"{not json\n")
    with pytest.raises(Exception, match=r"r_WritingPrompts_posts\.jsonl:4: not valid JSON"):
        read_source(wp.NAME, posts)


def test_names_pair_by_kind_and_extension(tmp_path):
    assert reddit.per_subreddit(tmp_path / "r_WritingPrompts_posts.jsonl") == ("r_WritingPrompts", "posts", ".jsonl")
    assert reddit.per_subreddit(tmp_path / "WritingPrompts_submissions.zst") == ("WritingPrompts", "submissions", ".zst")
    assert reddit.per_subreddit(tmp_path / "notes_posts.txt") is None and reddit.per_subreddit(tmp_path / "x_posts") is None
    assert reddit.submissions_file(tmp_path / "r_X_comments.jsonl") == tmp_path / "r_X_posts.jsonl"
    assert reddit.submissions_file(tmp_path / "X_comments.zst") == tmp_path / "X_submissions.zst"
    assert reddit.comments_file(tmp_path / "r_X_posts.jsonl.zst") == tmp_path / "r_X_comments.jsonl.zst"
    (tmp_path / "r_X_posts.zst").write_bytes(b"")
    assert reddit.submissions_file(tmp_path / "r_X_comments.zst") == tmp_path / "r_X_posts.zst"  # whichever exists


def test_pull_registers_arctic_shift_files_from_a_folder(tmp_path):
    arctic_pair(tmp_path / "downloads")
    (tmp_path / "downloads" / "notes.txt").write_text("ignored")
    data = tmp_path / "data"
    with Fetcher(offline=True, console=Console(file=io.StringIO())) as fetcher:
        outcomes = writingprompts_register(tmp_path / "downloads", data, fetcher, Lock(data))
    assert [o.path for o in outcomes] == [
        "writingprompts/r_WritingPrompts_comments.jsonl",
        "writingprompts/r_WritingPrompts_posts.jsonl",
    ]
    assert wp.units(data / "writingprompts") == [data / "writingprompts" / "r_WritingPrompts_posts.jsonl"]


def test_pull_explains_arctic_shift_and_the_takedown():
    result = run_cli("pull", "writingprompts", "--pushshift")
    assert result.exit_code == 0
    out = " ".join(result.stdout.split())
    assert "taken down in 2026" in out and "https://github.com/Watchful1/PushshiftDumps/issues/30" in out
    assert "https://arctic-shift.photon-reddit.com/download-tool" in out and "r_WritingPrompts_posts.jsonl" in out


# -- why a unit gave nothing ----------------------------------------------------------------------------


def test_a_file_of_another_subreddit_is_named_with_what_it_held(tmp_path):
    other = [post(f"a{n}", "Where do you buy shoes?", subreddit="AskWomen") for n in range(5)]
    path = write_lines(tmp_path / "AskWomen_submissions.zst", other + [post("b1", "Huh", subreddit="AskMen")])
    _, skipped = read_source(wp.NAME, path)
    assert skipped == Counter({"other_subreddit": 6, "other_subreddit:r/AskWomen": 5})
    assert why(path, skipped) == (
        f"no r/WritingPrompts records in {path} (6 records of other subreddits, 5 of them r/AskWomen): pass "
        "r/WritingPrompts's own files (WritingPrompts_submissions.zst + _comments.zst, or Arctic Shift's "
        "r_WritingPrompts_posts.jsonl + _comments.jsonl), or set [writingprompts] subreddit in the recipe"
    )


@pytest.mark.real
def test_real_askwomen_extract_is_named_with_its_subreddit():
    path = REAL / "AskWomen_submissions.zst"
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    _, skipped = read_source(wp.NAME, path)
    assert why(path, skipped).startswith(
        f"no r/WritingPrompts records in {path} (8,271 records of r/AskWomen): pass r/WritingPrompts's own files"
    )


@pytest.mark.real
def test_real_monthly_dump_without_the_subreddit_says_so():
    path = REAL / "RC_2005-12.zst"
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    _, skipped = read_source(wp.NAME, path)
    assert why(path, skipped).startswith(
        f"no r/WritingPrompts records in {path} (1,075 records of other subreddits): this month holds none of r/WritingPrompts"
    )


@pytest.mark.real
def test_a_build_of_the_real_other_subreddit_dumps_names_each_on_the_console(tmp_path):
    paths = [REAL / "AskWomen_submissions.zst", REAL / "RC_2005-12.zst"]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"{REAL} is not available")
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(
        f'schema = 2\nextends = "{ROOT / "filters" / "lima.toml"}"\nname = "t"\nversion = "0.0.1"\n'
        "[quotas]\nse_stem = 0\nse_other = 0\nwikihow = 0\nwritingprompts = 2\nsuperni = 0\nauthored = 0\n"
    )
    inputs = [arg for p in paths for arg in ("--input", f"writingprompts={p}")]
    result = run_cli(
        "build", "--recipe", str(recipe), *inputs, "--out", str(tmp_path / "out"), "--no-cache", "-j", "1", "--allow-short"
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert f"no r/WritingPrompts records in {paths[0]} (8,271 records of r/AskWomen)" in said
    assert f"no r/WritingPrompts records in {paths[1]} (1,075 records of other subreddits)" in said


def test_half_a_pair_says_which_half_is_missing(tmp_path):
    posts, comments = arctic_pair(tmp_path)
    posts.unlink()
    _, skipped = read_source(wp.NAME, comments)
    assert why(comments, skipped) == (
        f"{comments} is a comments file without its submissions file (r_WritingPrompts_posts.jsonl beside it): its stories "
        "have no prompts to join; put both halves of the pair in one folder"
    )
    posts, comments = arctic_pair(tmp_path / "b")
    comments.unlink()
    _, skipped = read_source(wp.NAME, posts)
    assert why(posts, skipped) == (
        f"no comments file r_WritingPrompts_comments.jsonl beside {posts}: its 1 prompts have no stories; "
        "put both halves of the pair in one folder"
    )


def test_stories_outside_the_bounds_point_at_the_bounds(tmp_path):
    posts, _ = arctic_pair(tmp_path, comments=[comment("c9", "1a", "Too short to be a story.")])
    _, skipped = read_source(wp.NAME, posts)
    assert why(posts, skipped) == (
        f"no story in {posts} fits the recipe's bounds (story_too_short 1): widen [writingprompts] "
        "min_story_chars / max_story_chars (or min_story_score)"
    )


def test_untagged_titles_empty_files_filters_and_groups_each_have_their_line(tmp_path):
    posts, _ = arctic_pair(tmp_path, posts=[post("1a", "Just a question?")])
    _, skipped = read_source(wp.NAME, posts)
    assert why(posts, skipped).startswith(f"no post of {posts} is a story prompt (prompt_untagged 1): is it r/WritingPrompts?")
    empty = tmp_path / "empty.csv"
    empty.write_text("row_id,prompt,story\n")
    assert (
        why(empty, Counter())
        == f"{empty} holds no records: pass the r/WritingPrompts files (or check that the download finished)"
    )
    assert why(empty, {"story_prompt_answered": 1}, dropped={"writingprompts/x": 2}).startswith(
        f"every story of {empty} was dropped by the filters (writingprompts/x 2)"
    )
    assert why(empty, {}, excluded={"EU": 3}).startswith(
        f"every story of {empty} is of a prompt type the recipe leaves out (EU 3)"
    )
    assert wp.why_empty(empty, {**EMPTY, "survivors": 3}) is None


def test_the_subreddit_named_is_the_recipes(tmp_path):
    path = write_lines(tmp_path / "AskWomen_submissions.zst", [post("a1", "Hi", subreddit="AskWomen")])
    settings = wp.Settings(subreddit="AskHistorians")
    assert wp.why_empty(path, {**EMPTY, "skipped": {"other_subreddit": 1, "other_subreddit:r/AskWomen": 1}}, settings).startswith(
        f"no r/AskHistorians records in {path} (1 records of r/AskWomen)"
    )
