"""Texts of a Posts.xml pass kept on disk, so memory holds only where they sit (numbers in arrays).

Two kinds, for the two ways texts are read back: question texts in zstd-compressed blocks (many
written, a few percent read back, in the order of writing), answer texts as they are (only those
past the score gate are written, and they are read back in another order).
"""

from __future__ import annotations

from array import array
from typing import IO


class BlockSpill:
    """Texts appended to a temporary file in blocks of about 1 MiB, each compressed with zstd (texts
    read back are a few percent of those written, and a block costs ~3-4x less disk than its text).
    A text is addressed by ``at`` (block number << 21 | offset in the block) and its length. Reads
    in the order of writing decompress each block once."""

    BLOCK = 1 << 20
    OFFSET_BITS = 21

    def __init__(self, file: IO[bytes]):
        import zstandard

        self.file = file
        self.buffer = bytearray()
        self.starts = array("q")  # file offset of each block written
        self.written = 0
        self.compress = zstandard.ZstdCompressor(level=1).compress
        self.decompress = zstandard.ZstdDecompressor().decompress
        self.cached: tuple[int, bytes] = (-1, b"")

    def append(self, data: bytes) -> int:
        """Add a text to the open block (written out first when the text would overflow it); its ``at``."""
        if self.buffer and len(self.buffer) + len(data) > self.BLOCK:
            self.flush()
        at = (len(self.starts) << self.OFFSET_BITS) | len(self.buffer)
        self.buffer += data
        return at

    def flush(self) -> None:
        """Compress the open block to the end of the file (after the last texts are appended, too)."""
        if self.buffer:
            block = self.compress(bytes(self.buffer))
            if self.cached[0] >= 0:  # a block was read since the last write
                self.file.seek(self.written)
            self.file.write(block)
            self.starts.append(self.written)
            self.written += len(block)
            self.buffer.clear()

    def read(self, at: int, length: int) -> bytes:
        """A text back from the open block or from its compressed one (the last one read is kept)."""
        number, offset = at >> self.OFFSET_BITS, at & ((1 << self.OFFSET_BITS) - 1)
        if number == len(self.starts):
            return bytes(self.buffer[offset : offset + length])
        if self.cached[0] != number:
            end = self.starts[number + 1] if number + 1 < len(self.starts) else self.written
            self.file.seek(self.starts[number])
            self.cached = (number, self.decompress(self.file.read(end - self.starts[number])))
        return self.cached[1][offset : offset + length]


class PlainSpill:
    """Texts appended to a temporary file as they are (answers past the score gate: few, and read
    back in another order than written)."""

    def __init__(self, file: IO[bytes]):
        self.file = file
        self.written = 0
        self.at_end = True  # a seek flushes the write buffer: only seek back after a read

    def append(self, data: bytes) -> int:
        """Write a text at the end of the file; its offset."""
        if not self.at_end:
            self.file.seek(self.written)
            self.at_end = True
        self.file.write(data)
        self.written += len(data)
        return self.written - len(data)

    def read(self, at: int, length: int) -> bytes:
        """A text back from its offset."""
        self.at_end = False
        self.file.seek(at)
        return self.file.read(length)
