"""The conversations API under concurrent load on loopback: requests/s and p50/p95/p99 latency.

    .venv/bin/python -m tests.benchmarks.bench_api --posts 200000 [--engine sqlite|postgresql|both]
        [--concurrency 8] [--duration 30] [--warmup 5]

For each engine: a fresh database, `listener init`, `listener config import`,
`listener import` of the cached synthetic week (see bench_import.cached_file) and
`listener analyze` (so results carry sentiment and kinds of voice, as in service);
then `listener users add` of a viewer of every department, and an API token made
the way the account page makes one (`Auth.new_token`, audited as token.create).

`listener serve --host 127.0.0.1 --port P` (a free port, LISTENER_SECRET_KEY set)
runs as a child. Once /healthz answers, client threads, each with its own
keep-alive httpx.Client and the bearer token, send GET /api/v1/conversations from
a reproducible mix (`request_mix`: a department's latest posts, words, phrases,
hashtags, a date range inside the synthetic week, each sort order, page 2),
unmeasured for --warmup seconds, then measured for --duration seconds: first one
client alone (the baseline: latency without queueing), then --concurrency
clients. Every response must be 200 with the shape of ConversationsOut,
its items consistent with the total and inside the department and dates asked
for; any other answer, or a failed connection, fails the run (exit status 1).

Server figures: its CPU seconds in the measured window (/proc/<pid>/stat), its
peak RSS (VmHWM, read just before it is stopped) and its whole life's CPU (wait4).
The client threads share the machine's two cores with the server: their CPU is
recorded too. On PostgreSQL the database server's own CPU is not in the server's.
The children run a snapshot of listener/ taken at the start. Results go to
tests/benchmarks/results/api-<date>.json and .md.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import random
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from ruamel.yaml import YAML

from tests.benchmarks import harness, synth
from tests.benchmarks.bench_import import (
    CONFIG,
    PG_ADMIN_URL,
    RESULTS,
    ROOT,
    _commit,
    cached_file,
    fingerprint,
    listener_command,
    listener_env,
    machine,
    machine_busy,
    measure,
    snapshot,
)
from tests.benchmarks.bench_search import PHRASES, TAGS, WORDS

ENDPOINT = "/api/v1/conversations"
PER_PAGE = 25  # the endpoint's default page size, as the Conversations page shows
READER = "api-bench@example.gov.uk"
TOKEN_NAME = "api benchmark"
SORTS = ("relevance", "newest", "oldest", "engaged")  # what the endpoint offers
WEEK_DAYS = [synth.WEEK_START.date() + timedelta(days=n) for n in range(7)]
# Words people type together without quotes: each pair occurs in the synthetic texts.
PAIRS = [
    "junior doctors",
    "waiting list",
    "social care",
    "energy bills",
    "price cap",
    "train cancellations",
    "school meals",
    "council tax",
    "bus fare",
    "social housing",
]
MIX_SIZE = 500  # requests in the reproducible mix; each client walks it from its own offset
OUT_KEYS = {"items", "total", "total_exact", "page", "pages", "per_page"}
ITEM_KEYS = {"id", "ref", "platform", "created_at", "text", "segments", "departments", "thread"}


# ---- the requests ---------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One GET of the endpoint: what kind of search it is and its query parameters."""

    kind: str
    params: dict[str, str]


def department_slugs() -> list[str]:
    """The example config's departments: the reader may see every one."""
    return [d["slug"] for d in YAML().load(CONFIG.read_text(encoding="utf-8"))["departments"]]


