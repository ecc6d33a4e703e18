"""Schemathesis against the real local server: no 5xx, and every response keeps to the document.

Starts ``python -m infra.local.run`` on free ports with its state in a temporary folder, logs in
as the demo admin, and runs the schemathesis CLI (all phases) with the checks below. Its output
is the assertion message. The coverage phase sends every case the schema defines (max-examples
does not bound it); ``MAX_EXAMPLES`` bounds fuzzing and stateful, and ``PROCESSES`` schemathesis
runs, each over its share of the operations, keep it to a few minutes on two cores.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.waiting import wait_until

pytestmark = pytest.mark.contract

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
# The run waits on the server far more than it computes (about 17 requests a second with one core half
# idle), so the operations are split between processes. Not schemathesis's own --workers: its threads hit
# CPython 3.11's ast.parse thread-safety bug ("AST constructor recursion depth mismatch") in Hypothesis.
PROCESSES = 3
MAX_EXAMPLES = 10  # about 150 operations now: 25 each no longer fits the timeout on 2 cores
DEMO_WORKSPACE = "demo"
DEMO_ADMIN = "admin@example.com"
DEMO_PASSWORD = "contract-demo-password"
STARTUP_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 60
SCHEMATHESIS_TIMEOUT_SECONDS = 900


@dataclass
class LocalServer:
    process: subprocess.Popen
    api_url: str
    log_path: Path

    def log_tail(self, lines: int = 40, width: int = 300) -> str:
        """The last lines of the server's log, each cut short (fuzzed URLs can be kilobytes long)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(line[:width] for line in text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(method: str, url: str, body: dict | None = None, timeout: float = 10) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def server_environment(state_dir: Path, api_port: int, emulator_port: int) -> dict:
    environment = {name: value for name, value in os.environ.items() if name != "AWS_ENDPOINT_URL"}
    environment.update(
        PORT=str(api_port),
        DESKFLOW_EMULATOR_PORT=str(emulator_port),
        DESKFLOW_STATE_DIR=str(state_dir),
        DESKFLOW_TABLE_PREFIX="deskflow-contract",
        DESKFLOW_SEED="1",
        DESKFLOW_DEMO_PASSWORD=DEMO_PASSWORD,
        PYTHONUNBUFFERED="1",
    )
    return environment


def wait_until_healthy(server: LocalServer) -> None:
    def healthy() -> bool:
        if server.process.poll() is not None:
            pytest.fail(f"the local server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            return http("GET", f"{server.api_url}/health", timeout=2)[0] == 200
        except OSError:
            return False  # not listening yet

    failure = lambda: f"no healthy /health within {STARTUP_TIMEOUT_SECONDS}s:\n{server.log_tail()}"  # noqa: E731
    wait_until(healthy, STARTUP_TIMEOUT_SECONDS, failure, interval=0.5)


def stop(server: LocalServer) -> None:
    """Ctrl-C, as a developer stops it; killed only if it does not stop in time."""
    if server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGINT)
    try:
        server.process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(10)


@pytest.fixture(scope="module")
def local_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("local-server")
    api_port, emulator_port = free_port(), free_port()
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.run"],
            cwd=REPO_ROOT,
            env=server_environment(folder / "state", api_port, emulator_port),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LocalServer(process, f"http://127.0.0.1:{api_port}", log_path)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        stop(server)


def admin_token(server: LocalServer) -> str:
    status, body = http("POST", f"{server.api_url}/api/v1/auth/login", {"email": DEMO_ADMIN, "password": DEMO_PASSWORD})
    assert status == 200, f"demo admin login answered {status}: {body[:500]!r}\n{server.log_tail()}"
    return json.loads(body)["token"]


def schemathesis_executable() -> str:
    for name in ("schemathesis", "st"):
        candidate = Path(sys.executable).parent / name
        if candidate.exists():
            return str(candidate)
    pytest.fail(f"no schemathesis console script next to {sys.executable}")


def schemathesis_command(server: LocalServer, token: str, phases: str, include_path_regex: str | None) -> list[str]:
    command = [
        schemathesis_executable(),
        "run",
        f"{server.api_url}/api/v1/openapi",
        "--header",
        f"Authorization: Bearer {token}",
        "--header",
        f"x-workspace-id: {DEMO_WORKSPACE}",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--request-timeout",
        "30",
        "--phases",
        phases,
        "--no-color",
        # Logout really signs the presented token out: fuzzing it would end the run's own session.
        "--exclude-path",
        "/api/v1/auth/logout",
    ]
    if include_path_regex is not None:
        command += ["--include-path-regex", include_path_regex]
    return command


def operation_shares(server: LocalServer, shares: int) -> list[str]:
    """Path regexes splitting the document's operations into ``shares`` groups of about equal size,
    by path prefix (``/api/v1/tickets...`` stays together), every operation in exactly one."""
    status, body = http("GET", f"{server.api_url}/api/v1/openapi")
    assert status == 200, f"the OpenAPI document answered {status}"
    sizes: dict[str, int] = {}
    for path, operations in json.loads(body)["paths"].items():
        segment = re.match(r"/api/v1/[^/]+|/[^/]*", path).group()
        sizes[segment] = sizes.get(segment, 0) + sum(1 for method in operations if method != "parameters")
    groups: list[list[str]] = [[] for _ in range(shares)]
    loads = [0] * shares
    for segment in sorted(sizes, key=lambda name: (-sizes[name], name)):
        lightest = loads.index(min(loads))
        groups[lightest].append(segment)
        loads[lightest] += sizes[segment]
    return ["^(" + "|".join(re.escape(segment) for segment in group) + ")(/|$)" for group in groups if group]


def test_schemathesis_finds_no_server_errors_or_contract_violations(local_server, tmp_path):
    token = admin_token(local_server)
    runs = [("examples,coverage,fuzzing", regex) for regex in operation_shares(local_server, PROCESSES)]
    runs.append(("stateful", None))  # links cross the shares: the stateful phase sees every operation

    # cwd: schemathesis keeps its example database and reports in the working directory, one per run.
    started = []
    for index, (phases, regex) in enumerate(runs):
        folder = tmp_path / f"run-{index}"
        folder.mkdir()
        command = schemathesis_command(local_server, token, phases, regex)
        process = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append((phases, regex, process))
    failures = []
    for phases, regex, process in started:
        output, _ = process.communicate(timeout=SCHEMATHESIS_TIMEOUT_SECONDS)
        if process.returncode != 0:
            failures.append(f"=== {phases} on {regex or 'every operation'}: exit {process.returncode}\n{output}")

    assert not failures, "\n".join(failures) + f"\n--- local server log (tail) ---\n{local_server.log_tail()}"
