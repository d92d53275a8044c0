"""The written digest opens in headless Chromium: it renders, in light and dark, and no post acts.

A check that the page renders and behaves, not a pixel comparison. Screenshots go to
tmp_path, and also to $LISTENER_SCREENSHOT_DIR when that is set, for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from listener.digest.render import render, write_files
from tests.conftest import CHROMIUM
from tests.digest.factories import IMG_ONERROR, SCRIPT, make_context, make_empty_context

SENDER = "Listener digests <digests@listener.example.gov.uk>"
# Read at import: the suite's autouse fixture clears LISTENER_* variables before each test.
_SCREENSHOT_DIR = os.environ.get("LISTENER_SCREENSHOT_DIR", "")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)


@pytest.fixture
def screenshot_dirs(tmp_path: Path) -> list[Path]:
    return [tmp_path / "shots", *([Path(_SCREENSHOT_DIR)] if _SCREENSHOT_DIR else [])]


def open_page(browser: Any, html: Path, dialogs: list[str]) -> Any:
    page = browser.new_page(viewport={"width": 720, "height": 1000})
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    return page


def save_screenshot(page: Any, dirs: list[Path], name: str) -> None:
    first = dirs[0] / name
    first.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(first), full_page=True)
    assert first.stat().st_size > 10_000  # a real picture of a page, not a blank
    for extra in dirs[1:]:
        extra.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(first, extra / name)


def test_digest_renders_in_chromium_light_and_dark_and_no_post_runs(
    browser: Any, tmp_path: Path, screenshot_dirs: list[Path]
) -> None:
    context = make_context()
    paths = write_files(
        render(context),
        context,
        out_dir=tmp_path / "out",
        sender=SENDER,
        recipients=["energy-insight@desnz.example.gov.uk"],
    )
    dialogs: list[str] = []
    page = open_page(browser, paths[0], dialogs)

    assert page.title() == "Weekly insight: Department for Energy Security and Net Zero, 2026-W47"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Department for Energy")
    assert page.get_by_text(SCRIPT).first.is_visible()
    assert page.get_by_role("paragraph").get_by_text(IMG_ONERROR, exact=True).is_visible()
    assert page.locator("script").count() == 0
    widths = page.locator("img").evaluate_all("images => images.map(i => i.naturalWidth)")
    assert widths == [1200, 1200]
    assert page.evaluate("document.documentElement.scrollWidth") <= 720  # nothing overflows
    save_screenshot(page, screenshot_dirs, "digest-light.png")

    page.emulate_media(color_scheme="dark")
    card = page.locator(".dm-card").first
    assert card.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(27, 29, 30)"
    heading = page.locator("#topics")
    assert heading.evaluate("el => getComputedStyle(el).color") == "rgb(243, 242, 241)"
    save_screenshot(page, screenshot_dirs, "digest-dark.png")
    page.close()
    assert dialogs == []


def test_empty_week_renders_in_chromium(
    browser: Any, tmp_path: Path, screenshot_dirs: list[Path]
) -> None:
    context = make_empty_context()
    paths = write_files(
        render(context), context, out_dir=tmp_path / "out", sender=SENDER, recipients=[]
    )
    dialogs: list[str] = []
    page = open_page(browser, paths[0], dialogs)

    assert page.get_by_text("No spikes this week.").is_visible()
    widths = page.locator("img").evaluate_all("images => images.map(i => i.naturalWidth)")
    assert widths and all(width > 0 for width in widths)
    save_screenshot(page, screenshot_dirs, "digest-empty.png")
    page.close()
    assert dialogs == []
