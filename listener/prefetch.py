"""Prepare an import's pages in a second process while this one writes.

Reading a file, parsing its JSON, normalising posts, building their rows and
matching them against the watches take as long as writing them. A file import
therefore runs that work in a child process, one page ahead of the writer and
at most `AHEAD` pages ahead, so memory stays bounded; on two cores the import
takes about as long as the slower half (docs/performance.md).

The child only reads the file: everything that touches the database (screening
erased authors, upserts, links, the run record) stays in this process. An error
in the child (an unreadable file, say) is raised here, as it would have been
had the pages been read in this process.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import queue
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from listener.collectors.base import Page
from listener.matching import WatchMatcher, WatchSpec
from listener.models import utcnow
from listener.pages import PreparedPage, prepare

AHEAD = 4  # pages prepared and not yet written, at most
_POLL_SECONDS = 1.0


def prepared_pages(
    read: Callable[[], Iterator[Page]], watches: list[WatchSpec]
) -> Iterator[PreparedPage]:
    """The pages `read()` yields, prepared in a child process; `read` must be picklable."""
    context = multiprocessing.get_context("spawn")  # no fork: the parent holds threads, sockets
    pages: Any = context.Queue(maxsize=AHEAD)
    child = context.Process(
        target=_produce, args=(read, watches, pages), name="listener-prefetch", daemon=True
    )
    child.start()
    try:
        while True:
            try:
                kind, value = pages.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(
                        f"the process preparing pages stopped (exit code {child.exitcode})"
                    ) from None
                continue
            if kind == "page":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        pages.close()
        pages.cancel_join_thread()


# A page is some 30,000 new objects (its JSON, then its rows), none in a reference
# cycle: at the default threshold (a pass every 700 allocations) the cycle collector
# took 15% of the CPU of the process preparing pages, and as much of the one writing
# them. Cycles are still collected, every GC_THRESHOLD allocations.
GC_THRESHOLD = 100_000


@contextmanager
def rare_collections() -> Iterator[None]:
    """Collect reference cycles every GC_THRESHOLD allocations, not 700, until the end."""
    before = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _produce(read: Callable[[], Iterator[Page]], watches: list[WatchSpec], pages: Any) -> None:
    matcher = WatchMatcher(watches)
    try:
        with rare_collections():
            for page in read():
                pages.put(("page", prepare(page, matcher, now=utcnow())))
    except Exception as exc:  # raised again in the parent, with the same message
        pages.put(("error", _picklable(exc)))
    else:
        pages.put(("done", None))
    pages.close()
    pages.join_thread()


def _picklable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
