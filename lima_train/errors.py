"""The one error type the command line turns into a one-line message and a non-zero exit, and the
decorator every `lima-train` command wears to do so."""

from __future__ import annotations

import functools


class InputError(Exception):
    """Bad user input: a missing file, a malformed manifest line, settings that do not fit together.

    The message names the file and, where there is one, the line (``path:12: ...``).
    """


def reports_input_errors(command):
    """Turn an InputError into a one-line message on stderr and exit status 2 (every lima-train command)."""
    import typer
    from rich.console import Console

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as error:
            Console(stderr=True).print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper
