"""``lima-curate review OUT/``: the review page for a published set (docs/review.md).

The page's work is ``review_app``; this module holds the command: it opens and checks the set before
anything listens, refuses a host other machines reach unless asked, binds (port 0: a free one), and
prints the one URL that opens the session, its token included.
"""

from __future__ import annotations

import getpass
import importlib.util
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .cli_options import fails_cleanly
from .errors import InputError
from .render import console, errors

# What the page imports beyond the core install: the `review` extra (pyproject.toml).
REVIEW_MODULES = ("starlette", "uvicorn", "jinja2", "markdown_it", "nh3", "multipart")


@fails_cleanly
def review_command(
    out: Annotated[
        Path, typer.Argument(metavar="OUT", help="The set's folder: manifest.jsonl (or sampled.jsonl), its card, reserve.jsonl.")
    ],
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; one other machines reach needs --allow-remote.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on; 0 picks a free one.")] = 0,
    reviewer: Annotated[
        str | None,
        typer.Option("--reviewer", help="The name every decision records. Default: your login name.", show_default=False),
    ] = None,
    review_file: Annotated[
        Path | None,
        typer.Option("--review-file", help="Where decisions are appended. Default: OUT/review.jsonl.", show_default=False),
    ] = None,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Listen on a --host other machines can reach (the token is then the only guard, sent unencrypted).",
        ),
    ] = False,
) -> None:
    """Serve a local page to accept, reject, replace or edit a set's examples; every decision is appended to the review file."""
    missing = [module for module in REVIEW_MODULES if importlib.util.find_spec(module) is None]
    if missing:
        raise InputError("lima-curate review", f"needs {', '.join(missing)}: pip install 'lima-curate[review]'")
    from .review_app import create_app, is_loopback, listen, load_set, new_session, serve, url_of

    if not is_loopback(host) and not allow_remote:
        raise typer.BadParameter(
            f"{host} is reachable from other machines: pass --allow-remote to listen there", param_hint="--host"
        )
    reviewed = load_set(out, review_file)
    name = (reviewer or getpass.getuser()).strip()
    if not name:
        raise typer.BadParameter("the reviewer's name is empty", param_hint="--reviewer")
    sock = listen(host, port)
    session = new_session(host, sock.getsockname()[1], name)
    if not is_loopback(host):
        errors.print(
            f"[bold yellow]warning:[/] listening on {escape(host)}: anyone who can reach it and learns the URL can decide"
        )
    decided = len(reviewed.records())
    console.print(
        f"reviewing {len(reviewed.examples)} examples of {escape(str(reviewed.drawn))} as {escape(name)}; "
        f"decisions go to {escape(str(reviewed.review_file))} ({decided} there now). Ctrl+C stops.",
        highlight=False,
    )
    print(url_of(session, host), flush=True)  # plain, whole, on its own line: a terminal makes it a link
    serve(create_app(reviewed, session), sock)