def request_mix(count: int, seed: int, departments: list[str]) -> list[Request]:
    """A reproducible mix of the searches a policy team makes through the API."""
    rng = random.Random(seed)

    def department() -> dict[str, str]:
        return {"department": rng.choice(departments)} if rng.random() < 0.5 else {}

    def days() -> dict[str, str]:
        first = rng.randrange(len(WEEK_DAYS))
        last = min(len(WEEK_DAYS) - 1, first + rng.randrange(3))
        return {"since": WEEK_DAYS[first].isoformat(), "until": WEEK_DAYS[last].isoformat()}

    shapes = [  # (weight, kind, parameters)
        (20, "latest in a department", lambda: {"department": rng.choice(departments)}),
        (20, "words", lambda: {"q": rng.choice(WORDS if rng.random() < 0.5 else PAIRS)}),
        (10, "phrase", lambda: {"q": rng.choice(PHRASES), **department()}),
        (15, "hashtag", lambda: {"q": rng.choice(TAGS), **department()}),
        (15, "date range", lambda: {"q": rng.choice(WORDS), **days(), **department()}),
        (10, "sorted", lambda: {"q": rng.choice(WORDS + TAGS), "sort": rng.choice(SORTS)}),
        (10, "page 2", lambda: {"q": rng.choice(WORDS + TAGS), **department(), "page": "2"}),
    ]
    weights = [w for w, _, _ in shapes]
    mix = []
    for _ in range(count):
        _, kind, make = rng.choices(shapes, weights=weights)[0]
        mix.append(Request(kind, make()))
    return mix


def answer(request: Request, response: httpx.Response) -> tuple[int, str | None]:
    """The total of results the answer reports, and what is wrong with it (None: nothing)."""
    if response.status_code != 200:
        return 0, f"HTTP {response.status_code}: {response.text[:200]}"
    try:
        body = response.json()
    except ValueError:
        return 0, f"not JSON: {response.text[:200]}"
    if not isinstance(body, dict) or not body.keys() >= OUT_KEYS:
        return 0, f"not a page of results: {str(body)[:200]}"
    return body["total"], _page_problem(request, body)


def _page_problem(request: Request, body: dict[str, Any]) -> str | None:
    page, total, items = int(request.params.get("page", "1")), body["total"], body["items"]
    expected = min(PER_PAGE, max(0, total - (page - 1) * PER_PAGE))
    if not body["total_exact"] and page * PER_PAGE > total:  # past a lower bound: any number
        expected = min(len(items), PER_PAGE)
    if (body["page"], body["per_page"]) != (page, PER_PAGE) or len(items) != expected:
        return f"page {body['page']} of {body['per_page']} holds {len(items)} items of {total}"
    if body["pages"] != max(1, math.ceil(total / PER_PAGE)):
        return f"{body['pages']} pages for {total} results"
    wrong = next((p for p in (_item_problem(request, item) for item in items) if p), None)
    return wrong or _order_problem(request, items)


def _order_problem(request: Request, items: list[dict[str, Any]]) -> str | None:
    """Newest (the default without words) and oldest must list items by time."""
    sort = request.params.get("sort") or ("" if request.params.get("q") else "newest")
    times = [datetime.fromisoformat(item["created_at"]) for item in items]
    if sort == "newest" and times != sorted(times, reverse=True):
        return f"sort=newest lists items out of time order: {times[:3]}..."
    if sort == "oldest" and times != sorted(times):
        return f"sort=oldest lists items out of time order: {times[:3]}..."
    return None


def _item_problem(request: Request, item: dict[str, Any]) -> str | None:
    if not item.keys() >= ITEM_KEYS:
        return f"item {item.get('id')} lacks {sorted(ITEM_KEYS - item.keys())}"
    department = request.params.get("department")
    if department and department not in item["departments"]:
        return f"item {item['id']} is not in {department}: {item['departments']}"
    day = datetime.fromisoformat(item["created_at"]).astimezone(UTC).date()
    since, until = request.params.get("since"), request.params.get("until")
    if since and not date.fromisoformat(since) <= day <= date.fromisoformat(until or since):
        return f"item {item['id']} of {day} is outside {since}..{until}"
    return None


# ---- the load -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One request as a client saw it."""

    kind: str
    start: float  # perf_counter when it was sent
    seconds: float
    total: int  # results the answer reported (0 when it failed)
    problem: str | None


@dataclass(frozen=True)
class Load:
    """How hard and how long to push, and with what."""

    base_url: str
    token: str
    mix: list[Request]
    concurrency: int
    warmup: float
    duration: float


