"""``lima-curate pull``: put each source's raw files into the data directory, and record them.

Every later step reads local files only, so this is the one place that touches the network. Each
source lands where ``build --input SOURCE=<data-dir>/SOURCE`` expects it (docs/pull.md has the
paths), and every file is recorded in ``<data-dir>/lima-curate.lock.json`` (``..lockfile``) with
where it came from, its size and its sha256, so that a build can name the URL of every input it read.

A second pull of a complete file does nothing; ``--from PATH`` registers files the user already has
(a torrent, a copy from another machine) instead of downloading them; archives are extracted only
when none of their entries could land outside the data directory.

The package is cut along those seams: ``local`` (the data directory, ``--from``, outcomes),
``archives`` (list, check, extract, pull one), ``plain`` (plain files fetched from a plan), and one
planner per source (``stackexchange``: today's per-site dumps behind a login, their pages, checksum
lists and releases; ``wikihow``, ``superni``, ``writingprompts``). The names
imported below are its public API, the ones the command line calls.
"""

from __future__ import annotations

from ..lockfile import LOCK_NAME, Lock
from .local import Outcome, default_data_dir
from .plain import Planned, fetch_planned
from .stackexchange import Checksums, expand_sites, known_sites, login_lines, read_checksums, se_plan, se_register
from .superni import pull_superni, superni_register
from .wikihow import category_articles, pull_wikihow, read_titles, wikihow_register
from .writingprompts import PUSHSHIFT_HELP, pull_writingprompts, writingprompts_register

__all__ = [
    "LOCK_NAME",
    "Lock",
    "Outcome",
    "Planned",
    "default_data_dir",
    "fetch_planned",
    "known_sites",
    "Checksums",
    "expand_sites",
    "login_lines",
    "read_checksums",
    "se_plan",
    "se_register",
    "category_articles",
    "pull_wikihow",
    "read_titles",
    "wikihow_register",
    "pull_superni",
    "superni_register",
    "PUSHSHIFT_HELP",
    "pull_writingprompts",
    "writingprompts_register",
]
