"""The review page behind ``lima-curate review OUT/``: a small Starlette app, server-rendered with Jinja2.

It reads only the set's folder (the draw, ``sampled.jsonl`` when a build applied a review, else
``manifest.jsonl``; ``manifest.card.json``; ``reserve.jsonl``) and the review file, and writes only the
review file, one decision at a time through ``review.append``, so a
decision is on disk before the page answers. Every byte of CSS and JS comes from ``review_templates/``
in the package: no CDN, no build step. docs/review.md describes the page and its safety rules:

- every request needs the session's random token (given once in the printed URL, then kept in an
  HttpOnly, SameSite=Strict cookie named after the port) and a Host header naming this server (a
  DNS-rebinding page gets 403);
- a state-changing request is a POST with the session's CSRF token and, when the browser sends one,
  an Origin of this server;
- text from the set is escaped by Jinja2's autoescape; a response is rendered as markdown with raw
  HTML off, then sanitised by nh3; a strict Content-Security-Policy allows scripts and styles from
  this server only, so even a missed escape runs nothing;
- no route maps a URL onto the file system except ``/static/``, Starlette's ``StaticFiles`` over the
  package's own folder.

About 670 lines, kept as one module because the guard, the routes and what they show are reviewed
together for safety (one place to read what any request can reach); sections run top to bottom: the
set under review, what a page shows, the session's guard, the pages, serving.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from . import review, sources
from .audit import as_candidate
from .errors import InputError
from .extract import opening
from .manifest import MANIFEST, RESERVE, SAMPLED, card_path, read_card, read_manifest
from .recipe import Recipe, recipe_from_tables

TEMPLATES = Path(__file__).parent / "review_templates"
STATUS_ACTIONS = tuple(a for a in review.ACTIONS if a != "edit")  # what an example's status shows; edits count apart
LOOPBACK_NAMES = ("localhost",)
SAFE_TAGS = {  # what a rendered response may hold after nh3: markdown's own output, no images, no forms
    *("p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "a", "ul", "ol", "li"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"),
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",  # not no-referrer: with it, a browser sends "Origin: null" on a form POST
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


# -- the set under review --------------------------------------------------------------------------


@dataclass
class ReviewSet:
    """What the page shows: the draw in its order (what a review is made on: ``sampled.jsonl`` when the
    set was built with a review, so its manifest already holds the decisions, else the manifest), the
    card and its recipe, the reserve per subset, and where decisions go. Only the review file changes
    while the page runs; it is read afresh per request."""

    folder: Path
    review_file: Path
    card: dict[str, Any]
    drawn: Path
    examples: list[dict[str, Any]]
    reserve: dict[str, list[dict[str, Any]]]
    has_reserve: bool
    recipe: Recipe | None
    by_id: dict[str, dict[str, Any]] = field(init=False)
    position: dict[str, int] = field(init=False)
    subsets: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {example["id"]: example for example in self.examples}
        self.position = {example["id"]: n for n, example in enumerate(self.examples)}
        self.subsets = list(dict.fromkeys(example["subset"] for example in self.examples))

    @property
    def by_subset(self) -> dict[str, list[dict[str, Any]]]:
        """The draw per subset, as ``review.assign`` takes it."""
        return {subset: [e for e in self.examples if e["subset"] == subset] for subset in self.subsets}

    def records(self) -> list[dict[str, Any]]:
        """The review file's records now, in file order (an absent file is no decision yet)."""
        return review.read(self.review_file) if self.review_file.exists() else []

    def decisions(self) -> review.InForce:
        """The review file's decisions in force now."""
        return review.in_force(self.records())


