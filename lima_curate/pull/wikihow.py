"""``pull wikihow``: article pages fetched one file each, as served, and politely (the tool's user
agent, a pause between requests, robots.txt and its crawl delay obeyed); the list comes from a file
of titles or from a category's pages and subcategories. ``--from`` takes saved pages or the CSV."""

from __future__ import annotations

import re
import urllib.robotparser
from dataclasses import replace
from pathlib import Path
from typing import Callable
from urllib.parse import quote, unquote, urljoin, urlsplit

from ..download import Fetcher
from ..errors import InputError
from ..lockfile import Lock
from .local import Outcome, already_complete, local_files, note_change, register

WIKIHOW = "https://www.wikihow.com"
PAGE_CHROME = "header, footer, nav, #header, #footer, [id*=breadcrumb], [class*=breadcrumb]"


def article_url(line: str, base: str = WIKIHOW) -> str:
    """A title ("Grill Fish", "Grill-Fish") or an article URL -> the article URL."""
    line = line.strip()
    if re.match(r"https?://", line):
        return line
    return f"{base.rstrip('/')}/{quote(line.replace(' ', '-'), safe='-_.~()')}"


def article_file(url: str) -> str:
    """``https://www.wikihow.com/Grill-Fish`` -> ``Grill-Fish.html``: safe as a file name."""
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    name = re.sub(r"[/\\\x00]", "-", name).lstrip(".") or "index"
    return f"{name}.html"


def read_titles(path: Path, base: str = WIKIHOW) -> list[str]:
    """Article URLs from a file with one title or URL a line (blank lines and ``#`` comments skipped)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except UnicodeDecodeError:
        raise InputError(path, "not valid UTF-8") from None
    urls = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "://" in line and not re.match(r"https?://[^/\s]+/\S+$", line):
            raise InputError(path, f"not an article URL: {line!r}", number)
        urls.append(article_url(line, base))
    if not urls:
        raise InputError(path, "no titles in this file")
    return list(dict.fromkeys(urls))


class Robots:
    """robots.txt of one site, read once: which URLs the tool may fetch, and any crawl delay."""

    def __init__(self, fetcher: Fetcher, base: str):
        url = f"{base.rstrip('/')}/robots.txt"
        status, body = fetcher.get(url, accept=frozenset({401, 403, 404, 410}))
        self.parser = urllib.robotparser.RobotFileParser(url)
        if status in (401, 403):
            self.parser.disallow_all = True
        elif status >= 400:
            self.parser.allow_all = True
        else:
            self.parser.parse(body.decode("utf-8", errors="replace").splitlines())
        self.agent = fetcher.user_agent

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets this tool's user agent fetch ``url``."""
        return self.parser.can_fetch(self.agent, url)

    def delay(self) -> float:
        """The crawl delay robots.txt asks of this user agent, in seconds (0 when it asks none)."""
        return float(self.parser.crawl_delay(self.agent) or 0)


def robots_for(fetcher: Fetcher, cache: dict[str, Robots], url: str) -> Robots:
    """The robots.txt of a URL's site, read once; its crawl delay lengthens the pause between requests."""
    parts = urlsplit(url)
    site = f"{parts.scheme}://{parts.netloc}"
    if site not in cache:
        cache[site] = Robots(fetcher, site)
        if cache[site].delay() > fetcher.limits.delay:
            fetcher.limits = replace(fetcher.limits, delay=cache[site].delay())
    return cache[site]


def category_url(category: str, base: str = WIKIHOW) -> str:
    """A category's name ("Food and Entertaining", "Category:Food-and-Entertaining") -> its page URL."""
    name = category.strip().removeprefix("Category:").replace(" ", "-")
    return f"{base.rstrip('/')}/Category:{quote(name, safe='-_.~()')}"


