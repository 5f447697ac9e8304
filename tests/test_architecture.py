"""The layering docs/architecture.md draws, checked on the source: every import inside lima_curate
(at module level or inside a function) points to the same layer or one below, never up; lima_train
never imports lima_curate; and no module outgrows ~400 lines without saying why at its top."""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

from conftest import ROOT

# Bottom to top. A module matches the first pattern that fits its dotted name.
LAYERS = [
    ["lima_curate", "lima_curate.errors", "lima_curate.shipped"],
    ["lima_curate.contract"],
    ["lima_curate.records"],
    [
        "lima_curate.manifest",
        "lima_curate.lockfile",
        "lima_curate.markup*",
        "lima_curate.reddit",
        "lima_curate.sevenzip",
        "lima_curate.filters",
        "lima_curate.dedup",
        "lima_curate.download",
    ],
    ["lima_curate.sources.*"],
    ["lima_curate.sources"],
    ["lima_curate.recipe", "lima_curate.sampling", "lima_curate.review"],
    ["lima_curate.extract", "lima_curate.survivors"],
    ["lima_curate.executors"],
    ["lima_curate.build", "lima_curate.publish"],
    [
        "lima_curate.verify",
        "lima_curate.audit",
        "lima_curate.explain",
        "lima_curate.formats",
        "lima_curate.export",
        "lima_curate.stats*",
        "lima_curate.pull",
        "lima_curate.pull.*",
        "lima_curate.review_*",
    ],
    ["lima_curate.ablate"],
    ["lima_curate.render", "lima_curate.cli*"],
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(name: str) -> int:
    for rank, patterns in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return rank
    raise AssertionError(f"{name} has no layer in tests/test_architecture.py: give it one (and a line in docs/architecture.md)")


def imports(path: Path) -> set[str]:
    """lima_curate / lima_train modules a file imports, relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from . import sources`
    modules = {module_name(p) for p in (ROOT / "lima_curate").rglob("*.py")} | {
        module_name(p) for p in (ROOT / "lima_train").rglob("*.py")
    }
    return {m for m in found if m in modules and m != name}


def test_no_import_points_up_a_layer():
    upward = []
    for path in sorted((ROOT / "lima_curate").rglob("*.py")):
        here = module_name(path)
        for target in sorted(imports(path)):
            if target.startswith("lima_curate") and layer(target) > layer(here):
                upward.append(f"{here} (layer {layer(here)}) -> {target} (layer {layer(target)})")
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def test_lima_train_stands_alone():
    leaks = [
        f"{module_name(p)} -> {t}"
        for p in sorted((ROOT / "lima_train").rglob("*.py"))
        for t in imports(p)
        if t.startswith("lima_curate")
    ]
    assert not leaks, leaks


def test_a_long_module_says_why_at_its_top():
    unexplained = []
    for path in sorted([*(ROOT / "lima_curate").rglob("*.py"), *(ROOT / "lima_train").rglob("*.py")]):
        text = path.read_text(encoding="utf-8")
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if text.count("\n") > 420 and not re.search(r"\b\d+ lines\b", docstring):
            unexplained.append(f"{module_name(path)}: {text.count(chr(10))} lines")
    assert not unexplained, "over ~400 lines and its docstring does not say 'N lines' and why: " + ", ".join(unexplained)
