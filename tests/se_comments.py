"""Tiny Stack Exchange comment tables written by the tests, in the published Comments.xml layout."""

from __future__ import annotations

from pathlib import Path

import py7zr
from se_dump import posts_xml, row

ASKER, ANSWERER, OTHER = 501, 502, 503


def comment(id: int, post: int, user: int | None, text: str, minute: int = 0, **extra: object) -> str:
    """A comment ``minute`` minutes into the thread (creation time orders the turns)."""
    attrs: dict[str, object] = dict(
        Id=id, PostId=post, Score=1, Text=text, CreationDate=f"2021-05-02T10:{minute:02d}:00.000", ContentLicense="CC BY-SA 4.0"
    )
    if user is not None:
        attrs["UserId"] = user
    return row(**{**attrs, **extra})


def comments_xml(rows: list[str]) -> bytes:
    """A whole Comments.xml, with the byte order mark the published dumps start with."""
    text = '\ufeff<?xml version="1.0" encoding="utf-8"?>\n<comments>\n' + "\n".join(rows) + "\n</comments>\n"
    return text.encode("utf-8")


def site_folder_with_comments(root: Path, site: str, posts: list[str], comments: list[str]) -> Path:
    """An extracted site folder with Posts.xml and Comments.xml side by side."""
    folder = root / site
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Posts.xml").write_bytes(posts_xml(posts))
    (folder / "Comments.xml").write_bytes(comments_xml(comments))
    return folder


def site_archive_with_comments(root: Path, site: str, posts: list[str], comments: list[str]) -> Path:
    """A published-style site archive; Comments.xml comes before Posts.xml, as in the real ones."""
    root.mkdir(parents=True, exist_ok=True)
    archive = root / f"{site}.7z"
    with py7zr.SevenZipFile(archive, "w") as z:
        z.writestr(comments_xml(comments), "Comments.xml")
        z.writestr(posts_xml(posts), "Posts.xml")
    return archive
