"""``pull writingprompts``: the Fan et al. 2018 archive over HTTP; Reddit dumps (Arctic Shift's download
tool or monthly dumps, Pushshift copies a user already holds) are fetched by the user and registered with
``--from``: the per-subreddit Pushshift torrents were taken down in 2026."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Callable

from ..download import Fetcher
from ..lockfile import Lock
from .archives import ARCHIVES, Entry, archive_name, pull_archive
from .local import Outcome, local_files, register

FAN_URL = "https://dl.fbaipublicfiles.com/fairseq/data/writingPrompts.tar.gz"
PUSHSHIFT_TORRENT = "https://academictorrents.com/details/56aa49f9653ba545f48df2e33679f014d2829c10"
TAKEDOWN = "https://github.com/Watchful1/PushshiftDumps/issues/30"
ARCTIC_SHIFT = "https://github.com/ArthurHeitmann/arctic_shift"
ARCTIC_SHIFT_TOOL = "https://arctic-shift.photon-reddit.com/download-tool"
WP_SUFFIXES = (".wp_source", ".wp_target")
DUMP_PATTERNS = ("*.zst", "*.jsonl", "*.ndjson", "*.wp_source", "*.wp_target", "*.csv")

PUSHSHIFT_HELP = f"""\
Reddit dumps are not served over HTTP, so `pull` cannot fetch them: get them yourself, then register them.
The per-subreddit Pushshift torrents (WritingPrompts_submissions.zst / _comments.zst in
{PUSHSHIFT_TORRENT}) were taken down in 2026 ({TAKEDOWN});
copies you already hold still read. Arctic Shift ({ARCTIC_SHIFT}) is the remaining public route:
  - its download tool, {ARCTIC_SHIFT_TOOL} (Chrome, Edge or Opera): type
    WritingPrompts after r/, keep posts and comments, and save r_WritingPrompts_posts.jsonl and
    r_WritingPrompts_comments.jsonl (plain NDJSON; a date range makes them smaller);
  - or its monthly dumps RS_YYYY-MM.zst / RC_YYYY-MM.zst (torrents listed in its download_links.md),
    which are filtered to r/WritingPrompts as they are read.
Then register them (a file or the folder holding them):
  lima-curate pull writingprompts --from PATH/TO/r_WritingPrompts_posts.jsonl
  lima-curate pull writingprompts --from PATH/TO/r_WritingPrompts_comments.jsonl
They are linked (or copied) into DATA/writingprompts/ and recorded in the lock file. Fan et al.'s archive
(stories without scores) needs none of this: `lima-curate pull writingprompts` fetches it over HTTP."""


def fan_chooser(entries: list[Entry]) -> Callable[[str], str | None]:
    """Keep the ``{train,valid,test}.wp_{source,target}`` files, side by side in ``writingprompts/``."""

    def choose(name: str) -> str | None:
        return PurePosixPath(name).name if name.endswith(WP_SUFFIXES) else None

    return choose


def pull_writingprompts(data_dir: Path, fetcher: Fetcher, lock: Lock, url: str = FAN_URL) -> list[Outcome]:
    """Fetch the Fan et al. archive (or a copy at ``url``) and extract its prompt and story files."""
    archive = data_dir / ARCHIVES / "writingprompts" / archive_name(url, "writingPrompts.tar.gz")
    return pull_archive("writingprompts", url, archive, fan_chooser, data_dir, fetcher, lock)


def writingprompts_register(path: Path, data_dir: Path, fetcher: Fetcher, lock: Lock) -> list[Outcome]:
    """``--from``: the Fan et al. archive (extracted), or Reddit dump (``.zst``, Arctic Shift's ``.jsonl``), Fan
    or CSV files (linked)."""
    path = Path(path)
    if path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar")):
        return pull_archive("writingprompts", None, path, fan_chooser, data_dir, fetcher, lock)
    files = local_files(path, DUMP_PATTERNS, "Reddit .zst / .jsonl dumps or WritingPrompts files")
    return register([(f, f"writingprompts/{f.name}") for f in files], "writingprompts", lock, fetcher.note)
