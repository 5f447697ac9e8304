"""``pull stackexchange``: the per-site dump archives in the layout Stack Exchange publishes today.

Since July 2024 each site's archive comes from ``https://HOST/users/data-dump-access/current`` after
logging in and accepting the terms: a main and a meta archive per site (181 of each per release),
Stack Overflow as one ``stackoverflow.com.7z`` of every table, quarterly releases with dated
revisions (``2025-06-30 rev2``). No tool can fetch those, so ``pull`` says where each one is
(:func:`login_lines`), then registers the downloaded archives (``--from``), each checked for its
name, the 7z headers and, given a checksum list (:class:`Checksums`), its sha256 and the release it
belongs to. Community copies on the Internet Archive (item ``stackexchange``, the last official
upload, 2024-04, and dated items such as ``stackexchange_20240930``) and a mirror are fetched as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from ..download import Expected, Fetcher
from ..errors import InputError
from ..lockfile import Lock
from ..shipped import shipped_file
from .archives import seven_zip_problem
from .local import Outcome, register
from .plain import Planned

ARCHIVE_ORG = "https://archive.org"
SE_ITEM = "stackexchange"  # the last official upload to the Internet Archive (the 2024-04 dump)
SITE_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*\.[a-z]+")
SPLIT_TABLE = re.compile(r"stackoverflow\.com-[A-Za-z]+\.7z")  # the dumps before 2024-06 split Stack Overflow per table
# A dump keeps a renamed site's old name; its data-dump page is on the new host. From
# LunarWatcher/se-data-dump-transformer, sedd/data/files_map.py (checked 2026-12).
RENAMED = {
    "beer.stackexchange.com": "alcohol.stackexchange.com",
    "materials.stackexchange.com": "mattermodeling.stackexchange.com",
    "moderators.stackexchange.com": "communitybuilding.stackexchange.com",
    "health.stackexchange.com": "medicalsciences.stackexchange.com",
    "cogsci.stackexchange.com": "psychology.stackexchange.com",
    "writers.stackexchange.com": "writing.stackexchange.com",
    "avp.stackexchange.com": "video.stackexchange.com",
}
NO_META = frozenset({"stackapps.com", "meta.stackexchange.com"})  # the two sites without a meta of their own
# Fake posts Stack Exchange planted in Posts.xml, by release: LunarWatcher/se-data-dump-transformer,
# docs/meta/Known watermarks.md ("v1 watermarks: 2025-06-30 to 2025-06-30", both revisions; none before,
# none reported since). The recipe's [stackexchange] drop_post_ids drops them.
PLANTED = {"2025-06-30 rev1": (1000000001, 1000000010), "2025-06-30 rev2": (1000000001, 1000000010)}
RELEASE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ _-]?(rev\d+))?", re.IGNORECASE)


def default_site_list() -> Path:
    """``filters/stackexchange_sites.toml`` in the working folder, else the one shipped with the code."""
    here = Path("filters/stackexchange_sites.toml")
    shipped = shipped_file("stackexchange_sites.toml")
    return here if here.is_file() or shipped is None else shipped


def known_sites(site_list: Path | None = None) -> dict[str, str]:
    """Site -> stem / other / excluded, from the site list the recipes use."""
    from ..recipe import read_site_list

    return read_site_list(site_list or default_site_list())["sites"]


# -- sites, their meta sites and their pages ---------------------------------------------------------


def is_meta(site: str) -> bool:
    """A meta site's dump: ``meta.stackoverflow.com``, ``cooking.meta.stackexchange.com``, ``es.meta.stackoverflow.com``."""
    return site.startswith("meta.") or ".meta." in site


def meta_site(site: str) -> str | None:
    """The dump name of a main site's meta (``cooking.meta.stackexchange.com``, ``meta.askubuntu.com``,
    ``es.meta.stackoverflow.com``), or None for a meta site and the two sites that have none."""
    if is_meta(site) or site in NO_META:
        return None
    for family in (".stackexchange.com", ".stackoverflow.com"):
        if site.endswith(family):
            return site[: -len(family)] + ".meta" + family
    return "meta." + site


def site_host(site: str) -> str:
    """The host serving a dump's data-dump page: a renamed site's new host, a Stack Overflow in another
    language's meta at ``meta.es.stackoverflow.com``."""
    main = re.sub(r"\.meta\.", ".", site, count=1) if ".meta." in site else site
    host = RENAMED.get(main, main)
    if ".meta." not in site:
        return host
    if host.endswith(".stackoverflow.com"):
        return "meta." + host
    return host[: -len(".stackexchange.com")] + ".meta.stackexchange.com"


