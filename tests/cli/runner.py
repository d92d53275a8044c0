"""Run the `listener` CLI in-process, as a user would from a shell."""

from __future__ import annotations

import sys

import pytest

from listener import cli


def invoke(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `listener ARGS...`."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["listener", *args])
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
