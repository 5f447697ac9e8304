"""``pull writingprompts``: the Fan et al. 2018 archive over HTTP; Pushshift's Reddit dumps travel by
BitTorrent only, so the user fetches those and registers them with ``--from``."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Callable

from ..download import Fetcher
from ..lockfile import Lock
from .archives import ARCHIVES, Entry, archive_name, pull_archive
from .local import Outcome, local_files, register

FAN_URL = "https://dl.fbaipublicfiles.com/fairseq/data/writingPrompts.tar.gz"
PUSHSHIFT_TORRENT = "https://academictorrents.com/details/56aa49f9653ba545f48df2e33679f014d2829c10"
WP_SUFFIXES = (".wp_source", ".wp_target")

PUSHSHIFT_HELP = f"""\
Pushshift's Reddit dumps are distributed by BitTorrent, not over HTTP, so `pull` cannot fetch them.
Get the per-subreddit files for r/WritingPrompts (WritingPrompts_submissions.zst and
WritingPrompts_comments.zst) from the "Subreddit comments/submissions 2005-06 to 2023-12" torrent:
  {PUSHSHIFT_TORRENT}
(a client can fetch just those two files; https://github.com/Watchful1/PushshiftDumps lists newer
torrents, including the monthly RS_YYYY-MM.zst / RC_YYYY-MM.zst dumps), then register them:
  lima-curate pull writingprompts --from PATH/TO/WritingPrompts_submissions.zst
  lima-curate pull writingprompts --from PATH/TO/WritingPrompts_comments.zst
They are linked (or copied) into DATA/writingprompts/ and recorded in the lock file."""


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
    """``--from``: the Fan et al. archive (extracted), or Pushshift ``.zst`` / Fan / CSV files (linked)."""
    path = Path(path)
    if path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar")):
        return pull_archive("writingprompts", None, path, fan_chooser, data_dir, fetcher, lock)
    files = local_files(path, ("*.zst", "*.wp_source", "*.wp_target", "*.csv"), "Pushshift .zst or WritingPrompts files")
    return register([(f, f"writingprompts/{f.name}") for f in files], "writingprompts", lock, fetcher.note)