def client(load: Load, number: int, until: float, samples: list[Sample]) -> None:
    """One client: requests from the mix, one after another on a keep-alive connection."""
    headers = {"Authorization": f"Bearer {load.token}"}
    position = number * len(load.mix) // load.concurrency
    # trust_env=False: no proxy settings from the environment on loopback.
    with httpx.Client(base_url=load.base_url, headers=headers, timeout=60, trust_env=False) as http:
        while (start := time.perf_counter()) < until:
            request = load.mix[position % len(load.mix)]
            position += 1
            try:
                total, wrong = answer(request, http.get(ENDPOINT, params=request.params))
            except httpx.HTTPError as exc:
                total, wrong = 0, f"{type(exc).__name__}: {exc}"
            seconds = time.perf_counter() - start
            samples.append(Sample(request.kind, start, seconds, total, wrong))


@dataclass
class Window:
    """The measured window: when it began and ended, and the CPU spent in it."""

    start: float = 0.0
    end: float = 0.0
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    machine_busy_cpu_seconds: float = 0.0  # every process on the machine, all cores
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)  # as the window starts
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)


def run_load(load: Load, server_pid: int) -> tuple[list[Sample], Window]:
    """Warm up, then measure: the samples sent inside the window, and the CPU it cost."""
    begin = time.perf_counter()
    window = Window(start=begin + load.warmup, end=begin + load.warmup + load.duration)
    per_client: list[list[Sample]] = [[] for _ in range(load.concurrency)]
    threads = [
        threading.Thread(target=client, args=(load, n, window.end, per_client[n]), daemon=True)
        for n in range(load.concurrency)
    ]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, window.start - time.perf_counter()))
    server, ours, busy = process_cpu(server_pid), time.process_time(), machine_busy()
    window.load_before = os.getloadavg()
    for thread in threads:
        thread.join()
    window.end = time.perf_counter()  # the last request sent in the window has finished
    window.server_cpu_seconds = process_cpu(server_pid) - server
    window.client_cpu_seconds = time.process_time() - ours
    window.machine_busy_cpu_seconds = machine_busy() - busy
    window.load_after = os.getloadavg()
    samples = [s for group in per_client for s in group if s.start >= window.start]
    return samples, window


def process_cpu(pid: int) -> float:
    """User plus system CPU seconds of a process (all its threads) so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- the server -------------------------------------------------------------------------


@dataclass
class Server:
    """`listener serve` as a child; its memory and whole-life CPU are filled in when it stops."""

    pid: int
    base_url: str
    peak_rss_mb: float = 0.0
    cpu_seconds: float = 0.0
    log: Path = field(default_factory=Path)


def free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(env: dict[str, str], workdir: Path) -> Iterator[Server]:
    """Run `listener serve` on a free loopback port until the block ends; then stop it."""
    port = free_port()
    command = [listener_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = workdir / "server.log"
    with log.open("wb") as out:
        child = subprocess.Popen(
            command, env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(child.pid, f"http://127.0.0.1:{port}", log=log)
    try:
        wait_until_up(server, child)
        yield server
    finally:
        server.peak_rss_mb = peak_rss_mb(child.pid)
        child.send_signal(signal.SIGTERM)
        try:
            _, status, usage = wait4(child.pid, timeout=30)
        except TimeoutError:
            child.kill()
            _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        server.cpu_seconds = usage.ru_utime + usage.ru_stime


def wait_until_up(server: Server, child: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Return once /healthz answers 200; SystemExit if the server exits or never answers."""
    deadline = time.perf_counter() + timeout
    with httpx.Client(base_url=server.base_url, timeout=5, trust_env=False) as http:
        while time.perf_counter() < deadline:
            if child.poll() is not None:
                raise SystemExit(f"listener serve exited:\n{server.log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if http.get("/healthz").status_code == 200:
                    return
            time.sleep(0.2)
    raise SystemExit(f"listener serve did not answer /healthz within {timeout:.0f} s")


def peak_rss_mb(pid: int) -> float:
    """The process's high-water resident memory (VmHWM), while it still runs."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return 0.0


def wait4(pid: int, *, timeout: float) -> tuple[int, int, resource.struct_rusage]:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        pid_done, status, usage = os.wait4(pid, os.WNOHANG)
        if pid_done:
            return pid_done, status, usage
        time.sleep(0.05)
    raise TimeoutError(f"process {pid} still running after {timeout:.0f} s")


# ---- setting up a database --------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What every engine runs, and how."""

    file: Path
    posts: int
    timeout: float  # seconds per setup step
    source: Path  # the snapshot of listener's source the children import
    seed: int
    concurrency: int
    warmup: float
    duration: float


@dataclass
class Step:
    """One measured setup child, for reference."""

    step: str
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float


@dataclass
class Pass:
    """One measured window at a number of clients."""

    clients: int
    figures: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)  # by kind of search


