"""Writing a set in another format (``lima-curate export``): GAIR/lima, ShareGPT, Alpaca, Parquet
and a Hugging Face dataset folder, each written whole or not at all (formats.py reads them back).

Each row is one its ecosystem reads as it is: an example a chat format cannot carry as LLaMA-Factory,
axolotl and lima-train read it (turns out of order, no answer last) is skipped and counted by reason,
never dropped unseen. Parquet and HF exports carry a dataset card (``README.md``) with the Hugging
Face Hub's YAML header, generated from the manifest's card and the lines' licences.

About 440 lines, two concerns that travel together: the rows of each format, and the card beside them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from . import sources
from .contract import canonical_json
from .errors import InputError
from .formats import GAIR_MULTI_TURN, HF_MARKERS, detect, read_examples
from .manifest import MANIFEST, _umask, atomic_file, card_path, file_sha256, read_card, write_atomic

EXPORT_FORMATS = ("gair", "sharegpt", "alpaca", "parquet", "hf")
SHAREGPT_FROM = {"user": "human", "assistant": "gpt", "system": "system"}


def gair_name(source: str) -> str:
    """The name GAIR/lima's file gives a source (the first of its ``GAIR_NAMES``)."""
    names = sources.names()
    return sources.get(source).GAIR_NAMES[0] if source in names and sources.get(source).GAIR_NAMES else source


