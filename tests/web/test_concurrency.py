"""A collection writing while the web app searches and streams an export, on both engines:
no "database is locked" (or any error) reaches a user, and nothing is lost."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from fastapi.testclient import TestClient

from listener.collection import collect
from listener.collectors.base import Page
from listener.store.queries import store_counts
from tests.store.test_collection import Scripted, page
from tests.web.conftest import People, sign_in

PAGES = 30
PER_PAGE = 40


def test_collection_search_and_export_at_once(client: TestClient, web_engine: sa.Engine) -> None:
    sign_in(client, People.admin)
    pages: list[Page | Exception] = [
        page(f"c{n}", *(str(n * PER_PAGE + i) for i in range(PER_PAGE)), text="busy ward")
        for n in range(PAGES)
    ]
    problems: list[str] = []
    done = threading.Event()

    def write() -> None:
        try:
            collect(web_engine, {"mastodon": Scripted("mastodon", pages)})
        except Exception as exc:
            problems.append(f"collection: {exc}")
        finally:
            done.set()

    def read() -> None:
        while not done.is_set():
            for url in (
                "/api/v1/conversations?q=busy",
                "/conversations?q=busy+ward",
                "/conversations/export.csv?q=busy",
            ):
                response = client.get(url)
                if response.status_code != 200 or "locked" in response.text:
                    problems.append(f"{url}: {response.status_code} {response.text[:200]}")

    writer = threading.Thread(target=write)
    readers = [threading.Thread(target=read) for _ in range(2)]
    writer.start()
    for reader in readers:
        reader.start()
    writer.join(timeout=300)
    for reader in readers:
        reader.join(timeout=60)
    assert problems == []
    with web_engine.connect() as conn:
        assert store_counts(conn)["posts"] == PAGES * PER_PAGE
    exported = client.get("/conversations/export.csv?q=busy").text
    assert exported.count("busy ward") == PAGES * PER_PAGE