@dataclass
class EngineResult:
    """Everything measured on one engine."""

    engine: str
    setup: list[Step] = field(default_factory=list)
    passes: list[Pass] = field(default_factory=list)  # one client (the baseline), then N
    server: dict[str, float] = field(default_factory=dict)  # peak RSS and CPU over its life
    load_average_at_start: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def child_env(url: str, plan: Plan, secret_key: str) -> dict[str, str]:
    """A child's environment: the snapshot first, this repository next (for --child token)."""
    env = listener_env(url, plan.source)
    env["PYTHONPATH"] = os.pathsep.join((str(plan.source), str(ROOT)))
    env["LISTENER_SECRET_KEY"] = secret_key
    return env


@dataclass(frozen=True)
class Child:
    """Where setup children run."""

    env: dict[str, str]
    workdir: Path
    timeout: float


def run_step(result: EngineResult, name: str, command: list[str], child: Child) -> str:
    """Run a setup child, keep its figures; SystemExit with its output's end if it fails."""
    print(f"  {name} ...", flush=True)
    done = measure(command, env=child.env, cwd=child.workdir, timeout=child.timeout)
    if done.returncode != 0:
        raise SystemExit(
            f"{result.engine}: {name} exited {done.returncode}:\n{done.output[-3000:]}"
        )
    result.setup.append(
        Step(name, round(done.seconds, 2), round(done.cpu_seconds, 2), round(done.peak_rss_mb, 1))
    )
    return done.output


def set_up(result: EngineResult, child: Child, plan: Plan) -> str:
    """Load and analyse the week, add a reader of every department; return their API token."""
    listener = listener_command()
    steps = {
        "init": ["init"],
        "config import": ["config", "import"],
        "import": ["import", str(plan.file), "--format", "twarc2"],
        "analyze": ["analyze"],
    }
    for name, step in steps.items():
        run_step(result, name, [listener, *step], child)
    password = child.workdir / "password"
    password.write_text(secrets.token_urlsafe(24) + "\n")
    password.chmod(0o600)
    add = [listener, "users", "add", READER, "--role", "viewer", "--password-file", str(password)]
    for slug in department_slugs():
        add += ["--department", slug]
    run_step(result, "users add", add, child)
    made = [sys.executable, "-m", "tests.benchmarks.bench_api", "--child", "token"]
    output = run_step(result, "API token", made, child)
    line = next(line for line in reversed(output.splitlines()) if line.startswith("{"))
    token: str = json.loads(line)["token"]
    return token


def child_token(email: str) -> dict[str, str]:
    """An API token for `email`, made as the account page makes one (runs in the snapshot)."""
    from listener.models import utcnow
    from listener.settings import load_settings
    from listener.store import audit, users
    from listener.store.db import create_engine, write_transaction
    from listener.web.auth import Auth

    settings = load_settings()
    assert settings.secret_key is not None  # child_env sets it
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        account = users.by_email(conn, email)
    if account is None:
        raise SystemExit(f"no account {email}")
    auth = Auth(engine, secret=settings.secret_key.get_secret_value().encode())
    token = auth.new_token(account.id, TOKEN_NAME)
    with write_transaction(engine) as conn:  # as web.core.create_token records it
        audit.append(conn, actor=email, action="token.create", now=utcnow(), target=TOKEN_NAME)
    engine.dispose()
    return {"token": token}


# ---- one engine -------------------------------------------------------------------------


