"""The real web app on a free loopback port with the sample data, and browser pages signed in to it.

One server per test session (the sample takes a few seconds to import and analyse): SQLite,
the bundled sample, a post whose whole text is an <img onerror> tag, the digests of 2026-W46
and W47 for every department, and one account per role. Tests that change data (a new watch)
add their own uniquely named rows, so the others do not depend on the order they run in.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from listener import insight, jobs
from listener.configfile import ListenerConfig, load_config
from listener.settings import Settings
from listener.store.db import create_engine
from listener.store.queries import find_post
from listener.web.app import create_app
from listener.weeks import parse_week
from tests.conftest import EXAMPLE_CONFIG
from tests.insight.conftest import load_sample
from tests.web.conftest import PASSWORD, People, add_people

# Read at import: the suite's autouse fixture clears LISTENER_* variables before each test.
_SCREENSHOT_DIR = os.environ.get("LISTENER_SCREENSHOT_DIR", "")
WEEKS = ("2026-W46", "2026-W47")
IMG_ONERROR = "<img src=x onerror=alert(1)>"
IMG_POST = "x:9100000000000000001"  # added by the fixture to dhsc: its whole text is IMG_ONERROR
WIDTH = 1024


@dataclass(frozen=True)
class LiveSite:
    """The running app: its base URL, its database, and who can sign in."""

    url: str
    engine: sa.Engine
    people: People
    digests: dict[tuple[str, str], int]  # (department slug, ISO week) -> digest id

    def post_id(self, ref: str) -> int:
        """The id in /posts/{id} of a post named `platform:native_id`."""
        with self.engine.connect() as conn:
            return find_post(conn, ref).id


def _img_only_post(path: Path) -> Path:
    """A JSON Lines file (listener's own export format) holding the one hostile post."""
    record = {
        "platform": "x",
        "native_id": IMG_POST.split(":", 1)[1],
        "text": IMG_ONERROR,
        "created_at": "2026-11-18T10:15:00Z",
        "url": "https://x.com/mallory/status/9100000000000000001",
        "lang": "en",
        "author": {"native_id": "u-mallory", "handle": "mallory", "name": IMG_ONERROR},
        "metrics": {"like_count": 3},
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def build_database(folder: Path, config: ListenerConfig) -> tuple[sa.Engine, dict[Any, int]]:
    """The sample database the site serves, and the ids of the digests built in it."""
    engine = create_engine(f"sqlite:///{folder / 'site.db'}")
    jobs.init_database(engine)
    load_sample(engine, config)
    hostile = _img_only_post(folder / "img-post.jsonl")
    jobs.import_file(engine, jobs.ImportRequest(path=hostile, format="jsonl", department="dhsc"))
    jobs.analyze(engine, workers=1)
    digests = {}
    for week in WEEKS:
        for department in insight.departments_for(engine, None):
            digest_id, _ = insight.build_digest(engine, department, parse_week(week), config=config)
            digests[(department.slug, week)] = digest_id
    return engine, digests


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn (as `listener serve` does) on a free 127.0.0.1 port."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # bound before the server starts: no race for the port
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, proxy_headers=True, log_level="warning"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="web", daemon=True
    )
    thread.start()
    try:
        _wait_until_up(f"{url}/healthz", thread)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_until_up(url: str, thread: threading.Thread, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the web server stopped while starting (see its log above)")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the web server did not answer {url} within {timeout:.0f} s")


@pytest.fixture(scope="session")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """`listener serve` on the sample data, for the whole session."""
    folder = tmp_path_factory.mktemp("site")
    config = load_config(EXAMPLE_CONFIG)
    engine, digests = build_database(folder, config)
    people = add_people(engine)
    settings = Settings(  # type: ignore[call-arg]  # _env_file: pydantic-settings' own keyword
        _env_file=None, config=EXAMPLE_CONFIG, secret_key=SecretStr("browser-test-secret")
    )
    app = create_app(settings, engine=engine, web_url=config.digest.web_url)
    with serving(app) as url:
        yield LiveSite(url=url, engine=engine, people=people, digests=digests)
    engine.dispose()


@dataclass
class Browsing:
    """One test's browser contexts on the live site, and what they saw that they should not."""

    browser: Any
    site: LiveSite
    shots: list[Path]
    dialogs: list[str] = field(default_factory=list)  # alert/confirm/prompt messages: none wanted
    errors: list[str] = field(default_factory=list)  # uncaught script errors
    contexts: list[Any] = field(default_factory=list)

    def new_page(self, width: int = WIDTH, *, bypass_csp: bool = False) -> Any:
        """A page in a fresh context (its own cookies), recording dialogs and script errors.

        `bypass_csp` turns the Content Security Policy off, to show that escaping alone
        keeps hostile text inert (the policy is a second line of defence).
        """
        context = self.browser.new_context(
            base_url=self.site.url,
            viewport={"width": width, "height": 900},
            bypass_csp=bypass_csp,
            accept_downloads=True,
        )
        self.contexts.append(context)
        context.on("dialog", self._dialog)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def signed_in_page(self, email: str, *, width: int = WIDTH, bypass_csp: bool = False) -> Any:
        """A page signed in through the sign-in form as `email`, on the home page."""
        page = self.new_page(width, bypass_csp=bypass_csp)
        sign_in(page, email)
        return page

    def screenshot(self, page: Any, name: str) -> Path:
        """A full-page PNG in tmp_path (and $LISTENER_SCREENSHOT_DIR when set)."""
        first = self.shots[0] / f"{name}.png"
        first.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(first), full_page=True)
        assert first.stat().st_size > 10_000, f"{name}: a blank page?"
        for extra in self.shots[1:]:
            extra.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(first, extra / first.name)
        return first


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    """Fill in and send the sign-in form; wait for the page it leads to."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state("load")
    assert "/sign-in" not in page.url, f"sign-in as {email} failed: {page.url}"


@pytest.fixture
def browsing(browser: Any, live_site: LiveSite, tmp_path: Path) -> Iterator[Browsing]:
    """Pages for one test; at the end, no dialog may have opened and no script may have failed."""
    dirs = [tmp_path / "shots", *([Path(_SCREENSHOT_DIR)] if _SCREENSHOT_DIR else [])]
    session = Browsing(browser=browser, site=live_site, shots=dirs)
    yield session
    for context in session.contexts:
        context.close()
    assert session.dialogs == [], f"a page opened a dialog: {session.dialogs}"
    assert session.errors == [], f"a page's script failed: {session.errors}"


@pytest.fixture
def signed_in_page(browsing: Browsing) -> Callable[[str], Any]:
    """`signed_in_page(email)`: a new page signed in through the form as that person."""
    return browsing.signed_in_page