def category_page_links(html: bytes, page_url: str) -> tuple[list[str], list[str], str | None]:
    """(article URLs, subcategory URLs, next page URL) on a wikiHow category page, in page order."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for chrome in soup.select(PAGE_CHROME):
        chrome.decompose()
    host = urlsplit(page_url).netloc
    here = urlsplit(page_url).path
    articles, subcategories = [], []
    subcat_box = soup.find(id="subcats")
    in_subcats = {id(a) for a in subcat_box.find_all("a")} if subcat_box is not None else set()
    for a in soup.find_all("a", href=True):
        url = urljoin(page_url, a["href"])
        parts = urlsplit(url)
        path = unquote(parts.path).lstrip("/")
        if parts.netloc != host or not path or "/" in path or parts.path == here:
            continue
        clean = f"{parts.scheme}://{parts.netloc}/{quote(path, safe='-_.~():')}"
        if path.startswith("Category:"):
            if id(a) in in_subcats:
                subcategories.append(clean)
        elif ":" not in path and not parts.query and path != "Main-Page":
            articles.append(clean)
    following = soup.find(["a", "link"], rel="next", href=True)
    next_url = urljoin(page_url, following["href"]) if following else None
    return list(dict.fromkeys(articles)), list(dict.fromkeys(subcategories)), next_url


def category_articles(
    fetcher: Fetcher, category: str, limit: int, base: str = WIKIHOW, robots: dict[str, Robots] | None = None, max_pages: int = 50
) -> list[str]:
    """The first ``limit`` article URLs of a category: its pages in order, then its subcategories."""
    robots = {} if robots is None else robots
    queue, seen, articles = [category_url(category, base)], set(), []
    while queue and len(articles) < limit and len(seen) < max_pages:
        page = queue.pop(0)
        if page in seen:
            continue
        seen.add(page)
        if not robots_for(fetcher, robots, page).allowed(page):
            fetcher.note(f"[yellow]skipped[/] {page}: robots.txt disallows it")
            continue
        _, body = fetcher.get(page)
        found, subcategories, next_page = category_page_links(body, page)
        articles.extend(url for url in found if url not in articles)
        queue[:0] = [next_page] if next_page else []
        queue.extend(subcategories)
    if not articles:
        raise InputError(category_url(category, base), "no article links found on this category page")
    return articles[:limit]


def pull_wikihow(
    urls: list[str], data_dir: Path, fetcher: Fetcher, lock: Lock, origin: str, robots: dict[str, Robots] | None = None
) -> list[Outcome]:
    """Fetch each article page as it is, one file each, politely; failures are counted, then reported."""
    robots = {} if robots is None else robots
    outcomes, failed = [], []
    todo = [(f"wikihow/{article_file(url)}", url) for url in urls]
    complete = [(rel, url) for rel, url in todo if lock.complete(rel)]
    outcomes.extend(already_complete(lock, rel) for rel, _ in complete)
    if complete:
        fetcher.note(f"wikihow: {len(complete)} of {len(urls)} pages already complete")
    todo = [item for item in todo if item not in complete]
    for number, (rel, url) in enumerate(todo, 1):
        if not robots_for(fetcher, robots, url).allowed(url):
            fetcher.note(f"[yellow]skipped[/] {url}: robots.txt disallows it")
            outcomes.append(Outcome(rel, "disallowed by robots.txt", url=url))
            continue
        with lock.claim(rel, fetcher.note):  # a second pull of the page waits here, then finds it done
            if lock.complete(rel):
                outcomes.append(already_complete(lock, rel))
                continue
            try:
                got = fetcher.fetch(url, data_dir / rel, show=False)
            except InputError as error:
                fetcher.note(f"[red]failed[/] {error}")
                failed.append(str(error))
                continue
            note_change(fetcher, lock.record(rel, url, got.bytes, got.sha256, "wikihow"))
            lock.save()
        fetcher.note(f"[{number}/{len(todo)}] {rel} ({got.bytes:,} bytes)")
        outcomes.append(Outcome(rel, "fetched", got.bytes, got.sha256, url))
    if failed:
        raise InputError(origin, f"{len(failed)} of {len(urls)} pages could not be fetched (first: {failed[0]})")
    return outcomes


def wikihow_register(path: Path, lock: Lock, note: Callable[[str], None]) -> list[Outcome]:
    """``--from``: saved article pages (``*.html``, ``*.htm``) or the wikiHow CSV, or a folder of them."""
    files = local_files(path, ("*.html", "*.htm", "*.csv"), "saved article pages or wikiHow CSV")
    return register([(f, f"wikihow/{f.name}") for f in files], "wikihow", lock, note)