def bench_engine(result: EngineResult, url: str, plan: Plan, workdir: Path) -> None:
    """Set up the database at `url`, serve it, load the endpoint, keep the figures."""
    env = child_env(url, plan, secrets.token_hex(32))
    result.load_average_at_start = [round(v, 2) for v in os.getloadavg()]
    token = set_up(result, Child(env, workdir, plan.timeout), plan)
    mix = request_mix(MIX_SIZE, plan.seed, department_slugs())
    with serving(env, workdir) as server:
        for clients in sorted({1, plan.concurrency}):
            print(f"  {clients} clients: {plan.warmup:.0f} s warm-up, {plan.duration:.0f} s ...")
            load = Load(server.base_url, token, mix, clients, plan.warmup, plan.duration)
            samples, window = run_load(load, server.pid)
            result.passes.append(summarise(clients, samples, window))
            result.failures += failures(result.engine, clients, samples)
    result.server = {
        "peak_rss_mb": round(server.peak_rss_mb, 1),
        "lifetime_cpu_seconds": round(server.cpu_seconds, 2),
    }
    if "Application startup complete" not in server.log.read_text(errors="replace"):
        result.failures.append(f"{result.engine}: the server log shows no start-up")


def _ms(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of `values` (seconds) in milliseconds."""
    cuts = (
        statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    )
    return {
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def summarise(clients: int, samples: list[Sample], window: Window) -> Pass:
    """Throughput, latency, errors and CPU of a measured window, overall and by kind."""
    seconds = window.end - window.start
    good = [s.seconds for s in samples if not s.problem]
    done = Pass(clients)
    done.figures = {
        "requests": len(samples),
        "errors": len(samples) - len(good),
        "window_seconds": round(seconds, 2),
        "requests_per_second": round(len(samples) / seconds, 1),
        **(_ms(good) if good else {}),
        "server_cpu_seconds": round(window.server_cpu_seconds, 2),
        "server_cpu_ms_per_request": round(
            window.server_cpu_seconds * 1000 / max(1, len(samples)), 2
        ),
        "client_cpu_seconds": round(window.client_cpu_seconds, 2),
        "machine_busy_cpu_seconds": round(window.machine_busy_cpu_seconds, 2),
        "load_average_before": [round(v, 2) for v in window.load_before],
        "load_average_after": [round(v, 2) for v in window.load_after],
    }
    for kind in sorted({s.kind for s in samples}):
        mine = [s for s in samples if s.kind == kind and not s.problem]
        done.kinds[kind] = {
            "requests": len(mine),
            "empty": sum(1 for s in mine if s.total == 0),  # no results at all
            **(_ms([s.seconds for s in mine]) if mine else {}),
        }
    return done


def failures(engine: str, clients: int, samples: list[Sample]) -> list[str]:
    """Why the window fails the run: no answers, or any answer not a good page of results."""
    if not samples:
        return [f"{engine}, {clients} clients: no request finished in the window"]
    wrong = [s.problem for s in samples if s.problem]
    return [
        f"{engine}, {clients} clients: {len(wrong)} bad answers, e.g. {p}"
        for p in sorted(set(wrong))[:5]
    ]


# ---- reporting --------------------------------------------------------------------------


def tables(results: list[EngineResult], plan: Plan) -> str:
    """The figures as Markdown tables: overall, where the CPU went, then by kind of search."""
    passes = [(r, p) for r in results for p in r.passes]
    lines = [
        f"Conversations API: {plan.posts:,} posts; 1 client, then {plan.concurrency}, on loopback;"
        f" {plan.duration:.0f} s measured after {plan.warmup:.0f} s warm-up each.",
        "",
        "| engine | clients | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors"
        " | server peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r, p in passes:
        f = p.figures
        lines.append(
            f"| {r.engine} | {p.clients} | {f['requests']:,} | {f['requests_per_second']:,.1f}"
            f" | {f.get('p50_ms', '-')} | {f.get('p95_ms', '-')} | {f.get('p99_ms', '-')}"
            f" | {f.get('max_ms', '-')} | {f['errors']} | {r.server.get('peak_rss_mb', 0):,.0f} |"
        )
    lines += [
        "",
        "| engine | clients | window s | server CPU s | server CPU ms/request | client CPU s"
        " | machine busy CPU s | load avg before | load avg after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r, p in passes:
        f = p.figures
        lines.append(
            f"| {r.engine} | {p.clients} | {f['window_seconds']} | {f['server_cpu_seconds']}"
            f" | {f['server_cpu_ms_per_request']} | {f['client_cpu_seconds']}"
            f" | {f['machine_busy_cpu_seconds']} | {f['load_average_before'][0]:.2f}"
            f" | {f['load_average_after'][0]:.2f} |"
        )
    lines += [
        "",
        "| engine | clients | kind | requests | empty | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r, p in passes:
        for kind, k in p.kinds.items():
            lines.append(
                f"| {r.engine} | {p.clients} | {kind} | {k['requests']:,} | {k['empty']}"
                f" | {k.get('p50_ms', '-')} | {k.get('p95_ms', '-')} | {k.get('p99_ms', '-')} |"
            )
    return "\n".join(lines)


def report(
    args: argparse.Namespace, plan: Plan, results: list[EngineResult], *, source: dict[str, Any]
) -> int:
    """Print and record the results; exit status 1 if any answer was wrong."""
    markdown = tables(results, plan)
    print(markdown)
    failures = [f for r in results for f in r.failures]
    payload = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "posts": plan.posts,
        "seed": plan.seed,
        "file": {"name": plan.file.name, "bytes": plan.file.stat().st_size},
        "machine": machine(args.pg_admin_url if args.engine != "sqlite" else None),
        **source,
        "endpoint": ENDPOINT,
        "concurrency": plan.concurrency,
        "warmup_seconds": plan.warmup,
        "duration_seconds": plan.duration,
        "per_page": PER_PAGE,
        "mix": {"size": MIX_SIZE, "kinds": _kind_counts(plan)},
        "engines": [asdict(r) for r in results],
        "failures": failures,
    }
    print(f"results: {harness.record(args.results, 'api', payload, markdown)}")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


def uncommitted(hashes: dict[str, str]) -> dict[str, str]:
    """Files of the snapshot that differ from the commit (edits in progress it measured too),
    with the snapshot's hash of each, so a later commit can be checked against them."""
    differs = {}
    for path, digest in sorted(hashes.items()):
        in_repo = str(CONFIG.relative_to(ROOT)) if path == CONFIG.name else path
        shown = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"HEAD:{in_repo}"], capture_output=True, check=False
        )
        if shown.returncode != 0 or hashlib.sha256(shown.stdout).hexdigest()[:16] != digest:
            differs[in_repo] = digest
    return differs