def dump_access_url(site: str) -> str:
    """Where a logged-in user downloads the site's current dump."""
    return f"https://{site_host(site)}/users/data-dump-access/current"


def login_lines(sites: list[str]) -> list[str]:
    """One line per site: the page to log in at, and the file to download there."""
    return [f"{site}: log in at {dump_access_url(site)}, accept the terms, download {se_archive_name(site)}" for site in sites]


def expand_sites(sites: list[str], meta: bool) -> tuple[list[str], list[str]]:
    """(the dumps to get, the meta dumps left out): each main site with its meta when ``meta``; a meta
    site named on its own is always kept."""
    for site in sites:
        if not SITE_NAME.fullmatch(site):
            raise InputError(f"--site {site}", "not a site name like cooking.stackexchange.com")
    wanted = sorted(set(sites))
    metas = sorted({m for m in map(meta_site, wanted) if m is not None} - set(wanted))
    return (sorted(set(wanted) | set(metas)), []) if meta else (wanted, metas)


def se_archive_name(site: str, split: bool = False) -> str:
    """A site's archive: ``SITE.7z``; Stack Overflow's is one ``stackoverflow.com.7z`` of every table
    since 2024-06, its Posts table ``stackoverflow.com-Posts.7z`` in the older dumps (``split``)."""
    return "stackoverflow.com-Posts.7z" if split and site == "stackoverflow.com" else f"{site}.7z"


def archive_here(lock: Lock, site: str) -> str | None:
    """The site's archive already complete in the data directory, in either layout, or None."""
    names = (se_archive_name(site), se_archive_name(site, split=True))
    return next((name for name in names if lock.complete(f"stackexchange/{name}")), None)


# -- published checksums -----------------------------------------------------------------------------


def release_name(text: str) -> str:
    """``2025-06-30-rev2`` / ``2025-06-30 rev2`` -> ``2025-06-30 rev2``; a bare date stays as it is."""
    found = RELEASE.fullmatch(text.strip())
    if not found:
        raise InputError(f"--release {text}", "not a release like 2025-06-30 or 2025-06-30-rev2")
    return found[1] + (f" {found[2].lower()}" if found[2] else "")


@dataclass
class Checksums:
    """sha256 of each archive per release, from LunarWatcher/se-data-dump-transformer's
    ``docs/meta/Hashes.md`` (one ``<summary>RELEASE</summary>`` section per release, as Stack Exchange
    confirmed them) or a plain ``sha256sum`` list (one release, unnamed)."""

    origin: str
    releases: dict[str, dict[str, str]] = field(default_factory=dict)  # release -> archive name -> sha256

    @classmethod
    def parse(cls, text: str, origin: str) -> Checksums:
        """Read either layout; a list with no ``HEX  NAME`` line at all is one line naming it."""
        found = cls(origin)
        release = ""
        for line in text.splitlines():
            heading = re.search(r"<summary>\s*([^<]*?)\s*</summary>", line)
            if heading:
                release = heading[1]
                continue
            entry = re.fullmatch(r"\s*([0-9a-fA-F]{64}) [ *]?(\S+)\s*", line)
            if entry and RELEASE.match(release or "0000-00-00") and "Date" not in release:
                found.releases.setdefault(release, {})[entry[2]] = entry[1].lower()
        if not found.releases:
            raise InputError(origin, "no checksums here (expected lines of a sha256 and an archive name)")
        return found

    def candidates(self, name: str, release: str | None) -> dict[str, str]:
        """release -> sha256 published for ``name``: in ``release`` only when one is given."""
        if release is None:
            return {rel: names[name] for rel, names in self.releases.items() if name in names}
        matching = [rel for rel in self.releases if rel == release or rel.startswith(release + " ")]
        if not matching:
            known = ", ".join(sorted(self.releases, reverse=True)[:4])
            raise InputError(self.origin, f"lists no release {release} (it has {known}, ...)")
        if len(matching) > 1:
            raise InputError(f"--release {release}", f"is ambiguous in {self.origin}: pass one of {', '.join(matching)}")
        names = self.releases[matching[0]]
        if name not in names:
            raise InputError(self.origin, f"lists no {name} for release {matching[0]}")
        return {matching[0]: names[name]}

    def expected(self, name: str, release: str | None) -> tuple[str, str]:
        """(release, sha256) a download of ``name`` must match: the one release given, or the only one listed."""
        found = self.candidates(name, release)
        if not found:
            raise InputError(self.origin, f"lists no {name}")
        if len(set(found.values())) > 1:
            raise InputError(self.origin, f"lists {name} in {len(found)} releases: pass --release (e.g. {max(found)})")
        rel = max(found)
        return rel, found[rel]

    def release_of(self, path: Path, sha256: str, release: str | None) -> str:
        """The release(s) whose published sha256 a local archive matches (``2025-06-30 rev1, 2025-06-30 rev2``
        when a revision left the file as it was); one line naming the archive when none does."""
        found = self.candidates(path.name, release)
        matched = sorted(rel for rel, digest in found.items() if digest == sha256)
        if matched:
            return ", ".join(matched)
        if not found:
            raise InputError(path, f"is not in the checksum list {self.origin} (no release lists {path.name})")
        listed = ", ".join(sorted(found))
        raise InputError(
            path,
            f"sha256 {sha256[:16]}... matches none of the {len(found)} releases {self.origin} lists for it ({listed}): "
            "a damaged download, or a release the list does not have yet",
        )


