"""The JSON API keeps to its OpenAPI document: schemathesis finds no 5xx and no schema violation.

Every operation in /api/v1/openapi.json is called in-process, as an administrator with a
bearer token, on both engines, over a store holding a few posts in two departments, an
archived digest and the example watches. Each operation gets three runs: inputs generated
from the document, then valid and invalid inputs aimed at things that exist (a real
department, week, post, digest, watch, account and token), so the responses checked are
real answers, not only 404s. Each response must not be a server error, must have a status
code and content type the document lists for that operation, and must match its schema.
The examples are derandomised and bounded, so a run is repeatable and stays short.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from listener import accounts, jobs
from listener.models import utcnow
from listener.settings import Settings
from listener.store import digests as store_digests
from listener.store import users as store_users
from listener.store import watches as store_watches
from listener.store import weekly
from listener.store.db import write_transaction
from listener.store.queries import find_post
from listener.web.app import create_app
from listener.web.auth import Auth
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
MAX_EXAMPLES = 8  # per operation and per run: three runs, so about 24 calls an operation
OPERATION_BUDGET = 6.0  # seconds: a slow operation stops early rather than stretch the suite
POSTS = [  # (native id, department, text)
    ("9200000000000000001", "dhsc", "Waiting list for a GP appointment is 3 weeks #NHS"),
    ("9200000000000000002", "dhsc", "Junior doctors strike again next week #JuniorDoctors"),
    ("9200000000000000003", "dft", "Rail fares up again, trains still late #Rail"),
    ("9200000000000000004", "dft", "<img src=x onerror=alert(1)> potholes everywhere"),
]


def _add_posts(engine: sa.Engine, folder: Path) -> None:
    """A few scored posts in dhsc and dft (week 2026-W47), imported as listener's JSON Lines."""
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
        request = jobs.ImportRequest(path=path, format="jsonl", department=department)
        jobs.import_file(engine, request)
    jobs.analyze(engine, workers=1)


def _known_ids(engine: sa.Engine, auth: Auth) -> dict[str, Any]:
    """Path parameters naming things that exist, and that the fuzzing may change or remove."""
    with write_transaction(engine) as conn:
        dhsc, desnz = weekly.departments(conn, "dhsc")[0], weekly.departments(conn, "desnz")[0]
        # make_context() is a week of desnz: archived where it belongs.
        digest_id = store_digests.archive(conn, desnz.id, make_context(), now=utcnow())
        post = find_post(conn, f"x:{POSTS[0][0]}")
        watch = store_watches.listed(conn, dhsc.id)[0]
        editor = store_users.by_email(conn, People.editor)
    assert editor is not None
    auth.new_token(editor.id, "the editor's script")
    with engine.connect() as conn:
        token_id = store_users.tokens_of(conn, editor.id)[0].id
    return {
        "slug": "dhsc",
        "week": "2026-W47",
        "post_id": post.id,
        "digest_id": digest_id,
        "watch_id": watch.id,
        "user_id": editor.id,  # never the admin doing the calls
        "token_id": token_id,
    }


@dataclass
class Caller:
    """Calls the API as the admin, and puts the admin back if a call locked them out."""

    app: FastAPI
    engine: sa.Engine
    auth: Auth
    known: dict[str, Any] = field(default_factory=dict)
    token: str = ""

    def headers(self) -> dict[str, str]:
        if not self.token:
            self.restore_admin()
        return {"Authorization": f"Bearer {self.token}"}

    def restore_admin(self) -> None:
        """The fuzzing may revoke this token or demote or deactivate its owner: undo that."""
        accounts.add_user(
            self.engine, email=People.admin, role="admin", departments=[], password=None
        )
        with write_transaction(self.engine) as conn:
            admin = store_users.by_email(conn, People.admin)
            assert admin is not None
            store_users.set_active(conn, admin.id, active=True)
        self.token = self.auth.new_token(admin.id, "schemathesis")


@pytest.fixture
def caller(web_engine: sa.Engine, tmp_path: Path) -> Iterator[Caller]:
    _add_posts(web_engine, tmp_path)
    settings = Settings(config=EXAMPLE_CONFIG, secret_key=SecretStr("schema-test-secret"))
    app = create_app(settings, engine=web_engine)
    auth: Auth = app.state.web.auth
    yield Caller(app=app, engine=web_engine, auth=auth, known=_known_ids(web_engine, auth))


def test_the_openapi_document_is_served_and_valid(caller: Caller) -> None:
    with TestClient(caller.app) as client:
        response = client.get(OPENAPI)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "listener API"
    # Pages are not part of the API: only their JSON twins under /api/v1 are described.
    assert [p for p in document["paths"] if not p.startswith("/api/v1/")] == []
    schemathesis.openapi.from_asgi(OPENAPI, caller.app).validate()


class _OutOfTime(Exception):
    """This operation has had its share of the time; stop generating for it."""


def _settings() -> dict[str, Any]:
    return {
        "max_examples": MAX_EXAMPLES,
        "deadline": None,
        "derandomize": True,  # the same cases on every run: a failure here is reproducible
        "database": None,
        "phases": [Phase.explicit, Phase.generate],  # no shrinking: report the first failure
        "suppress_health_check": list(HealthCheck),
    }


def _runs(operation: Any, known: dict[str, Any]) -> list[Any]:
    """Strategies for one operation: generated, then aimed at things that exist."""
    generated = operation.as_strategy(schemathesis.GenerationMode.POSITIVE)
    aimed = {k: v for k, v in known.items() if k in operation.path_parameters}
    if not aimed:
        return [generated, operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)]
    return [
        generated,
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE, path_parameters=aimed),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE, path_parameters=aimed),
    ]


def _one_run(strategy: Any, call: Callable[[Any], None]) -> None:
    @given(case=strategy)
    @settings(**_settings())
    def run(case: Any) -> None:
        call(case)

    run()


def fuzz(caller: Caller, operation: Any) -> str | None:
    """Run one operation's generated cases; the first failure's description, or None."""
    started = time.monotonic()

    def call(case: Any) -> None:
        if time.monotonic() - started > OPERATION_BUDGET:
            raise _OutOfTime
        headers = caller.headers()
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # in-process, the app's own exception: a 500 when served
            raise AssertionError(
                f"the app raised {type(exc).__name__}: {exc} (a 500 when served), for\n"
                f"    {case.as_curl_command()}"
            ) from exc
        if response.status_code in (401, 403):  # a documented answer; then let the admin back in
            caller.restore_admin()
        case.validate_response(response, checks=CHECKS, headers=headers)

    for strategy in _runs(operation, caller.known):
        try:
            _one_run(strategy, call)
        except _OutOfTime:
            return None
        except Unsatisfiable:  # no input to get wrong (no parameters, no body): nothing to do
            continue
        except (FailureGroup, Exception) as exc:  # a check failed, or the call did
            return f"{operation.label}: {exc}"
    return None


def test_schemathesis_finds_no_server_error_or_schema_violation(caller: Caller) -> None:
    schema = schemathesis.openapi.from_asgi(OPENAPI, caller.app)
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            pytest.fail(f"schemathesis cannot read an operation in the document: {result.err()}")
        operations.append(result.ok())
    assert operations, "the API document lists no operations"
    failures = [f for f in (fuzz(caller, op) for op in operations) if f is not None]
    assert not failures, "\n\n".join(failures)
