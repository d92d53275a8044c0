"""The demo: a fresh database from the bundled sample data, ending in real search results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from listener import cli
from listener.store.db import create_engine
from listener.store.queries import find_post, posts_per_department
from tests.conftest import EXAMPLE_CONFIG, ROOT

HOSTILE_POST = "x:2121750305572299530"


def test_demo_builds_a_database_and_finds_real_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "demo.db"
    monkeypatch.setenv("LISTENER_CONFIG", str(EXAMPLE_CONFIG))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "argv", ["listener", "demo", "--database", str(database)])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code in (0, None)
    captured = capsys.readouterr()
    assert "734 posts, 0 bad rows" in captured.err
    assert "consultation responses (CSV) for mhclg: 69" in captured.err
    assert "junior doctors" in captured.out.lower()  # the first demo search found posts
    assert captured.out.count("\n    ") >= 10  # each result prints its text on an indented line
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        counts = posts_per_department(conn)
        hostile = find_post(conn, HOSTILE_POST)
    assert all(count > 50 for count in counts.values()), counts
    assert "<script>" in hostile.text and "\x07" in hostile.text  # stored verbatim


def test_bundled_sample_data_is_what_the_generator_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_sample_data.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