def read_checksums(where: str, fetcher: Fetcher | None = None) -> Checksums:
    """A checksum list from a file, or from a URL (``Hashes.md`` on GitHub) through the fetcher."""
    if re.match(r"https?://", where):
        if fetcher is None:
            raise InputError(where, "a checksum list at a URL needs the network")
        _, body = fetcher.get(where)
        return Checksums.parse(body.decode("utf-8", errors="replace"), where)
    path = Path(where)
    if not path.is_file():
        raise InputError(path, "no such checksum list")
    return Checksums.parse(path.read_text(encoding="utf-8", errors="replace"), str(path))


def note_planted(releases: set[str], note: Callable[[str], None]) -> None:
    """Tell the user which of the releases met plant fake posts, and that the recipe drops them."""
    planted = sorted({one for release in releases for one in release.split(", ")} & set(PLANTED))
    if planted:
        ids = ", ".join(map(str, sorted({i for release in planted for i in PLANTED[release]})))
        note(
            f"[yellow]note:[/] {' and '.join(planted)} planted fake posts in some sites' Posts.xml (ids {ids}); "
            "the recipe's [stackexchange] drop_post_ids drops them"
        )


# -- the Internet Archive and mirrors ----------------------------------------------------------------


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
    checksums: Checksums | None = None,
    release: str | None = None,
) -> list[Planned]:
    """What ``pull stackexchange --item/--mirror`` would fetch; reads the item's file list only when
    something is missing. Stack Overflow is ``stackoverflow.com.7z`` where the item has it (a mirror:
    always), else the older ``stackoverflow.com-Posts.7z``; a checksum list adds its sha256."""
    wanted, _ = expand_sites(sites, meta=False)  # checks the names
    done = {site: name for site in wanted if (name := archive_here(lock, site))}  # complete, in either layout
    published: dict[str, Expected] = {}
    if len(done) < len(wanted) and mirror is None:
        published = se_published(fetcher, archive_org, item)
    names = {}
    for site in wanted:
        new = se_archive_name(site)
        names[site] = done.get(site) or (new if mirror is not None or new in published else se_archive_name(site, split=True))
    if mirror is None:
        absent = [site for site, name in names.items() if site not in done and name not in published]
        if absent:
            where = f"log in at {dump_access_url(absent[0])}, download it, then pass --from FOLDER"
            raise InputError(
                f"{archive_org}/details/{item}", f"has no {names[absent[0]]} (try another --item or --mirror, or {where})"
            )
    base = mirror.rstrip("/") if mirror else f"{archive_org.rstrip('/')}/download/{item}"
    plan = []
    for site in wanted:
        name = names[site]
        expected = published.get(name, Expected())
        if checksums is not None and site not in done:
            rel, digest = checksums.expected(name, release)
            expected = Expected(expected.size, {**expected.hashes, "sha256": digest}, f"{checksums.origin} ({rel})")
        plan.append(Planned(f"stackexchange/{name}", f"{base}/{quote(name)}", expected, done=site in done))
    return plan


def releases_fetched(plan: list[Planned], lock: Lock, checksums: Checksums | None, release: str | None) -> set[str]:
    """Record in the lock file the release each fetched archive's sha256 matched (the plan checked it)."""
    if checksums is None:
        return set()
    met = set()
    for item in plan:
        entry = lock.files.get(item.rel)
        if entry is None or entry.get("release"):
            continue
        name = item.rel.rsplit("/", 1)[-1]
        matched = sorted(r for r, digest in checksums.candidates(name, release).items() if digest == entry["sha256"])
        if matched:
            extra = {k: v for k, v in entry.items() if k not in ("url", "bytes", "sha256", "source", "fetched")}
            rel = ", ".join(matched)
            lock.record(item.rel, entry["url"], entry["bytes"], entry["sha256"], entry["source"], **{**extra, "release": rel})
            met.add(rel)
    lock.save()
    return met


# -- archives the user downloaded (--from) -----------------------------------------------------------


