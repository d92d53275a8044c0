"""The sample data's real digests open in headless Chromium; the hostile post stays text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from listener import insight
from listener.configfile import ListenerConfig
from listener.weeks import parse_week
from tests.digest.test_screenshot import open_page, save_screenshot

HOSTILE_TEXT = "<script>alert('xss')</script> <img src=x onerror=alert(1)>"


def test_every_sample_digest_renders_and_the_hostile_post_is_only_text(
    browser: Any, sample_sqlite: sa.Engine, sample_config: ListenerConfig, tmp_path: Path
) -> None:
    shots = tmp_path / "shots"
    for department in insight.departments_for(sample_sqlite, None):
        for week in ("2026-W46", "2026-W47"):
            _, digest = insight.build_digest(
                sample_sqlite, department, parse_week(week), config=sample_config
            )
            paths = insight.write_digest(
                digest, out_dir=tmp_path / "out", sender="d@example.gov.uk", recipients=[]
            )
            dialogs: list[str] = []
            page = open_page(browser, paths[0], dialogs)
            assert page.locator("script").count() == 0
            widths = page.locator("img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
            assert widths and all(width > 0 for width in widths)
            if (department.slug, week) == ("dhsc", "2026-W46"):
                assert page.get_by_text(HOSTILE_TEXT, exact=False).first.is_visible()
            save_screenshot(page, [shots], f"{department.slug}-{week}.png")
            page.close()
            assert dialogs == []
