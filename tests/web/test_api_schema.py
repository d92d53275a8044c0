"""The JSON API keeps to its OpenAPI document: schemathesis finds no 5xx and no schema violation.

Every operation in /api/v1/openapi.json is called in-process with inputs schemathesis
generates from the document (valid ones, then invalid ones), as an administrator with a
bearer token, on both engines, over a store holding a few posts in two departments and an
archived digest. Each response must not be a server error, must have a status code and
content type the document lists for that operation, and must match the documented schema.
The examples are derandomised and bounded, so a run is repeatable and stays short.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from listener import jobs
from listener.models import utcnow
from listener.settings import Settings
from listener.store import digests as store_digests
from listener.store import users as store_users
from listener.store import weekly
from listener.store.db import write_transaction
from listener.web.app import create_app
from listener.web.deps import web_state
from tests.conftest import EXAMPLE_CONFIG
from tests.digest.factories import make_context
from tests.web.conftest import People

OPENAPI = "/api/v1/openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 12  # per operation and per mode: about 2 x 12 calls for each operation
OPERATION_BUDGET = 8.0  # seconds: a slow operation is reported, not waited on for ever
POSTS = [  # (native id, department, text)
    ("9200000000000000001", "dhsc", "Waiting list for a GP appointment is 3 weeks #NHS"),
    ("9200000000000000002", "dhsc", "Junior doctors strike again next week #JuniorDoctors"),
    ("9200000000000000003", "dft", "Rail fares up again, trains still late #Rail"),
    ("9200000000000000004", "dft", "<img src=x onerror=alert(1)> potholes everywhere"),
]


@dataclass(frozen=True)
class Api:
    """The app under test and an administrator's bearer token for it."""

    app: FastAPI
    token: str


def _add_posts(engine: sa.Engine, folder: Path) -> None:
    """A few scored posts in dhsc and dft, imported as listener's own JSON Lines."""
    for native_id, department, text in POSTS:
        record = {
            "platform": "x",
            "native_id": native_id,
            "text": text,
            "created_at": "2026-11-17T09:30:00Z",
            "url": f"https://x.com/someone/status/{native_id}",
            "lang": "en",
            "author": {"native_id": "u-someone", "handle": "someone", "name": "Some One"},
        }
        path = folder / f"{native_id}.jsonl"
        path.write_text(json.dumps(record) + "\n", encoding="utf-8")
        jobs.import_file(
            engine, jobs.ImportRequest(path=path, format="jsonl", department=department)
        )
    jobs.analyze(engine, workers=1)


def _archive_digest(engine: sa.Engine) -> None:
    with write_transaction(engine) as conn:
        desnz = weekly.departments(conn, "desnz")[0]
        store_digests.archive(conn, desnz.id, make_context(), now=utcnow())


@pytest.fixture
def api(web_engine: sa.Engine, tmp_path: Path) -> Iterator[Api]:
    _add_posts(web_engine, tmp_path)
    _archive_digest(web_engine)
    settings = Settings(config=EXAMPLE_CONFIG, secret_key=SecretStr("schema-test-secret"))
    app = create_app(settings, engine=web_engine)
    with web_engine.connect() as conn:
        admin = store_users.by_email(conn, People.admin)
    assert admin is not None
    yield Api(app=app, token=web_state_of(app).auth.new_token(admin.id, "schemathesis"))


def web_state_of(app: FastAPI) -> Any:
    class _Request:  # web_state reads request.app.state.web
        pass

    request = _Request()
    request.app = app  # type: ignore[attr-defined]
    return web_state(request)  # type: ignore[arg-type]


def test_the_openapi_document_is_served_and_valid(api: Api) -> None:
    with TestClient(api.app) as client:
        response = client.get(OPENAPI)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "listener API"
    # Pages are not part of the API: only their JSON twins under /api/v1 are described.
    assert [p for p in document["paths"] if not p.startswith("/api/v1/")] == []
    schemathesis.openapi.from_asgi(OPENAPI, api.app).validate()


def _fuzz(operation: Any, token: str) -> str | None:
    """Run one operation's generated cases; the first failure's description, or None."""
    headers = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()

    @given(case=operation.as_strategy(schemathesis.GenerationMode.POSITIVE))
    @settings(**_bounded())
    def positive(case: Any) -> None:
        _call(case, headers, started)

    @given(case=operation.as_strategy(schemathesis.GenerationMode.NEGATIVE))
    @settings(**_bounded())
    def negative(case: Any) -> None:
        _call(case, headers, started)

    for run in (positive, negative):
        try:
            run()
        except _OutOfTime:
            return None
        except Unsatisfiable:  # no input to get wrong (no parameters, no body): nothing to do
            continue
        except (FailureGroup, Exception) as exc:  # a check failed, or the call did
            return f"{operation.label}: {exc}"
    return None


class _OutOfTime(Exception):
    """This operation has had its share of the time; stop generating for it."""


def _bounded() -> dict[str, Any]:
    return {
        "max_examples": MAX_EXAMPLES,
        "deadline": None,
        "derandomize": True,  # the same cases on every run: a failure here is reproducible
        "database": None,
        "phases": [Phase.explicit, Phase.generate],  # no shrinking: report the first failure
        "suppress_health_check": list(HealthCheck),
    }


def _call(case: Any, headers: dict[str, str], started: float) -> None:
    if time.monotonic() - started > OPERATION_BUDGET:
        raise _OutOfTime
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)


def test_schemathesis_finds_no_server_error_or_schema_violation(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi(OPENAPI, api.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the API document lists no operations"
    failures = [f for f in (_fuzz(op, api.token) for op in operations) if f is not None]
    assert not failures, "\n\n".join(failures)
