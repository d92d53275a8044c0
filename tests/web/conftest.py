"""The web app on each engine, with the example departments and one account per role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from listener import accounts, jobs
from listener.configfile import load_config
from listener.settings import Settings
from listener.web.app import create_app
from tests.conftest import EXAMPLE_CONFIG

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class People:
    admin: str = "admin@example.gov.uk"
    editor: str = "editor@dhsc.example.gov.uk"  # dhsc only
    viewer: str = "viewer@dft.example.gov.uk"  # dft only


def add_people(engine: sa.Engine) -> People:
    people = People()
    accounts.add_user(engine, email=people.admin, role="admin", departments=[], password=PASSWORD)
    accounts.add_user(
        engine, email=people.editor, role="editor", departments=["dhsc"], password=PASSWORD
    )
    accounts.add_user(
        engine, email=people.viewer, role="viewer", departments=["dft"], password=PASSWORD
    )
    return people


@pytest.fixture
def web_engine(engine: sa.Engine) -> sa.Engine:
    jobs.sync_config(engine, load_config(EXAMPLE_CONFIG))
    add_people(engine)
    return engine


@pytest.fixture
def client(web_engine: sa.Engine) -> Iterator[TestClient]:
    settings = Settings(config=EXAMPLE_CONFIG, secret_key=SecretStr("test-secret-key"))
    app = create_app(settings, engine=web_engine)
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the CSRF token of the new session."""
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "csrf_token": form_token(page.text),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return form_token(client.get("/account").text)
