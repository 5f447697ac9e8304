"""``pull stackexchange``: the per-site dump archives from the Internet Archive (checked against the
item's published sizes and hashes), a mirror of them, or the user's own copies (``--from``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from ..download import Expected, Fetcher
from ..errors import InputError
from ..lockfile import Lock
from .local import Outcome, register
from .plain import Planned

ARCHIVE_ORG = "https://archive.org"
SE_ITEM = "stackexchange"
SE_LOGIN_NOTE = (
    "Stack Exchange dumps up to 2024 are on the Internet Archive (item `stackexchange` and dated items "
    "such as `stackexchange_20240930`); since 2025 new dumps are only on each site's data-dump page "
    "behind an account login, so download those yourself and pass --from PATH, or point --mirror at a copy."
)
SITE_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*\.[a-z]+")


def default_site_list() -> Path:
    """``filters/stackexchange_sites.toml`` in the working folder, else the one shipped with the code."""
    here = Path("filters/stackexchange_sites.toml")
    shipped = Path(__file__).resolve().parents[2] / "filters" / "stackexchange_sites.toml"
    return here if here.is_file() or not shipped.is_file() else shipped


def known_sites(site_list: Path | None = None) -> dict[str, str]:
    """Site -> stem / other / excluded, from the site list the recipes use."""
    from ..recipe import read_site_list

    return read_site_list(site_list or default_site_list())["sites"]


def se_archive_name(site: str) -> str:
    """The dump's file for a site; Stack Overflow's is split per table and only Posts is read."""
    return "stackoverflow.com-Posts.7z" if site == "stackoverflow.com" else f"{site}.7z"


def se_published(fetcher: Fetcher, archive_org: str, item: str) -> dict[str, Expected]:
    """Size, md5 and sha1 of every file of an Internet Archive item, from its ``<item>_files.xml``."""
    from lxml import etree

    url = f"{archive_org.rstrip('/')}/download/{item}/{item}_files.xml"
    _, body = fetcher.get(url)
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise InputError(url, f"not a readable file list ({error.msg})") from None
    published = {}
    for node in root.iter("file"):
        size = (node.findtext("size") or "").strip()
        hashes = {name: (node.findtext(name) or "").strip().lower() for name in ("md5", "sha1")}
        published[node.get("name", "")] = Expected(
            size=int(size) if size.isdigit() else None, hashes={k: v for k, v in hashes.items() if v}, origin=url
        )
    return published


def se_plan(
    sites: list[str],
    data_dir: Path,
    fetcher: Fetcher,
    lock: Lock,
    item: str = SE_ITEM,
    mirror: str | None = None,
    archive_org: str = ARCHIVE_ORG,
) -> list[Planned]:
    """What ``pull stackexchange`` would fetch; reads the item's checksums only when something is missing."""
    for site in sites:
        if not SITE_NAME.fullmatch(site):
            raise InputError(f"--site {site}", "not a site name like cooking.stackexchange.com")
    names = [(site, se_archive_name(site)) for site in sorted(set(sites))]
    missing = [name for _, name in names if not lock.complete(f"stackexchange/{name}")]
    published: dict[str, Expected] = {}
    if missing and mirror is None:
        published = se_published(fetcher, archive_org, item)
        absent = [name for name in missing if name not in published]
        if absent:
            hint = f"try another --item or --mirror; {SE_LOGIN_NOTE}"
            raise InputError(f"{archive_org}/details/{item}", f"has no {absent[0]} ({hint})")
    base = mirror.rstrip("/") if mirror else f"{archive_org.rstrip('/')}/download/{item}"
    return [
        Planned(f"stackexchange/{name}", f"{base}/{quote(name)}", published.get(name, Expected()), done=name not in missing)
        for _, name in names
    ]


def se_register(path: Path, lock: Lock, note: Callable[[str], None]) -> list[Outcome]:
    """``--from``: site archives (``*.7z``) or site folders holding ``Posts.xml``."""
    path = Path(path)
    if path.is_dir() and (path / "Posts.xml").is_file():
        tables = [(f, f"stackexchange/{path.name}/{f.name}") for f in sorted(path.glob("*.xml"))]
        return register(tables, "stackexchange", lock, note)
    if path.is_dir():
        folders = sorted(p for p in path.iterdir() if p.is_dir() and (p / "Posts.xml").is_file())
        files = [(f, f"stackexchange/{f.name}") for f in sorted(path.glob("*.7z"))]
        files += [(f, f"stackexchange/{d.name}/{f.name}") for d in folders for f in sorted(d.glob("*.xml"))]
        if not files:
            raise InputError(path, "no site archive (*.7z) or site folder with Posts.xml here")
        return register(files, "stackexchange", lock, note)
    if path.suffix != ".7z":
        raise InputError(path, "expected a site archive (*.7z), a site folder with Posts.xml, or a folder of them")
    return register([(path, f"stackexchange/{path.name}")], "stackexchange", lock, note)
