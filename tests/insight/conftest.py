"""The bundled sample data, imported and analysed once per engine, for insight and digest tests."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa

from listener import insight, jobs
from listener.collectors.csvfile import CsvOptions, parse_mapping
from listener.configfile import ListenerConfig, load_config
from listener.demo import CONSULTATION_MAP
from listener.store.db import create_engine
from tests.conftest import EXAMPLE_CONFIG

SAMPLE = resources.files("listener") / "sample"
HOSTILE_POST = "x:2121750305572299530"


def load_sample(engine: sa.Engine, config: ListenerConfig) -> None:
    """What the demo does: config, X archive, consultation responses, analysis."""
    jobs.sync_config(engine, config)
    with resources.as_file(SAMPLE / "x_posts.twarc2.jsonl") as posts:
        jobs.import_file(engine, jobs.ImportRequest(path=posts, format="twarc2"))
    csv = CsvOptions(mapping=parse_mapping(CONSULTATION_MAP))
    with resources.as_file(SAMPLE / "consultation_responses.csv") as responses:
        jobs.import_file(
            engine,
            jobs.ImportRequest(path=responses, format="csv", department="mhclg", csv=csv),
        )
    jobs.analyze(engine, workers=1)
    insight.analyze_insight(engine, config)


@pytest.fixture(scope="session")
def sample_config() -> ListenerConfig:
    return load_config(EXAMPLE_CONFIG)


@pytest.fixture(scope="module")
def sample_sqlite(
    tmp_path_factory: pytest.TempPathFactory, sample_config: ListenerConfig
) -> Iterator[sa.Engine]:
    """A SQLite database holding the analysed sample data (read-only for tests)."""
    path: Path = tmp_path_factory.mktemp("sample") / "sample.db"
    engine = create_engine(f"sqlite:///{path}")
    jobs.init_database(engine)
    load_sample(engine, sample_config)
    yield engine
    engine.dispose()