def _kind_counts(plan: Plan) -> dict[str, int]:
    mix = request_mix(MIX_SIZE, plan.seed, department_slugs())
    return {kind: sum(1 for r in mix if r.kind == kind) for kind in sorted({r.kind for r in mix})}


def bench(engine: str, plan: Plan, pg_admin_url: str) -> EngineResult:
    """One engine in a temporary folder of its own."""
    result = EngineResult(engine)
    harness.on_engine(
        engine, "api", pg_admin_url, lambda url, workdir: bench_engine(result, url, plan, workdir)
    )
    return result


def main(argv: list[str] | None = None) -> int:
    """Command line: benchmark, print the tables, record the results."""
    args = _arguments(argv)
    if args.child == "token":
        print(json.dumps(child_token(READER)))
        return 0
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    file = cached_file(args.posts, args.seed)
    with tempfile.TemporaryDirectory(prefix="listener-bench-src-") as folder:
        source = Path(folder)
        hashes = snapshot(source)
        measured: dict[str, Any] = {
            "listener_commit": _commit(),
            "listener_source": fingerprint(hashes),
            "differs_from_commit": uncommitted(hashes),
        }
        plan = Plan(
            file,
            args.posts,
            args.timeout,
            source,
            args.seed,
            args.concurrency,
            args.warmup,
            args.duration,
        )
        results = [bench(engine, plan, args.pg_admin_url) for engine in engines]
        return report(args, plan, results, source=measured)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.bench_api", description=__doc__
    )
    parser.add_argument(
        "--posts", type=int, default=200_000, help="distinct posts (default 200000)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="synthetic file and mix seed (default 1)"
    )
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--duration", type=float, default=30, help="measured seconds (default 30)")
    parser.add_argument(
        "--warmup", type=float, default=5, help="unmeasured seconds first (default 5)"
    )
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help=f"default {PG_ADMIN_URL}")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per setup step")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where results go")
    parser.add_argument("--child", choices=("token",), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