def load_set(folder: Path, review_file: Path | None = None) -> ReviewSet:
    """A published set opened for review, checked before anything is served: the draw line by line
    (``sampled.jsonl`` when present: reopening a set built with its review shows the state before the
    build), the card, the reserve (absent in sets built before reserves were published: replacing is
    then off), and the review file, each refused with one line naming the file and line."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "not a folder: give the set's folder (the --out of `lima-curate build`)")
    manifest = folder / MANIFEST
    drawn = folder / SAMPLED if (folder / SAMPLED).exists() else manifest
    examples = read_manifest(drawn)
    if not examples:
        raise InputError(drawn, "holds no examples")
    card = read_card(manifest)
    recipe = recipe_from_tables(card_path(manifest), dict(card["recipe"])) if isinstance(card.get("recipe"), dict) else None
    reserve_path = folder / RESERVE
    reserve: dict[str, list[dict[str, Any]]] = {}
    if reserve_path.exists():
        for candidate in read_manifest(reserve_path):
            reserve.setdefault(candidate["subset"], []).append(candidate)
    reviewed = ReviewSet(
        folder=folder,
        review_file=Path(review_file) if review_file else folder / review.REVIEW_FILE,
        card=card,
        drawn=drawn,
        examples=examples,
        reserve=reserve,
        has_reserve=reserve_path.exists(),
        recipe=recipe,
    )
    reviewed.decisions()  # a torn or invalid review file stops here, not on the first page
    return reviewed


# -- what a page shows -----------------------------------------------------------------------------


def edited_turns(example: dict[str, Any]) -> dict[str, int]:
    """Field -> the index of the turn an edit of it changes (``review.edit_target``, the build's rule:
    the first user turn, the last assistant turn); a field without such a turn is absent."""
    turns = {}
    for name in review.FIELDS:
        try:
            turns[name] = review.edit_target(example["messages"], name)
        except ValueError:
            continue
    return turns


def prompt_and_response(example: dict[str, Any]) -> dict[str, str]:
    """The texts a review edits, as the build patches them ("" for a field without its turn)."""
    turns = edited_turns(example)
    return {name: example["messages"][turns[name]]["content"] if name in turns else "" for name in review.FIELDS}


def other_turns(example: dict[str, Any]) -> list[dict[str, Any]]:
    """A dialogue's turns that no edit changes, each with its 1-based number: shown, not edited."""
    edited = set(edited_turns(example).values())
    return [{"number": n, **turn} for n, turn in enumerate(example["messages"], 1) if n - 1 not in edited]


@dataclass
class Texts:
    """An example's texts as the build would make them (each field's edit in force applied), the fields
    whose edit is stale (made on another text: the build warns and leaves the text as it is), and those
    whose edit cannot apply (a hand-written patch that does not give its text: the build stops on it),
    each with the one line that says so."""

    texts: dict[str, str]
    stale: dict[str, str]
    broken: dict[str, str]


def current_texts(reviewed: ReviewSet, example: dict[str, Any], decisions: review.InForce) -> Texts:
    """What the page shows and edits: the base texts with the edits in force applied, as the build applies them."""
    texts = prompt_and_response(example)
    stale, broken = {}, {}
    for name, base in list(texts.items()):
        if (example["id"], name) not in decisions.edits:
            continue
        number, record = decisions.edits[(example["id"], name)]
        try:
            edited = review.apply_edit(base, record)
        except ValueError as error:
            broken[name] = (
                f"{reviewed.review_file}:{number}: edit of {example['id']}'s {name}: {error}; "
                f"a build stops on it: save a new edit of the {name} to replace it"
            )
            continue
        if edited is None:
            stale[name] = record["time"]
        else:
            texts[name] = edited
    return Texts(texts, stale, broken)


