"""The tool as a user gets it: a wheel installed into a fresh virtual environment finds its shipped
recipes by name from any folder and verifies what it built, and every command's --help shows each
option's default."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import typer
import typer.main
from conftest import ROOT, SAMPLE_INPUTS, run_cli
from typer.testing import CliRunner

from lima_curate import cli

# What a wheel is built from: the packages, the shipped recipes and the project's metadata.
WHEEL_SOURCES = ("pyproject.toml", "README.md", "lima_curate", "lima_train", "filters")


def run(*args: str | Path, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding the wheel of this checkout, its dependencies seen from the test's own
    environment (a .pth file): the bin folder of an installed lima-curate that has no checkout."""
    root = tmp_path_factory.mktemp("installed")
    source = root / "source"  # a copy: the build writes build/ and *.egg-info, never into the checkout
    source.mkdir()
    for name in WHEEL_SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check")
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", root / "dist", source, cwd=root)
    (wheel,) = (root / "dist").glob("lima_curate-*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", root / "venv", cwd=root)
    python = root / "venv" / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root).stdout.strip()
    (Path(purelib) / "lima-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(*pip, "--python", python, "install", "--no-deps", "--no-index", "-q", wheel, cwd=root)
    return root / "venv" / "bin"


def user_env(folder: Path) -> dict:
    """The environment of a user in ``folder``: nothing points at the checkout."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "LIMA_DATA": str(folder / "data"), "COLUMNS": "160"}


@pytest.mark.slow
def test_an_installed_wheel_builds_by_recipe_name_and_verifies_from_any_folder(installed, tmp_path):
    """About 20 s: a wheel, a venv, the sample build and its verify, each from another folder."""
    elsewhere, third = tmp_path / "elsewhere", tmp_path / "third"
    elsewhere.mkdir()
    third.mkdir()
    where = run(installed / "python", "-c", "import lima_curate.recipe as r; print(r.shipped_dir())", cwd=elsewhere)
    shipped = Path(where.stdout.strip())
    assert shipped.parts[-2:] == ("lima_curate", "recipes") and ROOT not in shipped.parents
    assert sorted(p.name for p in shipped.glob("*.toml")) == sorted(p.name for p in (ROOT / "filters").glob("*.toml"))

    args = [installed / "lima-curate", "build", "--recipe", "sample", "--out", "out", "--no-cache", "--allow-short"]
    built = run(*args, *(part for value in SAMPLE_INPUTS for part in ("--input", value)), cwd=elsewhere, env=user_env(elsewhere))
    assert f"wrote {Path('out') / 'manifest.jsonl'} (" in built.stdout
    card = json.loads((elsewhere / "out" / "manifest.card.json").read_text())
    assert card["recipe"]["name"] == "lima-sample" and card["recipe"]["quotas"]["se_stem"] == 8

    verified = run(installed / "lima-curate", "verify", elsewhere / "out" / "manifest.jsonl", cwd=third, env=user_env(third))
    assert verified.stdout.startswith(f"OK {elsewhere / 'out' / 'manifest.jsonl'}: rebuilt byte for byte"), verified.stdout

    unknown = subprocess.run(
        [installed / "lima-curate", "build", "--recipe", "nosuch", "--input", SAMPLE_INPUTS[-1], "--out", "x"],
        cwd=third,
        env=user_env(third),
        capture_output=True,
        text=True,
    )
    assert unknown.returncode == 2 and unknown.stderr == (
        "error: nosuch: recipe file not found (give a recipe's name or the path of a .toml file; "
        "shipped recipes, by name from any folder: lima, sample)\n"
    )


# -- --help shows every default ---------------------------------------------------------------------


def commands(command, path: tuple[str, ...] = ()):
    """Every command under the app, with the words that call it (``("pull", "wikihow")``)."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, (*path, name))


def shown_default(option) -> str | None:
    """What ``[default: ...]`` should say for an option, None where there is nothing to show: no
    default (None: the option is simply not given), a flag that is off unless given, or an option
    whose help text says its default in words (``show_default=False``)."""
    if option.required or option.default in (None, [], ()) or option.show_default is False:
        return None
    if option.is_flag and not option.secondary_opts:
        return None if not option.default else option.opts[0].lstrip("-")
    if option.is_flag:
        return (option.opts if option.default else option.secondary_opts)[0].lstrip("-")
    return str(option.default)


def test_every_commands_help_shows_each_options_default():
    checked = 0
    for path, command in commands(typer.main.get_command(cli.app)):
        result = run_cli(*path, "--help")
        assert result.exit_code == 0, result.output
        text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.stdout).split())
        for option in command.params:
            if not isinstance(option, typer.core.TyperOption) or option.name == "help":
                continue
            expected = shown_default(option)
            if option.show_default is False:
                assert "default" in (option.help or "").lower(), f"{' '.join(path)} {option.opts[0]}: says no default"
            elif expected is not None:
                assert f"[default: {expected}]" in text, f"{' '.join(path)} {option.opts[0]}: no [default: {expected}]"
                checked += 1
    assert checked >= 20  # build's --recipe and --executor, verify's --show, every pull's --retries, ablate's sizes, ...


def test_bracketed_words_in_help_are_kept_as_written():
    """Rich markup read "[ray]" or "[default: x]" as a style tag and dropped it; the help markup the
    app uses keeps them."""
    text = " ".join(run_cli("build", "--help").stdout.split())
    assert "pip install 'lima-curate[ray]'" in text
    probe = typer.Typer(rich_markup_mode=cli.HELP_MARKUP)

    @probe.command()
    def command(model: str = typer.Option("tiny", help="A model [default: the config's model, else tiny].")) -> None:
        """Probe."""

    shown = " ".join(CliRunner(env={"COLUMNS": "160"}).invoke(probe, ["--help"]).stdout.split())
    assert "A model [default: the config's model, else tiny]." in shown and "[default: tiny]" in shown
