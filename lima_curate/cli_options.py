"""What the commands share: the options of the commands that build sets, how those options become
the library's arguments, and bad input turned into one red line and an exit status."""

from __future__ import annotations

import errno
import functools
import os
from pathlib import Path
from typing import Annotated, Any, Callable

import typer
from rich.markup import escape

from . import sources
from .errors import InputError, write_fault
from .render import errors

DEFAULT_RECIPE = Path("lima")  # the shipped recipe, found by name from any folder


def registered_sources() -> str:
    """The registered sources as a phrase for help texts: ``a, b or c``."""
    names = sources.names()
    return " or ".join(filter(None, (", ".join(names[:-1]), names[-1])))


# Options shared by the commands that build manifests (build, ablate ...).
InputsOption = Annotated[
    list[str],
    typer.Option(
        "--input",
        "-i",
        metavar="SOURCE=PATH",
        help=f"A source and its local dump: {registered_sources()}. Repeat for several; a folder expands to every dump in it. "
        "A Stack Exchange site whose folder or archive is not named after its host is named here: "
        "stackexchange:HOST=PATH (e.g. stackexchange:quantumcomputing.stackexchange.com=dumps/qc).",
    ),
]
RecipeOption = Annotated[
    Path,
    typer.Option(
        "--recipe", "-r", help="A shipped recipe by name (lima, sample) or the path of a recipe TOML (quotas, filters, seed)."
    ),
]
SeedOption = Annotated[int | None, typer.Option(help="Override the recipe's seed.")]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-j",
        min=1,
        show_default=False,
        help="Processes (or Ray CPUs) for extraction. Default: one per input that is not cached yet, at most one per "
        "core, and none beside this process for small inputs.",
    ),
]
ExecutorOption = Annotated[
    str,
    typer.Option(
        "--executor",
        help=escape("Where units are extracted: local (a process pool) or ray (Ray tasks; pip install 'lima-curate[ray]')."),
    ),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="A running Ray cluster (auto, or HOST:PORT; docs/scale.md). Default: start a local Ray for this build.",
    ),
]
CacheDirOption = Annotated[
    Path | None, typer.Option(help="Extraction cache (Parquet per input). Default: $LIMA_DATA/cache or ./data/cache.")
]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Extract everything afresh, and cache nothing.")]
AllowShortOption = Annotated[
    bool,
    typer.Option(
        "--allow-short", help="Write even when a subset has fewer eligible examples than its quota (recorded in the card)."
    ),
]


def fails_cleanly(command: Callable) -> Callable:
    """Bad input becomes one red line naming the file and place, and exit status 2 (3 for a
    shortfall), instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .build import ShortfallError

        try:
            return command(*args, **kwargs)
        except InputError as error:
            errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except ShortfallError as error:
            errors.print(f"[bold red]shortfall:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            raise typer.Exit(3) from None
        except BrokenPipeError:
            raise
        except OSError as error:  # the environment (a full disk, a read-only folder) where no step named it
            line = environment_error(error)
            errors.print(f"[bold red]error:[/] {escape(str(line))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def environment_error(error: OSError) -> InputError:
    """An ``OSError`` no step turned into its own line, as one line naming the file the system
    named (a full disk, a quota, EFBIG, a read-only mount say what to do; others say what failed)."""
    path = error.filename or "(a file the system did not name)"
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS):
        fault = write_fault(error, path)
        if fault is not None:
            return fault
    return InputError(path, error.strerror or str(error))


def parse_inputs(values: list[str]) -> list[tuple[str, Path]]:
    """``SOURCE=PATH`` (or ``SOURCE:NAME=PATH``, naming the input's site) values as (source, path),
    the source as ``SOURCE:NAME`` when named (``build.expand_inputs`` reads it); a source the
    registry does not know is its one-line error."""
    inputs = []
    for value in values:
        source, sep, path = value.partition("=")
        if not sep or not path:
            raise typer.BadParameter(f"{value!r}: expected SOURCE=PATH, e.g. stackexchange=dumps/cooking.stackexchange.com.7z")
        name, colon, site = (part.strip() for part in source.partition(":"))
        sources.get(name)  # an unknown name is the registry's one-line error, listing the known ones
        if colon and not site:
            raise typer.BadParameter(
                f"{value!r}: expected SOURCE:HOST=PATH, e.g. stackexchange:cooking.stackexchange.com=dumps/c"
            )
        inputs.append((f"{name}:{site}" if site else name, Path(path)))
    return inputs


def cache_location(cache_dir: Path | None, no_cache: bool) -> Path | None:
    """The extraction cache folder: --cache-dir, else $LIMA_DATA/cache (./data/cache); none with --no-cache."""
    if no_cache:
        return None
    return cache_dir or Path(os.environ.get("LIMA_DATA", "data")) / "cache"


def execution(executor: str, workers: int | None, ray_address: str | None, cache_dir: Path | None = None):
    """Where and how widely units are extracted (``build.Execution``), with a usage error for an
    unknown executor or a Ray address without Ray."""
    from .build import Execution
    from .executors import EXECUTORS

    if executor not in EXECUTORS:
        raise typer.BadParameter(f"{executor!r}: expected one of {', '.join(EXECUTORS)}", param_hint="--executor")
    if ray_address and executor != "ray":
        raise typer.BadParameter("--ray-address goes with --executor ray", param_hint="--ray-address")
    return Execution(executor=executor, workers=workers, ray_address=ray_address, cache_dir=cache_dir)


def recipe_with_seed(recipe: Path, seed: int | None):
    """The recipe file loaded, with --seed in place of its seed when given."""
    from .recipe import load_recipe

    return load_recipe(recipe, {"seed": seed} if seed is not None else None)