def dump_name_of(file: Path) -> str | None:
    """The site of a dump archive's file name (``cooking.stackexchange.com.7z``), the split Stack Overflow
    tables' ``stackoverflow.com``, or None for a name no dump has (``cooking (1).7z``, ``notes.7z``)."""
    if SPLIT_TABLE.fullmatch(file.name):
        return "stackoverflow.com"
    stem = file.name[: -len(".7z")] if file.name.endswith(".7z") else ""
    return stem if SITE_NAME.fullmatch(stem) else None


def checked_archive(file: Path) -> None:
    """Refuse a downloaded archive that is still arriving, empty, not a 7z or cut short, naming it."""
    for partial in (file.with_name(file.name + ".part"), file.with_name(file.name + ".crdownload")):
        if partial.exists():
            raise InputError(file, f"is still being downloaded ({partial.name} lies beside it): wait for it to finish")
    problem = seven_zip_problem(file)
    if problem:
        raise InputError(file, problem)


def chosen_archives(folder: Path, sites: list[str] | None, meta: bool, note: Callable[[str], None]) -> list[tuple[Path, str]]:
    """The dump archives of a downloads folder to register, with the site of each: every one (meta
    ones only with ``meta``), or those of ``sites``; another file is left out with a note."""
    archives: dict[str, list[Path]] = {}
    for file in sorted(folder.glob("*.7z")):
        site = dump_name_of(file)
        if site is None:
            note(f"[yellow]note:[/] {file}: left out, not a dump archive's name (SITE.7z, e.g. cooking.stackexchange.com.7z)")
        else:
            archives.setdefault(site, []).append(file)
    if sites:
        wanted, _ = expand_sites(sites, meta)
        for site in wanted:
            if site not in archives:
                raise InputError(folder, f"has no {se_archive_name(site)}: download it at {dump_access_url(site)}")
    else:
        wanted = sorted(archives)
        skipped = [site for site in wanted if is_meta(site)] if not meta else []
        if skipped:
            note(
                f"[yellow]note:[/] left out {len(skipped)} meta site archive(s) ({', '.join(skipped[:3])}"
                f"{', ...' if len(skipped) > 3 else ''}): the recipe excludes meta sites; --meta registers them too"
            )
        wanted = [site for site in wanted if site not in skipped]
    return [(file, site) for site in wanted for file in archives[site]]


def se_register(
    path: Path,
    lock: Lock,
    note: Callable[[str], None],
    sites: list[str] | None = None,
    meta: bool = False,
    checksums: Checksums | None = None,
    release: str | None = None,
) -> list[Outcome]:
    """``--from``: site archives (``*.7z``) or site folders holding ``Posts.xml``, or a folder of them.

    Every archive is checked (its name, its 7z headers, its sha256 against ``checksums`` when given)
    before any is registered, so a bad one leaves the data directory and the lock file as they were.
    """
    path = Path(path)
    if path.is_dir() and (path / "Posts.xml").is_file():
        tables = [(f, f"stackexchange/{path.name}/{f.name}") for f in sorted(path.glob("*.xml"))]
        return register(tables, "stackexchange", lock, note)
    if path.is_dir():
        archives = chosen_archives(path, sites, meta, note)
        folders = sorted(p for p in path.iterdir() if p.is_dir() and (p / "Posts.xml").is_file())
        folders = [d for d in folders if (meta or not is_meta(d.name)) and (not sites or d.name in sites)]
        tables = [(f, f"stackexchange/{d.name}/{f.name}") for d in folders for f in sorted(d.glob("*.xml"))]
        if not archives and not tables:
            raise InputError(path, "no site archive (*.7z) or site folder with Posts.xml here")
    elif path.is_file() and path.suffix == ".7z":
        archives, tables = [(path, dump_name_of(path) or path.stem)], []
    elif not path.exists():
        raise InputError(path, "no such file or folder")
    else:
        raise InputError(path, "expected a site archive (*.7z), a site folder with Posts.xml, or a folder of them")
    for file, _ in archives:
        checked_archive(file)
    releases: dict[Path, str] = {}

    def vouch(file: Path, sha256: str) -> dict:
        if checksums is None or file.suffix != ".7z":
            return {}
        releases[file] = checksums.release_of(file, sha256, release)
        return {"checked": ["sha256"], "release": releases[file]}

    files = [(f, f"stackexchange/{f.name}") for f, _ in archives] + tables
    outcomes = register(files, "stackexchange", lock, note, vouch)
    unknown = [site for _, site in archives if not is_meta(site) and site not in known_sites()]
    if unknown:
        note(f"[yellow]note:[/] not in the site list, so a build counts them as unknown: {', '.join(sorted(set(unknown)))}")
    note_planted(set(releases.values()), note)
    return outcomes
