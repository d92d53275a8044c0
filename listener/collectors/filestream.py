"""Streaming helpers for file sources: counted reads for progress, numbered lines, pages."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from listener.collectors.base import Page
from listener.errors import ImportFormatError

# Posts per page of a file import, each page one transaction. Every page costs the
# same fixed work besides its posts (a transaction, the erasure lock, a dozen
# statements and their triggers on PostgreSQL): at 2,500 a 200,000-post import took
# 6% less time than at 1,000, and 5,000 gained no more (docs/performance.md).
PAGE_SIZE = 2500
# A page is also stored once it holds this much of the file (uncompressed), so that
# posts with huge texts, or a long run of bad rows, never hold more than a few
# pages' worth in memory: some 5 MB for 2,500 posts of an ordinary twarc2 file.
PAGE_BYTES = 16 * 1024 * 1024


class CountingReader(io.RawIOBase):
    """Counts the bytes read from a binary stream, for the progress bar."""

    def __init__(self, inner: IO[bytes] | io.BufferedIOBase) -> None:
        self.inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.inner.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


class CountedFile:
    """A file opened for streaming: `stream` yields its (decompressed) bytes, `counter` counts."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise ImportFormatError(f"{path}: no such file")
        self.counter = CountingReader(open(path, "rb"))  # noqa: SIM115 - closed in close()
        buffered = io.BufferedReader(self.counter)
        self.stream: io.BufferedIOBase = buffered
        self.uncompressed = self.counter  # counts the bytes the pages are read from
        if path.suffix == ".gz":
            self.uncompressed = CountingReader(gzip.GzipFile(fileobj=buffered))
            self.stream = io.BufferedReader(self.uncompressed, buffer_size=1 << 16)
        self._page_start = 0

    def __enter__(self) -> CountedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.close()
        self.counter.close()

    def numbered_lines(self) -> Iterator[tuple[int, str]]:
        """(line number, text) pairs; bytes that are not UTF-8 become U+FFFD."""
        for number, line in enumerate(self.stream, start=1):
            yield number, line.decode("utf-8", errors="replace")

    def full(self, page: Page) -> bool:
        """Whether `page` is due to be stored: PAGE_SIZE items (posts and bad rows alike),
        or PAGE_BYTES of the file read since it began."""
        return (
            len(page.posts) + len(page.rejected) >= PAGE_SIZE
            or self.uncompressed.count - self._page_start >= PAGE_BYTES
        )

    def finish_page(self, page: Page, line: int) -> Page:
        """Stamp a page with how far into the file it reaches."""
        page.cursor = str(line) if line else None
        page.position = self.counter.count
        self._page_start = self.uncompressed.count
        return page