# -- writing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """What ``export`` reports: where it wrote, in which format, how many examples, why others were
    left out, the dataset card written with Parquet and HF exports, and notes for the console."""

    path: Path
    format: str
    written: int
    skipped: Counter  # reason -> count
    card: Path | None = None
    notes: tuple[str, ...] = ()


@contextmanager
def atomic_folder(dest: Path) -> Iterator[Path]:
    """A temporary folder beside ``dest`` swapped in when the block finishes.

    An existing ``dest`` is replaced only when it is itself a dataset folder, so a typo cannot
    delete an unrelated folder.
    """
    if dest.exists() and not (dest.is_dir() and any((dest / m).is_file() for m in HF_MARKERS)):
        raise InputError(dest, "exists and is not a Hugging Face dataset folder; refusing to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; a dataset folder is for sharing
        yield staging
        old = None
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=dest.parent))
            os.replace(dest, old / "data")
        os.replace(staging, dest)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def chat_problem(messages: list[dict[str, str]], system: bool = True) -> str | None:
    """Why a conversation breaks the turn rule chat trainers apply, or None when it keeps it: an
    optional system message first, then user and assistant in turn, user first, ending with the
    answer. This is LLaMA-Factory's ShareGPT check (user turns at odd positions, assistant turns at
    even ones, an even count; a broken row is skipped there with a log line) and lima-train's; Alpaca
    rows are built from the same pairs. ``system=False`` for a format with no place for one (GAIR)."""
    turns = messages
    if turns and turns[0]["role"] == "system":
        if not system:
            return "has a system message, which GAIR/lima's format has no place for"
        turns = turns[1:]
    for index, message in enumerate(turns):
        if message["role"] == "system":
            return "has a system message after the first turn (only the first message may be the system's)"
        if message["role"] != ("user", "assistant")[index % 2]:
            return "roles do not alternate user/assistant, user first"
    if not turns:
        return "has no user turn"
    if turns[-1]["role"] != "assistant":
        return "ends on a user turn, with no answer to train on (`lima-curate import` trims such turns)"
    return None


def to_gair(example: dict[str, Any]) -> dict[str, Any] | str:
    """A GAIR/lima row (turns as bare strings, the source in GAIR's naming), or why it cannot be one."""
    problem = chat_problem(example["messages"], system=False)
    if problem:
        return problem
    meta = example.get("meta") or {}
    if example["subset"] == "dialogue":
        source = GAIR_MULTI_TURN
    else:
        source = meta.get("gair_source") or gair_name(example["source"])
    return {"conversations": [m["content"] for m in example["messages"]], "source": source}


def to_sharegpt(example: dict[str, Any]) -> dict[str, Any] | str:
    """A ShareGPT row (an optional system turn, then human and gpt in turn; the id kept), or why it
    cannot be one that LLaMA-Factory and axolotl read."""
    problem = chat_problem(example["messages"])
    if problem:
        return problem
    turns = [{"from": SHAREGPT_FROM[m["role"]], "value": m["content"]} for m in example["messages"]]
    return {"conversations": turns, "id": example["id"]}


def to_alpaca(example: dict[str, Any]) -> dict[str, Any] | str:
    """An Alpaca row, or why it cannot be one: the last user turn is the instruction (input empty),
    the last answer the output, earlier turns ``history`` as [user, assistant] pairs and a system
    message ``system`` (LLaMA-Factory's columns; both left out when empty, as Stanford Alpaca has them)."""
    messages = example["messages"]
    problem = chat_problem(messages)
    if problem:
        return problem
    row: dict[str, Any] = {}
    if messages[0]["role"] == "system":
        row["system"], messages = messages[0]["content"], messages[1:]
    pairs = [[messages[i]["content"], messages[i + 1]["content"]] for i in range(0, len(messages) - 2, 2)]
    if pairs:
        row["history"] = pairs
    return {**row, "input": "", "instruction": messages[-2]["content"], "output": messages[-1]["content"]}


def to_row(example: dict[str, Any]) -> dict[str, Any]:
    """A Parquet / HF row: the manifest's fields, meta as canonical JSON text."""
    return {
        "id": example["id"],
        "source": example["source"],
        "subset": example["subset"],
        "messages": [{"role": m["role"], "content": m["content"]} for m in example["messages"]],
        "meta": canonical_json(example.get("meta") or {}),
    }


JSON_WRITERS = {"gair": to_gair, "sharegpt": to_sharegpt, "alpaca": to_alpaca}


def export(path: Path, to: str, dest: Path, fmt: str | None = None) -> Written:
    """Write every example of ``path`` to ``dest`` in format ``to``. An example a format cannot carry
    as its trainers read it (GAIR, ShareGPT, Alpaca: see :func:`chat_problem`) is skipped and counted
    by reason; Parquet and HF carry everything and get a dataset card (``README.md``, see
    :func:`hub_card`) with the Hub's YAML header."""
    if to not in EXPORT_FORMATS:
        raise InputError(dest, f"unknown export format {to!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    path, dest = Path(path), Path(dest)
    fmt = fmt or detect(path)
    examples = read_examples(path, fmt)
    if to in JSON_WRITERS:
        return write_json_format(examples, JSON_WRITERS[to], dest, to)
    tally = Tally()
    source = Provenance.of(path, fmt)
    if to == "parquet":
        with atomic_file(dest) as temp:
            written = write_parquet(tally.count(examples), temp)
        card, notes = write_card_beside(dest, hub_card(tally, source, dest.name, dest.stem))
        return Written(dest, to, written, Counter(), card, source.notes + notes)
    return write_hf(tally.count(examples), dest, tally, source)


def write_json_format(examples, convert, dest: Path, to: str) -> Written:
    """The converted rows as JSON lines, or as one JSON array when ``dest`` ends in ``.json``; a row
    ``convert`` answers with a string is skipped and counted under that reason."""
    as_array = dest.suffix == ".json"
    written, skipped = 0, Counter()
    with atomic_file(dest) as temp, open(temp, "w", encoding="utf-8", newline="\n") as out:
        out.write("[\n" if as_array else "")
        for example in examples:
            row = convert(example)
            if isinstance(row, str):
                skipped[row] += 1
                continue
            if as_array and written:
                out.write(",\n")
            out.write(canonical_json(row))
            out.write("" if as_array else "\n")
            written += 1
        out.write("\n]\n" if as_array else "")
    return Written(dest, to, written, skipped)


def parquet_schema():
    """The export's Parquet schema, fixed so that an empty set still writes a readable file."""
    import pyarrow as pa

    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    return pa.schema(
        [
            ("id", pa.string()),
            ("source", pa.string()),
            ("subset", pa.string()),
            ("messages", pa.list_(message)),
            ("meta", pa.string()),
        ]
    )


def write_parquet(examples, path: Path, batch_size: int = 1024) -> int:
    """Stream the examples' rows into ``path`` in batches (memory stays flat); the count written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    written = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        batch = []
        for example in examples:
            batch.append(to_row(example))
            if len(batch) == batch_size:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                written += len(batch)
                batch = []
        if batch or not written:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            written += len(batch)
    return written


def write_hf(examples, dest: Path, tally: Tally, source: Provenance) -> Written:
    """``save_to_disk`` of the same rows as Parquet (built from a temporary Parquet file, so that
    memory stays flat) and the dataset card inside; ``datasets`` is imported only here."""
    try:
        import datasets
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(dest, "writing a Hugging Face dataset needs `datasets` (pip install 'lima-curate[hf]')") from None
    bars_were_off = datasets.is_progress_bar_enabled() is False
    datasets.disable_progress_bars()
    try:
        with atomic_folder(dest) as staging, tempfile.TemporaryDirectory(dir=staging.parent, prefix=".hf-build.") as work:
            parquet = Path(work) / "examples.parquet"
            written = write_parquet(examples, parquet)
            dataset = datasets.Dataset.from_parquet(str(parquet), cache_dir=str(Path(work) / "cache"))
            dataset.save_to_disk(str(staging))
            del dataset
            (staging / CARD_NAME).write_text(hub_card(tally, source, "data-*.arrow", dest.name), encoding="utf-8")
    finally:
        if not bars_were_off:
            datasets.enable_progress_bars()
    return Written(dest, "hf", written, Counter(), dest / CARD_NAME, source.notes)


# -- the dataset card ------------------------------------------------------------------------------

CARD_NAME = "README.md"
CARD_MARK = "<!-- written by `lima-curate export`, anew on every export -->"
# The Hub's licence identifiers (huggingface.co/docs/hub/repositories-licenses); a licence not among
# them is `other` in the header and named in the card's body.
HUB_LICENCES = frozenset(
    """apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0 bigcode-openrail-m
    afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5
    cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0
    cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0
    cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl
    lgpl-2.1 lgpl-3.0 isc lppl-1.3c ms-pl mpl-2.0 odc-by odbl osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr
    unknown other""".split()
)
# The Hub's size_categories, by upper bound (n>1T beyond the last).
SIZE_CATEGORIES = tuple(
    (10**power, name)
    for power, name in zip(
        range(3, 13), "n<1K 1K<n<10K 10K<n<100K 100K<n<1M 1M<n<10M 10M<n<100M 100M<n<1B 1B<n<10B 10B<n<100B 100B<n<1T".split()
    )
)
LANGUAGE = "en"  # LIMA is English only; every reader keeps English text (Super-NI by its language fields)
LIMA_PAPER = "Zhou et al. 2023, LIMA: Less Is More for Alignment, arXiv:2305.11206"


@dataclass
class Tally:
    """What the dataset card says of the exported examples, counted as they stream past: per subset,
    and per source and licence."""

    total: int = 0
    subsets: Counter = field(default_factory=Counter)
    licences: dict[str, Counter] = field(default_factory=dict)

    def count(self, examples: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The same examples, each counted on its way through."""
        for example in examples:
            self.total += 1
            self.subsets[example["subset"]] += 1
            by_licence = self.licences.setdefault(example["source"], Counter())
            for licence in licences_of(example):
                by_licence[licence] += 1
            yield example


def licences_of(example: dict[str, Any]) -> list[str]:
    """The licences a line's meta names (``licence``; Super-NI's ``instance_licence`` too), or
    ``unknown`` when it names none (an imported GAIR/lima line)."""
    meta = example.get("meta") or {}
    found = [meta["licence"]] if isinstance(meta.get("licence"), str) and meta["licence"] else []
    found += [value for value in meta.get("instance_licence") or [] if isinstance(value, str) and value]
    return found or ["unknown"]


def hub_licence(licence: str) -> str:
    """A licence as the Hub names it (``CC BY-SA 4.0`` -> ``cc-by-sa-4.0``), ``other`` where it has no name for it."""
    slug = re.sub(r"[\s_]+", "-", licence.strip().lower())
    return slug if slug in HUB_LICENCES else "other"


def size_category(total: int) -> str:
    """The Hub's size category of ``total`` examples: LIMA's 1,000 (and GAIR/lima's 1,030) are ``1K<n<10K``."""
    return next((name for bound, name in SIZE_CATEGORIES if total < bound), "n>1T")


@dataclass(frozen=True)
class Provenance:
    """Where the exported examples came from: the card beside the manifest read (when its digest is the
    manifest's), or nothing, with a note saying why."""

    input: str
    format: str
    card: dict[str, Any] | None
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, path: Path, fmt: str) -> Provenance:
        """The provenance of the set at ``path`` read as ``fmt``."""
        if fmt != "manifest":
            return cls(path.name, fmt, None)
        manifest = path / MANIFEST if path.is_dir() else path
        if not card_path(manifest).is_file():
            return cls(
                manifest.name,
                fmt,
                None,
                (f"{card_path(manifest)} not found: the dataset card cannot say where the set came from",),
            )
        card = read_card(manifest)
        actual = file_sha256(manifest)[1]
        if card.get("digest") != actual:
            note = (
                f"{card_path(manifest)} records digest {str(card.get('digest'))[:16]} but the manifest's is {actual[:16]}: "
                "the dataset card does not use it"
            )
            return cls(manifest.name, fmt, None, (note,))
        return cls(manifest.name, fmt, card)


def hub_card(tally: Tally, source: Provenance, data_files: str, fallback_name: str) -> str:
    """A dataset card (``README.md``) for the Hub: the YAML header it reads (licences, language, task,
    size, the files of the ``default`` config) and a body saying where the set came from."""
    card = source.card or {}
    name = str(card.get("name") or fallback_name)
    header = ["---", f"pretty_name: {quoted(name)}"]
    hub_ids = sorted({hub_licence(licence) for counts in tally.licences.values() for licence in counts}) or ["unknown"]
    if len(hub_ids) == 1:
        header.append(f"license: {quoted(hub_ids[0])}")
        if hub_ids == ["other"]:
            texts = sorted({licence for counts in tally.licences.values() for licence in counts})
            header.append(f"license_name: {quoted(re.sub(r'[^a-z0-9.]+', '-', ' '.join(texts).lower()).strip('-'))}")
    else:
        header += ["license:", *(f"- {quoted(hub_id)}" for hub_id in hub_ids)]
    header += ["language:", f"- {quoted(LANGUAGE)}", "task_categories:", f"- {quoted('text-generation')}"]
    header += [
        "size_categories:",
        f"- {quoted(size_category(tally.total))}",
        "tags:",
        *(f"- {quoted(t)}" for t in ("lima", "sft")),
    ]
    header += ["configs:", f"- config_name: {quoted('default')}", "  data_files:", f"  - split: {quoted('train')}"]
    header += [f"    path: {quoted(data_files)}", "---"]
    body = ["", f"# {name}", "", CARD_MARK, "", *origin(tally, source), "", "## Subsets", ""]
    body += ["| subset | examples |", "|---|---:|", *(f"| {s} | {n:,} |" for s, n in tally.subsets.items())]
    body += ["", "## Licences", "", "Each line's `meta.licence` (Super-NI also `meta.instance_licence`), per source:", ""]
    body += ["| source | licence | examples | on the Hub |", "|---|---|---:|---|"]
    for source_name, counts in sorted(tally.licences.items()):
        body += [f"| {source_name} | {licence} | {n:,} | `{hub_licence(licence)}` |" for licence, n in sorted(counts.items())]
    body += ["", "## Fields", "", "`id`, `source`, `subset`, `messages` (a list of `{role, content}`, the chat format TRL and"]
    body += ['chat templates read) and `meta` (provenance as JSON text: `json.loads(row["meta"])`).', ""]
    body += ["## Citation", "", f"The recipe is LIMA's ({LIMA_PAPER}); cite the paper and each source's licence.", ""]
    return "\n".join(header + body)


def origin(tally: Tally, source: Provenance) -> list[str]:
    """The card's paragraph on where the examples came from: the build (recipe, seed, digest), the
    import (its format and file, turns trimmed), or an input with no card."""
    card = source.card
    said = f"{tally.total:,} examples exported by lima-curate from `{source.input}` ({source.format})"
    if card is None:
        return [f"{said}, which carries no card: where the examples came from is not recorded here."]
    digest = f"`{card.get('digest')}` (sha256 of `{MANIFEST}`)"
    imported = card.get("imported")
    if isinstance(imported, dict):
        trimmed = len(imported.get("trimmed") or [])
        return [
            f"{said}, imported from `{imported.get('from')}` ({imported.get('format')}) by `lima-curate import`; "
            f"the manifest's digest is {digest}. Recipe, seed and provenance are unknown; "
            f"{trimmed:,} conversation(s) were trimmed after their last answer."
        ]
    recipe = card.get("recipe") if isinstance(card.get("recipe"), dict) else {}
    inputs = Counter(str(entry.get("source")) for entry in card.get("inputs") or [] if isinstance(entry, dict))
    return [
        f"{said}, built by `lima-curate build` (lima-curate {(card.get('tool') or {}).get('version', 'unknown')}) "
        f"with the recipe `{recipe.get('name', 'unknown')}` {recipe.get('version', '')}".rstrip()
        + f" (sha256 `{card.get('recipe_sha256')}`) and seed {card.get('seed')}, after LIMA's recipe ({LIMA_PAPER}).",
        "",
        f"The manifest's digest is {digest}; `lima-curate verify` rebuilds it from the same inputs "
        f"(inputs per source: {', '.join(f'{s} {n}' for s, n in sorted(inputs.items())) or 'none'}) and checks it byte for byte.",
    ]


def quoted(value: str) -> str:
    """A YAML scalar that is always read back as this string (a JSON string is a YAML one)."""
    return json.dumps(value)


def write_card_beside(dest: Path, text: str) -> tuple[Path, tuple[str, ...]]:
    """The card beside a Parquet export as ``README.md``, where the Hub looks; a README.md there that an
    export did not write is kept, and the card goes to ``NAME.README.md`` instead, with a note."""
    card = dest.parent / CARD_NAME
    notes: tuple[str, ...] = ()
    if card.exists() and CARD_MARK not in card.read_text(encoding="utf-8", errors="replace"):
        card = dest.with_name(f"{dest.stem}.{CARD_NAME}")
        notes = (f"{dest.parent / CARD_NAME} is not an export's card and is kept; the dataset card is {card}",)
    write_atomic(card, text.encode("utf-8"))
    return card, notes
