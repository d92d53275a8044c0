"""The CLI as a user meets it: exit codes, one-line errors, data on stdout, formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli.runner import invoke
from tests.collectors.test_files import page, tweet
from tests.conftest import EXAMPLE_CONFIG


class Run:
    """The outcome of one `listener ...` invocation."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def listener(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str
):  # type: ignore[no-untyped-def]
    """Run the CLI in-process against a fresh database on each engine."""
    monkeypatch.setenv("LISTENER_DATABASE_URL", database_url)
    monkeypatch.setenv("LISTENER_CONFIG", str(EXAMPLE_CONFIG))
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> Run:
        return Run(*invoke(monkeypatch, capsys, *args))

    return run


@pytest.fixture
def loaded(listener, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A database with the example config and a small archive imported and scored."""
    path = tmp_path / "archive.jsonl"
    hostile = "<script>alert(1)</script> \x1b[31mred\x1b[0m [bold]markup[/bold] #NHS"
    path.write_text(page(
        tweet("1", "Junior doctors strike again #NHS"),
        tweet("2", "=HYPERLINK(\"http://evil\") #NHS waiting list", author_id="2"),
        tweet("3", hostile),
    ) + "\n")  # fmt: skip
    assert listener("config", "import").code == 0
    assert listener("import", str(path), "--format", "twarc2").code == 0
    assert listener("analyze", "--workers", "1").code == 0
    return listener


def test_init_creates_then_reports_up_to_date(
    listener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LISTENER_DATABASE_URL", f"sqlite:///{tmp_path}/sub/dir/new.db")
    first = listener("init")
    assert first.code == 0 and "created (revision" in first.err
    assert "already at revision" in listener("init").err


def test_commands_before_init_say_what_to_do(
    listener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LISTENER_DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    run = listener("search", "nhs")
    assert run.code == 1
    assert (
        run.err.strip()
        == "listener: error: the database is empty; run `listener init` to create or upgrade it"
    )


def test_config_check_masks_secrets_and_bad_files_get_one_line(
    listener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LISTENER_X_BEARER_TOKEN", "canary-secret-value-123")
    ok = listener("config", "check")
    assert ok.code == 0 and "LISTENER_X_BEARER_TOKEN (set)" in ok.out
    assert "canary-secret-value-123" not in ok.out + ok.err
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE_CONFIG.read_text().replace('"#RAAC"', '"#crumbling schools"'))
    run = listener("config", "check", str(bad))
    assert run.code == 1
    assert len(run.err.strip().splitlines()) == 1
    assert f"{bad}:" in run.err and "hashtags[0]: malformed hashtag '#crumbling schools'" in run.err


def test_config_import_prints_changes_then_no_changes(listener) -> None:  # type: ignore[no-untyped-def]
    first = listener("config", "import")
    assert "+ department dhsc (Department of Health and Social Care)" in first.out
    again = listener("config", "import")
    assert again.out == "" and "no changes" in again.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", '"waiting list'), 'unbalanced quote: the " at column 1 is never closed'),
        (("search", "nhs OR"), "OR at column 5 needs a term on each side"),
        (("search", "nhs", "--department", "nope"), "--department: no department 'nope'"),
        (("search", "nhs", "--sentiment", "angry"), "--sentiment: 'angry' is not one of"),
        (("search", "nhs", "--since", "last week"), "--since: 'last week' is not a date"),
        (("search", "nhs", "--format", "xml"), "--format: 'xml' is not one of"),
        (("thread", "x:999"), "post 'x:999': not found"),
        (("import", "missing.jsonl", "--format", "twarc2"), "missing.jsonl: no such file"),
        (("import", "missing.jsonl", "--format", "xml"), "--format: 'xml' is not one of"),
    ],
)
def test_bad_input_gets_one_line_and_exit_1(loaded, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    run = loaded(*args)
    assert run.code == 1
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("listener: error: ")
    assert message in lines[0]
    assert "Traceback" not in run.err


def test_import_summary_counts_assignments_once_and_says_when_none_are_new(
    listener, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "nhs.jsonl"
    path.write_text(page(tweet("1", "Strike #NHS"), tweet("2", "Waits #NHS", author_id="2")) + "\n")
    listener("config", "import")
    first = listener("import", str(path), "--format", "twarc2")
    assert "2 new posts, 0 already stored" in first.err
    assert "assigned to departments: dhsc 2\n" in first.err
    again = listener("import", str(path), "--format", "twarc2")
    assert "0 new posts, 2 already stored" in again.err
    assert "assigned to departments: none new (every matching post already was)" in again.err


def test_search_table_shows_hostile_text_inert(loaded) -> None:  # type: ignore[no-untyped-def]
    run = loaded("search", "#nhs")
    assert run.code == 0 and "3 results" in run.err
    assert "\x1b" not in run.out  # escape sequences shown, never sent to the terminal
    assert "\\x1b[31mred" in run.out
    assert "[bold]markup[/bold]" in run.out  # rich markup in a post is text, not style


def test_search_json_and_jsonl_carry_the_promised_fields(loaded) -> None:  # type: ignore[no-untyped-def]
    records = json.loads(loaded("search", "#nhs", "--format", "json").out)
    assert len(records) == 3
    fields = {"platform", "native_id", "url", "author", "created_at", "text", "metrics",
              "sentiment", "lang", "departments"}  # fmt: skip
    assert fields <= set(records[0])
    assert records[0]["departments"] == ["dhsc"]
    lines = loaded("search", "strike", "--format", "jsonl").out.splitlines()
    assert [json.loads(line)["native_id"] for line in lines] == ["1"]


def test_search_csv_neutralises_formulas_and_writes_files(loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "results.csv"
    run = loaded("search", "waiting", "--format", "csv", "-o", str(out))
    assert run.code == 0 and run.out == "" and f"written to {out}" in run.err
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[0]["text"].startswith("'=HYPERLINK")


def test_search_limit_zero_returns_everything(loaded) -> None:  # type: ignore[no-untyped-def]
    assert "3 results" in loaded("search", "#nhs", "--limit", "0").err
    assert "1 result" in loaded("search", "#nhs", "--limit", "1").err


def test_thread_prints_the_tree(loaded) -> None:  # type: ignore[no-untyped-def]
    run = loaded("thread", "x:1")
    assert run.code == 0 and run.out.startswith("x:1 @alice")


def test_import_reports_bad_rows_and_strict_fails(listener, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mixed.jsonl"
    path.write_text(page(tweet("1", "fine #NHS")) + "\n{oops\n")
    listener("config", "import")
    run = listener("import", str(path), "--format", "twarc2")
    assert run.code == 0
    assert f"{path}:2: not valid JSON" in run.err and "1 new posts" in run.err
    assert listener("import", str(path), "--format", "twarc2", "--strict").code == 1


def _post_count(database_url: str) -> int:
    from listener.store.db import create_engine
    from listener.store.queries import store_counts

    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = store_counts(conn)["posts"]
    engine.dispose()
    return count


def test_a_bad_config_changes_nothing_stored(loaded, tmp_path: Path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE_CONFIG.read_text().replace("slug: dfe", "slug: dhsc"))
    run = loaded("config", "import", str(bad))
    assert run.code == 1 and "duplicate slug 'dhsc'" in run.err
    assert loaded("config", "import").err.strip().endswith("no changes")
    assert _post_count(database_url) == 3


def test_a_file_of_bad_rows_loses_and_duplicates_nothing(
    loaded, tmp_path: Path, database_url: str
) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        page({"id": "1", "text": "no date any more"}, tweet("1", ""))
        + "\n"  # bad versions of post 1
        + page(tweet("1", "Junior doctors strike again #NHS"), tweet("9", "new one #NHS"))
        + "\n"
    )
    run = loaded("import", str(broken), "--format", "twarc2")
    assert run.code == 0
    assert f"{broken}:1: data[0]: missing field 'created_at'" in run.err
    assert f"{broken}:1: data[1]: missing field 'text'" in run.err
    assert "1 new posts, 1 already stored, 2 bad rows skipped" in run.err
    assert _post_count(database_url) == 4
    assert "Junior doctors strike again" in loaded("search", "strike", "--format", "jsonl").out


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://bob:hunter2@127.0.0.1:1/x", "cannot use the database: connection failed"),
        ("sqlite:////proc/no-such-dir/x.db", "cannot create the folder /proc/no-such-dir"),
        ("mysql://root@localhost/x", "LISTENER_DATABASE_URL: unsupported database 'mysql'"),
    ],
)
def test_an_unusable_database_is_one_line_without_secrets(
    listener, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LISTENER_DATABASE_URL", url)
    for command in (("init",), ("search", "nhs")):
        run = listener(*command)
        assert run.code == 1, command
        lines = run.err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], lines
        assert "hunter2" not in run.err
