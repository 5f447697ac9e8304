"""``lima-curate pull SOURCE``: one sub-command per source that fetches (or registers) its raw files.

Each command turns its options into calls of ``lima_curate.pull``'s planners and fetchers, then
``render.print_pulled`` shows what happened; the lock file, archives and checks live in ``pull``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from .cli_options import fails_cleanly
from .render import console, errors, print_pulled, print_sites

pull_app = typer.Typer(
    help="Fetch a source's raw files into the data directory: resumable, checked, recorded in "
    "lima-curate.lock.json (docs/pull.md). Every source takes --from PATH instead of a download.",
    no_args_is_help=True,
)


def data_dir_option() -> Any:
    """--data-dir, the folder every pull writes under (one folder per source, and the lock file)."""
    return typer.Option(None, "--data-dir", "-d", help="Where files go. Default: $LIMA_DATA, else ./data.", show_default=False)


def from_option(what: str) -> Any:
    """--from PATH: files the user already has, registered in the lock file instead of downloaded."""
    return typer.Option(None, "--from", help=f"Register local files instead of downloading: {what}.")


def offline_option() -> Any:
    """--offline: a pull that would need the network fails before its first request."""
    return typer.Option(False, "--offline", help="Fail before any network use (also LIMA_OFFLINE=1).")


def retries_option() -> Any:
    """--retries: how often one request is tried before the pull fails."""
    return typer.Option(6, "--retries", min=1, help="Tries per request (backoff 1 s, doubling, up to 60 s).")


def size_value(text: str | None) -> int | None:
    """A size option's value (``512M``, ``8G``, bytes) as bytes; a bad one is Typer's usage error."""
    from .download import parse_size

    if text is None:
        return None
    try:
        return parse_size(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def max_size_option() -> Any:
    """--max-size: where a download whose size nobody published or announced is stopped."""
    return typer.Option(
        None,
        "--max-size",
        callback=size_value,
        metavar="SIZE",
        help="Stop a download with no published or announced size here (default 8G; e.g. 500M, 20G).",
    )


def max_extracted_option() -> Any:
    """--max-extracted: the most one archive may extract in all."""
    return typer.Option(
        None, "--max-extracted", callback=size_value, metavar="SIZE", help="Most bytes one archive may extract (default 64G)."
    )


def max_ratio_option() -> Any:
    """--max-ratio: extracted bytes per archive byte beyond which an archive is refused as a bomb."""
    return typer.Option(
        200.0, "--max-ratio", min=1.0, help="Refuse an archive expanding more than this many times (zip and tar bombs)."
    )


def pull_fetcher(
    offline: bool,
    retries: int,
    delay: float = 0.0,
    max_size: int | None = None,
    max_extracted: int | None = None,
    max_ratio: float | None = None,
):
    """The downloader a pull uses: retries with backoff, an optional delay between requests,
    offline when asked (or LIMA_OFFLINE=1), progress on stderr, and its caps."""
    from .download import MAX_BYTES, MAX_EXTRACTED, MAX_RATIO, Fetcher, Limits, offline_requested

    limits = Limits(
        attempts=retries,
        delay=delay,
        max_bytes=max_size or MAX_BYTES,
        max_extracted=max_extracted or MAX_EXTRACTED,
        max_ratio=max_ratio or MAX_RATIO,
    )
    return Fetcher(limits, offline=offline_requested(offline), console=errors)


@pull_app.command(
    "stackexchange",
    help="Stack Exchange dumps: since 2024 each site's archive sits behind a login on its data-dump page, so "
    "this says where (one line per site), then registers what you downloaded (--from FOLDER); --item fetches "
    "a copy on the Internet Archive, --mirror one of your own.",
)
@fails_cleanly
def pull_stackexchange(
    site: list[str] = typer.Option(
        [], "--site", "-s", help="A dump's site name, e.g. cooking.stackexchange.com; repeat for several."
    ),
    all_sites: bool = typer.Option(False, "--all", help="Every site in the site list that is not excluded (asks first)."),
    list_sites: bool = typer.Option(False, "--list", help="Show the known sites with their STEM / Other / excluded class."),
    meta: bool = typer.Option(False, "--meta", help="Each site's meta archive too (the recipe excludes meta sites)."),
    item: str | None = typer.Option(
        None,
        help="Fetch from this Internet Archive item: stackexchange (the last official upload, 2024-04) or a "
        "community copy such as stackexchange_20240930.",
    ),
    mirror: str | None = typer.Option(
        None, help="Base URL of another copy serving SITE.7z (no checksums: what arrives is recorded)."
    ),
    archive_org: str = typer.Option("https://archive.org", help="The Internet Archive (a mirror of it, or a test server)."),
    checksums: str | None = typer.Option(
        None,
        metavar="FILE|URL",
        help="sha256 per archive and release (LunarWatcher/se-data-dump-transformer's docs/meta/Hashes.md, or a "
        "sha256sum list): each archive must match, and its release is recorded.",
    ),
    release: str | None = typer.Option(
        None, help="The release the archives must belong to, e.g. 2025-06-30-rev2 (with --checksums)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before an --all download."),
    from_path: Path | None = from_option("a site .7z, a site folder with Posts.xml, or a folder of them"),
    data_dir: Path | None = data_dir_option(),
    offline: bool = offline_option(),
    retries: int = retries_option(),
    max_size: str | None = max_size_option(),
) -> None:
    """Sites by name, every site of the site list (--all, asked first), the list itself (--list), or local files."""
    from .pull import (
        Lock,
        default_data_dir,
        expand_sites,
        fetch_planned,
        known_sites,
        login_lines,
        read_checksums,
        se_plan,
        se_register,
    )
    from .pull.stackexchange import archive_here, note_planted, release_name, releases_fetched

    data_dir = data_dir or default_data_dir()
    if list_sites:
        lock = Lock(data_dir)
        rows = []
        for name, kind in known_sites().items():
            rows.append((name, kind, archive_here(lock, name) or f"{name}.7z", archive_here(lock, name) is not None))
        print_sites(rows)
        return
    wanted_release = release_name(release) if release else None
    if release and not checksums:
        raise typer.BadParameter("--release needs --checksums FILE|URL (the list that says which archives it has)")
    sites = list(site) + ([name for name, kind in known_sites().items() if kind != "excluded"] if all_sites else [])
    with pull_fetcher(offline, retries, max_size=max_size) as fetcher:  # type: ignore[arg-type]
        sums = read_checksums(checksums, fetcher) if checksums else None
        if from_path is not None:
            outcomes = se_register(from_path, Lock(data_dir), errors.print, sites or None, meta, sums, wanted_release)
            print_pulled(outcomes, data_dir, "stackexchange")
            return
        if not sites:
            raise typer.BadParameter("name a --site (or pass --all, --list or --from PATH)")
        wanted, skipped = expand_sites(sites, meta)
        if skipped:
            errors.print(
                f"[yellow]note:[/] left out {len(skipped)} meta site(s) ({', '.join(skipped[:3])}"
                f"{', ...' if len(skipped) > 3 else ''}): the recipe excludes meta sites; --meta takes them too"
            )
        lock = Lock(data_dir)
        if item is None and mirror is None:
            todo = [s for s in wanted if archive_here(lock, s) is None]
            if not todo:
                errors.print("every archive asked for is already complete")
                return
            console.print("\n".join(login_lines(todo)), highlight=False, markup=False, soft_wrap=True)
            console.print(
                f"then: lima-curate pull stackexchange --from DOWNLOADS_FOLDER{' --meta' if meta else ''}"
                " (or --item stackexchange_YYYYMMDD for a community copy on the Internet Archive)",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            errors.print(f"{len(todo)} site archive(s) need a login to download: nothing was fetched")
            raise typer.Exit(1)
        plan = se_plan(
            wanted,
            data_dir,
            fetcher,
            lock,
            item=item or "stackexchange",
            mirror=mirror,
            archive_org=archive_org,
            checksums=sums,
            release=wanted_release,
        )
        if all_sites and not yes:
            todo_plan = [p for p in plan if not p.done]
            known = [p.expected.size for p in todo_plan if p.expected.size is not None]
            total = f"{sum(known) / 1e9:,.1f} GB" if len(known) == len(todo_plan) else "sizes unknown (a mirror publishes none)"
            console.print(f"{len(todo_plan)} of {len(plan)} site archives to fetch, {total}, into {data_dir / 'stackexchange'}")
            typer.confirm("Fetch them?", abort=True, err=True)
        outcomes = fetch_planned(plan, "stackexchange", data_dir, fetcher, lock)
        note_planted(releases_fetched(plan, lock, sums, wanted_release), errors.print)
    print_pulled(outcomes, data_dir, "stackexchange")


@pull_app.command("wikihow")
@fails_cleanly
def pull_wikihow(
    titles: Path | None = typer.Option(None, help="A file with one article title or URL a line."),
    category: str | None = typer.Option(
        None, help='A category, e.g. "Food and Entertaining": its articles, then its subcategories\'.'
    ),
    limit: int = typer.Option(200, min=1, help="How many articles to take from --category."),
    delay: float = typer.Option(1.0, min=0.0, help="Seconds between requests (robots.txt may ask for more)."),
    base_url: str = typer.Option("https://www.wikihow.com", help="The site (a mirror, or a test server)."),
    from_path: Path | None = from_option("saved pages (*.html) or the wikiHow CSV, or a folder of them"),
    data_dir: Path | None = data_dir_option(),
    offline: bool = offline_option(),
    retries: int = retries_option(),
    max_size: str | None = max_size_option(),
) -> None:
    """wikiHow article pages, one file each, stored as served; polite (user agent, delay, robots.txt)."""
    from .pull import Lock, category_articles, default_data_dir, read_titles, wikihow_register
    from .pull import pull_wikihow as fetch_pages

    data_dir = data_dir or default_data_dir()
    if from_path is not None:
        print_pulled(wikihow_register(from_path, Lock(data_dir), errors.print), data_dir, "wikihow")
        return
    if (titles is None) == (category is None):
        raise typer.BadParameter("pass either --titles FILE or --category NAME (or --from PATH)")
    with pull_fetcher(offline, retries, delay, max_size=max_size) as fetcher:  # type: ignore[arg-type]
        robots: dict = {}
        if titles is not None:
            urls = read_titles(titles, base_url)
        else:
            urls = category_articles(fetcher, category, limit, base_url, robots)
        outcomes = fetch_pages(urls, data_dir, fetcher, Lock(data_dir), str(titles or category), robots)
    print_pulled(outcomes, data_dir, "wikihow")


@pull_app.command("superni")
@fails_cleanly
def pull_superni(
    ref: str = typer.Option(
        "master", help="Branch, tag or commit of allenai/natural-instructions (pin a commit for a stable source)."
    ),
    url: str | None = typer.Option(None, help="The repository zip from a mirror instead of GitHub."),
    from_path: Path | None = from_option("the repository zip, or a checkout folder with tasks/ and splits/"),
    data_dir: Path | None = data_dir_option(),
    offline: bool = offline_option(),
    retries: int = retries_option(),
    max_size: str | None = max_size_option(),
    max_extracted: str | None = max_extracted_option(),
    max_ratio: float = max_ratio_option(),
) -> None:
    """Super-NaturalInstructions: the repository archive, keeping only tasks/ and splits/."""
    from .pull import Lock, default_data_dir, superni_register
    from .pull import pull_superni as fetch_superni

    data_dir = data_dir or default_data_dir()
    with pull_fetcher(offline, retries, 0.0, max_size, max_extracted, max_ratio) as fetcher:  # type: ignore[arg-type]
        if from_path is not None:
            outcomes = superni_register(from_path, data_dir, fetcher, Lock(data_dir))
        else:
            outcomes = fetch_superni(data_dir, fetcher, Lock(data_dir), ref=ref, url=url)
    print_pulled(outcomes, data_dir, "superni")


@pull_app.command("writingprompts")
@fails_cleanly
def pull_writingprompts(
    url: str = typer.Option(
        "https://dl.fbaipublicfiles.com/fairseq/data/writingPrompts.tar.gz", help="The Fan et al. 2018 archive."
    ),
    pushshift: bool = typer.Option(
        False,
        "--pushshift",
        help="Explain where to get r/WritingPrompts dumps (Arctic Shift; the Pushshift torrents were taken down in 2026), then exit.",
    ),
    from_path: Path | None = from_option(
        "the Fan archive, Reddit .zst/.jsonl dumps, .wp_source/.wp_target or .csv files, or a folder"
    ),
    data_dir: Path | None = data_dir_option(),
    offline: bool = offline_option(),
    retries: int = retries_option(),
    max_size: str | None = max_size_option(),
    max_extracted: str | None = max_extracted_option(),
    max_ratio: float = max_ratio_option(),
) -> None:
    """r/WritingPrompts: the Fan et al. 2018 archive; Reddit dumps (Arctic Shift, Pushshift copies) via --from."""
    from .pull import PUSHSHIFT_HELP, Lock, default_data_dir, writingprompts_register
    from .pull import pull_writingprompts as fetch_fan

    if pushshift:
        console.print(PUSHSHIFT_HELP, highlight=False, markup=False, soft_wrap=True)
        return
    data_dir = data_dir or default_data_dir()
    with pull_fetcher(offline, retries, 0.0, max_size, max_extracted, max_ratio) as fetcher:  # type: ignore[arg-type]
        if from_path is not None:
            outcomes = writingprompts_register(from_path, data_dir, fetcher, Lock(data_dir))
        else:
            outcomes = fetch_fan(data_dir, fetcher, Lock(data_dir), url=url)
    print_pulled(outcomes, data_dir, "writingprompts")
