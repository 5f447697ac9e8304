"""Feeding a Stack Exchange dump's XML tables (``Posts.xml``, ``Comments.xml``) to lxml target parsers.

A table is a plain file, or a member of a site archive decompressed in bounded blocks beside the
parser (``sevenzip.open_member``); either way it reaches the parser in blocks of ``CHUNK`` bytes,
so no tree is built and memory does not grow with the rows already read. Every kind of damage is
one ``InputError`` naming the file (and the line, for XML that is not well-formed).
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from .. import sevenzip
from ..errors import InputError

POSTS = "Posts.xml"
COMMENTS = "Comments.xml"
CHUNK = 1 << 20


class RowTarget:
    """An lxml parser target that only cares about ``<row>`` start tags (subclasses define ``start``)."""

    def end(self, tag: str) -> None:
        """Closing tags carry nothing a dump row needs."""

    def data(self, text: str) -> None:
        """Text between tags carries nothing either: a dump row keeps its fields in attributes."""

    def close(self) -> None:
        """Nothing to finish when the parser closes; the caller reads what ``start`` kept."""


def posts_path(unit: Path) -> Path:
    """The file holding a unit's posts: the archive itself, or the Posts.xml of a folder."""
    if unit.suffix == ".7z":
        return unit
    return unit if unit.name == POSTS else unit / POSTS


def comments_path(unit: Path) -> Path:
    """A site archive holds its comments; Stack Overflow's ``-Posts.7z`` has a ``-Comments.7z``
    beside it; a folder or a bare Posts.xml has Comments.xml beside Posts.xml."""
    if unit.suffix == ".7z":
        if unit.name.endswith("-Posts.7z"):
            return unit.with_name(unit.name[: -len("-Posts.7z")] + "-Comments.7z")
        return unit
    return posts_path(unit).with_name(COMMENTS)


def feed_posts(unit: Path, target: RowTarget) -> None:
    """Stream the site's Posts.xml through an lxml target parser that calls ``target.start``."""
    feed_xml(posts_path(unit), POSTS, target)


def feed_comments(unit: Path, target: RowTarget) -> bool:
    """Stream the unit's Comments.xml the same way; False when the unit has none."""
    source = comments_path(unit)
    if not source.is_file():
        return False
    return feed_xml(source, COMMENTS, target, required=False)


def feed_xml(source: Path, name: str, target: RowTarget, required: bool = True) -> bool:
    """Feed one table (a plain file, or the member ``name`` of a .7z) to an lxml target parser."""
    # Entities must be resolved: with resolve_entities=False libxml2 hands "&amp;" in an attribute
    # to the target as "&#38;", so escaped HTML would keep literal "&quot;". The dumps carry no DTD,
    # no_network forbids external ones, and without huge_tree libxml2 keeps its limits on entity
    # expansion and node size (a body is at most tens of kilobytes).
    parser = etree.XMLParser(target=target, resolve_entities="internal", no_network=True)
    try:
        if source.suffix == ".7z":
            if not feed_from_7z(source, parser, name, required):
                return False
        else:
            with open(source, "rb") as handle:
                while block := handle.read(CHUNK):
                    parser.feed(block)
        parser.close()
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else None
        raise InputError(table_name(source, name), f"not well-formed XML ({error.msg})", line) from None
    except etree.LxmlError as error:  # any other complaint of libxml2's: still one line naming the table
        raise InputError(table_name(source, name), f"not readable XML ({error})") from None
    return True


def table_name(source: Path, name: str) -> str | Path:
    """How an error names a table: the file, or ``archive/Comments.xml`` for a member other than Posts.xml."""
    return source if source.suffix != ".7z" or name == POSTS else f"{source}/{name}"


def feed_from_7z(archive: Path, parser: etree.XMLParser, name: str, required: bool) -> bool:
    """Decompress the member ``name`` into the parser in bounded blocks, the decompressor running
    beside the parser (``sevenzip.open_member``); False when it is absent and not required."""
    member = sevenzip.find_member(archive, name)
    if member is None:
        if not required:
            return False
        raise InputError(archive, f"archive holds no {name}")
    fed = 0
    with sevenzip.open_member(archive, member) as blocks:
        for block in blocks:
            parser.feed(block)
            fed += len(block)
    if fed == 0:
        raise InputError(archive, f"archive holds an empty or unreadable {name}")
    return True