def render_markdown(text: str) -> str:
    """Markdown as safe HTML: raw HTML is off in the parser (a ``<script>`` stays text), then nh3 keeps
    only markdown's own tags, links to http(s) and mailto only, never an event attribute."""
    import nh3
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    parser.add_render_rule("image", image_as_text)
    html = parser.render(text)
    return nh3.clean(
        html,
        tags=SAFE_TAGS,
        attributes={"a": {"href", "title"}, "code": {"class"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def image_as_text(renderer, tokens, idx, options, env) -> str:
    """An image as its alt text, ``[image: ALT]``: the page shows no images (nh3 would drop the tag and
    its alt with it), yet a reviewer should see that the response holds one and what it was."""
    from markdown_it.common.utils import escapeHtml

    alt = renderer.renderInlineAsText(tokens[idx].children, options, env).strip()
    return f"<em>[image: {escapeHtml(alt)}]</em>" if alt else "<em>[image]</em>"


def is_revert(record: dict[str, Any]) -> bool:
    """An edit back to the draw's text: it undoes the field's earlier edits and edits nothing itself."""
    return record["base_sha256"] == record["new_sha256"]


def progress(reviewed: ReviewSet, decisions: review.InForce) -> list[dict[str, Any]]:
    """Per subset: examples, how many have a decision or an edit in force, and the count of each action
    (an edit reverted to the draw's text is no edit, as the build counts it)."""
    rows = []
    for subset in reviewed.subsets:
        ids = [e["id"] for e in reviewed.examples if e["subset"] == subset]
        actions = Counter(decisions.decisions[i][1]["action"] for i in ids if i in decisions.decisions)
        edited = {i for (i, _), (_, record) in decisions.edits.items() if i in set(ids) and not is_revert(record)}
        done = sum(1 for i in ids if i in decisions.decisions or i in edited)
        rows.append(
            {
                "subset": subset,
                "total": len(ids),
                "reviewed": done,
                "edit": len(edited),
                **{a: actions[a] for a in STATUS_ACTIONS},
            }
        )
    return rows


def url_of_thread(example: dict[str, Any]) -> str:
    """The thread an example comes from (``meta.url``; "" when none): one thread, one example."""
    return str((example.get("meta") or {}).get("url") or "")


@dataclass
class Candidates:
    """An example's subset's reserve as the page offers it: the draws free for this example, in draw
    order (each saying whether this example's own decision takes it), and the ids left out because
    their thread would be in the manifest twice."""

    free: list[dict[str, Any]]
    same_thread: list[str]


def candidates_for(reviewed: ReviewSet, decisions: review.InForce, example_id: str) -> Candidates:
    """The reserve of an example's subset less what other decisions take, by ``review.assign`` (the
    build's one rule: replaces first, then rejects in id order), less rejected draws, and less draws
    of a thread the manifest would then hold (another example, or another replace's candidate)."""
    subset = reviewed.by_id[example_id]["subset"]
    taken = review.assign(decisions, reviewed.by_subset, reviewed.reserve)  # example id -> the candidate in its place
    taker = {candidate: example for example, candidate in taken.items()}
    removed = {i for i, (_, r) in decisions.decisions.items() if r["action"] in ("reject", "replace")}
    threads = {url_of_thread(e) for e in reviewed.examples if e["id"] not in removed and e["id"] != example_id}
    named = {r["with"] for i, (_, r) in decisions.decisions.items() if r["action"] == "replace" and i != example_id}
    threads |= {url_of_thread(c) for picks in reviewed.reserve.values() for c in picks if c["id"] in named}
    threads.discard("")
    free, same_thread = [], []
    for candidate in reviewed.reserve.get(subset, []):
        if candidate["id"] in removed or taker.get(candidate["id"], example_id) != example_id:
            continue
        if url_of_thread(candidate) in threads:
            same_thread.append(candidate["id"])
            continue
        free.append({**candidate, "texts": prompt_and_response(candidate), "taken_here": candidate["id"] in taker})
    return Candidates(free, same_thread)


def filter_scores(reviewed: ReviewSet, example: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The card's recipe's filter chain run on the example as ``audit`` runs it: each filter's score and
    verdict, "not measurable" when the example lacks a field the filter reads; None when the recipe has
    no chain for its source."""
    if reviewed.recipe is None or example["source"] not in reviewed.recipe.filters:
        return None
    candidate = opening(as_candidate(example, example["source"]))
    rows = []
    for check in reviewed.recipe.filters[example["source"]].filters:
        lacking = [key for key in getattr(type(check), "needs", ()) if key not in candidate.meta]
        if lacking:
            rows.append({"filter": check.name, "score": "", "verdict": f"not measurable (no {', '.join(lacking)})"})
            continue
        verdict = check(candidate)
        rows.append({"filter": check.name, "score": verdict.score, "verdict": "pass" if verdict.keep else verdict.reason})
    return rows


def provenance(example: dict[str, Any]) -> dict[str, Any]:
    """Where an example came from: the source post's link (http(s) only), its group (site, category,
    task), its scores and licence."""
    meta = example.get("meta") or {}
    url = str(meta.get("url") or "")
    try:
        group_field = sources.get(example["source"]).GROUP_FIELD
    except InputError:
        group_field = None
    return {
        "url": url if url.startswith(("https://", "http://")) else "",
        "group_field": group_field,
        "group": meta.get(group_field) if group_field else None,
        "scores": {k: v for k, v in sorted(meta.items()) if "score" in k and k != "filter_scores" and not isinstance(v, dict)},
        "licence": meta.get("licence", ""),
        "meta": meta,
    }


# -- the session's guard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    """One run of the page: its token, the reviewer, and the Host values it answers to (on a wildcard
    address also any IP address with its port)."""

    token: str
    reviewer: str
    hosts: frozenset[str]
    port: int
    any_address: bool = False

    @property
    def cookie(self) -> str:
        """Cookies ignore ports: a name per port keeps two review pages on one machine apart (it does not
        keep the cookie from other servers on the same host: docs/review.md, Safety)."""
        return f"lima_review_{self.port}"

    @property
    def csrf(self) -> str:
        """The forms' token, derived from the session's, so it is tied to this session and never stored."""
        return hmac.new(self.token.encode(), b"lima-review csrf", hashlib.sha256).hexdigest()

    def answers_to(self, host: str) -> bool:
        """Whether a Host header (``name:port``) names this server. On a wildcard address any IP address
        with this port does: a DNS-rebinding page reaches a server only through a name it controls, so
        a Host that is an address cannot come from one."""
        if host in self.hosts:
            return True
        name, _, port = host.rpartition(":")
        return self.any_address and port == str(self.port) and is_address(name)

    def allows_origin(self, origin: str) -> bool:
        """Whether a POST's Origin is this server (plain HTTP, a Host it answers to)."""
        return origin.startswith("http://") and self.answers_to(origin.removeprefix("http://"))


def new_session(host: str, port: int, reviewer: str) -> Session:
    """A fresh random token, and the Host values a browser sends to this address: for a loopback address
    also localhost and the other loopback spelling; for a wildcard one (0.0.0.0, ::) also the machine's
    own names and any IP address."""
    names = {host}
    wildcard = is_wildcard(host)
    if is_loopback(host) or wildcard:
        names |= {"127.0.0.1", "localhost", "[::1]"}
    if wildcard:
        names |= {name for name in (socket.gethostname(), socket.getfqdn()) if name}
    hosts = frozenset(f"{bracketed(name)}:{port}" for name in names)
    return Session(token=secrets.token_urlsafe(32), reviewer=reviewer, hosts=hosts, port=port, any_address=wildcard)


def bracketed(host: str) -> str:
    """A host as a URL and a Host header write it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def is_address(name: str) -> bool:
    """Whether a Host header's name is an IP address (an IPv6 one in brackets, as a Host header writes it)."""
    if ":" in name and not (name.startswith("[") and name.endswith("]")):
        return False
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def is_wildcard(host: str) -> bool:
    """Whether a --host value listens on every address of the machine (0.0.0.0, ::)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def is_loopback(host: str) -> bool:
    """Whether a --host value reaches this machine only."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def same(a: str, b: str) -> bool:
    """Constant-time comparison that takes any text (``hmac.compare_digest`` refuses non-ASCII str)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape"))


def guard(session: Session):
    """The middleware every request passes: Host, token (the URL's once, then the cookie), Origin and
    Fetch Metadata on POSTs; every answer gets the security headers."""
    from starlette.middleware.base import BaseHTTPMiddleware
    from starlette.responses import PlainTextResponse, RedirectResponse

    async def dispatch(request, call_next):
        if not session.answers_to(request.headers.get("host", "")):
            response = PlainTextResponse("403: this page answers only to its own address (Host header refused)", 403)
        elif "token" in request.query_params:
            if same(request.query_params["token"], session.token):
                rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
                response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), 303)
                response.set_cookie(session.cookie, session.token, httponly=True, samesite="strict", path="/")
            else:
                response = PlainTextResponse("403: wrong token: open the URL `lima-curate review` printed", 403)
        elif not same(request.cookies.get(session.cookie, ""), session.token):
            response = PlainTextResponse("403: no session: open the URL `lima-curate review` printed", 403)
        elif request.method not in ("GET", "HEAD") and not same_origin(request, session):
            response = PlainTextResponse("403: cross-site request refused (Origin or Sec-Fetch-Site)", 403)
        else:
            response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    return BaseHTTPMiddleware, {"dispatch": dispatch}


def same_origin(request, session: Session) -> bool:
    """A POST from this page: its Origin (when sent) is this server, and the browser does not call it cross-site."""
    origin = request.headers.get("origin")
    if origin is not None and not session.allows_origin(origin):
        return False
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


# -- the pages -------------------------------------------------------------------------------------


def create_app(reviewed: ReviewSet, session: Session):
    """The ASGI app for one set and one session."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.responses import RedirectResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles
    from starlette.templating import Jinja2Templates

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), undefined=StrictUndefined)
    env.filters["link"] = lambda example_id: "/example/" + quote(example_id, safe="/")
    templates = Jinja2Templates(env=env)
    write_lock = threading.Lock()  # read, check and append as one step: two tabs cannot take one candidate

    def page(request, name: str, status: int = 200, **context):
        context.update(card=reviewed.card, folder=reviewed.folder, review_file=reviewed.review_file, session=session)
        return templates.TemplateResponse(request, name, context, status_code=status)

    def example_or_404(example_id: str) -> dict[str, Any]:
        if example_id not in reviewed.by_id:
            raise HTTPException(404, f"no example {example_id!r} in {reviewed.folder / MANIFEST}")
        return reviewed.by_id[example_id]

    def neighbours(example_id: str) -> tuple[str | None, str | None]:
        n = reviewed.position[example_id]
        previous = reviewed.examples[n - 1]["id"] if n > 0 else None
        following = reviewed.examples[n + 1]["id"] if n + 1 < len(reviewed.examples) else None
        return previous, following

    async def index(request):
        decisions = await run_in_threadpool(reviewed.decisions)
        return page(request, "index.html", rows=progress(reviewed, decisions), drawn=reviewed.drawn.name)

    async def subset_page(request):
        subset = request.path_params["subset"]
        if subset not in reviewed.subsets:
            raise HTTPException(404, f"no subset {subset!r} in {reviewed.folder / MANIFEST}")
        decisions = await run_in_threadpool(reviewed.decisions)
        examples = [e for e in reviewed.examples if e["subset"] == subset]
        rows = [
            {
                "id": e["id"],
                "prompt": prompt_and_response(e)["prompt"],
                "decision": decisions.decisions.get(e["id"], (0, None))[1],
                "edited": sorted(f for (i, f), (_, r) in decisions.edits.items() if i == e["id"] and not is_revert(r)),
            }
            for e in examples
        ]
        (row,) = [r for r in progress(reviewed, decisions) if r["subset"] == subset]
        return page(request, "subset.html", subset=subset, rows=rows, progress=row)

    async def example_page(request):
        example = example_or_404(request.path_params["example_id"])
        records = await run_in_threadpool(reviewed.records)
        decisions = review.in_force(records)
        shown = current_texts(reviewed, example, decisions)
        previous, following = neighbours(example["id"])
        saved = request.query_params.get("saved", "")
        saved_record = next((r for r in reversed(records) if r["id"] == saved), None)
        return page(
            request,
            "example.html",
            example=example,
            texts=shown.texts,
            stale=shown.stale,
            broken=shown.broken,
            response_html=render_markdown(shown.texts["response"]),
            other_turns=other_turns(example),
            decision=decisions.decisions.get(example["id"], (0, None))[1],
            edits={f: decisions.edits[(example["id"], f)][1] for f in review.FIELDS if (example["id"], f) in decisions.edits},
            provenance=provenance(example),
            scores=filter_scores(reviewed, example),
            candidates=candidates_for(reviewed, decisions, example["id"]),
            drawn=reviewed.drawn.name,
            has_reserve=reviewed.has_reserve,
            reasons=review.REASONS,
            previous=previous,
            following=following,
            saved=saved_record,
        )

    async def edit_page(request):
        example = example_or_404(request.path_params["example_id"])
        name = request.path_params["field"]
        if name not in review.FIELDS:
            raise HTTPException(404, f"no field {name!r}: edit the prompt or the response")
        decisions = await run_in_threadpool(reviewed.decisions)
        shown = current_texts(reviewed, example, decisions)
        return page(
            request,
            "edit.html",
            example=example,
            field=name,
            text=shown.texts[name],
            stale=name in shown.stale,
            broken=shown.broken.get(name, ""),
            drawn=reviewed.drawn.name,
        )

    async def decide(request):
        example = example_or_404(request.path_params["example_id"])
        form = await request.form()
        if not same(str(form.get("csrf", "")), session.csrf):
            return page(request, "error.html", 403, message="403: the form's CSRF token is not this session's: reload the page")
        try:
            record = await run_in_threadpool(write_decision, reviewed, session, example, form, write_lock)
        except ValueError as error:
            return page(request, "error.html", 400, message=f"{example['id']}: {error}")
        except InputError as error:
            return page(request, "error.html", 500, message=str(error))
        _, following = neighbours(example["id"])
        target = example["id"] if record["action"] == "edit" or following is None else following
        return RedirectResponse(env.filters["link"](target) + "?" + urlencode({"saved": example["id"]}), 303)

    async def not_found(request, exc):
        return page(request, "error.html", exc.status_code, message=f"{exc.status_code}: {exc.detail}")

    routes = [
        Route("/", index),
        Route("/subset/{subset}", subset_page),
        Route("/example/{example_id:path}", example_page),
        Route("/edit/{field}/{example_id:path}", edit_page),
        Route("/decide/{example_id:path}", decide, methods=["POST"]),
        Mount("/static", StaticFiles(directory=TEMPLATES / "static"), name="static"),
    ]
    middleware_class, options = guard(session)
    return Starlette(
        routes=routes, middleware=[Middleware(middleware_class, **options)], exception_handlers={HTTPException: not_found}
    )


def write_decision(reviewed: ReviewSet, session: Session, example: dict[str, Any], form, lock: threading.Lock) -> dict[str, Any]:
    """One posted form as one record appended to the review file (``ValueError`` for a form the page
    would never send or a candidate another decision took)."""
    action = str(form.get("action", ""))
    common = {"reviewer": session.reviewer}
    with lock:
        decisions = reviewed.decisions()
        if action == "accept":
            record = review.decision("accept", example["id"], example["subset"], **common)
        elif action == "reject":
            reason = str(form.get("reason_text", "")).strip() or str(form.get("reason", "")).strip()
            if not reason:
                raise ValueError("a reject needs a reason: pick one or write one")
            record = review.decision("reject", example["id"], example["subset"], reason=reason, **common)
        elif action == "replace":
            candidate = str(form.get("with", ""))
            offered = candidates_for(reviewed, decisions, example["id"])
            if candidate in offered.same_thread:
                raise ValueError(f"{candidate!r} answers a thread the manifest already holds (one thread, one example)")
            if candidate not in {c["id"] for c in offered.free}:
                raise ValueError(f"{candidate!r} is not a free reserve candidate of subset {example['subset']}")
            record = review.decision("replace", example["id"], example["subset"], candidate=candidate, **common)
        elif action == "edit":
            name = str(form.get("field", ""))
            if name not in review.FIELDS:
                raise ValueError(f"field must be one of {', '.join(review.FIELDS)}")
            if name not in edited_turns(example):
                raise ValueError(f"it has no {'user' if name == 'prompt' else 'assistant'} turn to edit as the {name}")
            new = str(form.get("text", "")).replace("\r\n", "\n")  # browsers send a textarea's line breaks as CRLF
            shown = current_texts(reviewed, example, decisions)
            if new == shown.texts[name] and name not in shown.stale and name not in shown.broken:
                raise ValueError(f"the edit changes nothing: the {name} in force is that text already")
            base = prompt_and_response(example)[name]  # the draw's text, which the build patches; base again: a revert
            record = review.decision("edit", example["id"], example["subset"], field=name, base=base, new=new, **common)
        else:
            raise ValueError(f"unknown action {action!r}: accept, reject, replace or edit")
        review.append(reviewed.review_file, record)
    return record


# -- serving ---------------------------------------------------------------------------------------


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), or one line saying why not."""
    try:
        info = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(info[0], socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(info[4])
        sock.listen(64)
    except OSError as error:
        raise InputError(
            f"{host}:{port}", f"cannot listen here ({error.strerror or error}): choose another --host or --port"
        ) from None
    return sock


def url_of(session: Session, host: str) -> str:
    """The address to open, token included."""
    return f"http://{bracketed(host)}:{session.port}/?token={session.token}"


def serve(app, sock: socket.socket) -> None:
    """Serve until Ctrl+C or SIGTERM, quietly (no access log: the URL holds the token)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
