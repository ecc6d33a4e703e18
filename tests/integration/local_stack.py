"""Drive ``python -m infra.local.run`` as a subprocess, the way a developer runs ``make run``.

Tables live in DynamoDB Local when the machine has Java (``make dynamodb-local`` installs the jar; the
``dynamodb_local_installed`` fixture does it for the suite), else in the moto fallback. With
``DESKFLOW_INTEGRATION_ENDPOINT_URL`` set, everything lives there instead and no Java is needed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from infra.local.dynamodb_local import find_distribution, find_java
from infra.local.ports import any_free_port
from tests.waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "deskflow-demo"
HEALTH_TIMEOUT_SECONDS = 120  # a cold JVM, bootstrap and seeding on a loaded 2-core machine
DEMO_WORKSPACE = "demo"
STOP_TIMEOUT_SECONDS = 20
PORT_ATTEMPTS = 3
# Point the suite at LocalStack (or another endpoint) instead of the embedded moto server.
EXTERNAL_ENDPOINT = os.environ.get("DESKFLOW_INTEGRATION_ENDPOINT_URL")
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB")


@cache
def tables_in_dynamodb_local() -> bool:
    """What ``make run`` will choose here: DynamoDB Local unless an endpoint is given or Java is missing."""
    return not EXTERNAL_ENDPOINT and find_java() is not None and find_distribution() is not None


@dataclass
class Reply:
    status: int
    headers: object
    body: bytes

    def json(self):
        return json.loads(self.body)


def call(method: str, url: str, body=None, headers: dict | None = None, timeout: float = 10) -> Reply:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={**(headers or {})})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers, error.read())


def _distinct_free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(any_free_port())
    return list(ports)


def _port_taken(log_tail: str) -> bool:
    return "in use" in log_tail.lower()


def as_member(token: str, workspace: str = DEMO_WORKSPACE) -> dict:
    return {"Authorization": f"Bearer {token}", "x-workspace-id": workspace}


@dataclass
class LocalStackProcess:
    state_dir: Path
    log_path: Path
    api_port: int = 0
    emulator_port: int = 0
    dynamodb_port: int = 0
    process: subprocess.Popen | None = None
    startup_seconds: list[float] = field(default_factory=list)
    # Fresh tables per stack even on a shared endpoint (LocalStack), kept across its restarts.
    table_prefix: str = field(default_factory=lambda: f"deskflow-it-{uuid.uuid4().hex[:8]}")

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def emulator_url(self) -> str:
        return EXTERNAL_ENDPOINT or f"http://127.0.0.1:{self.emulator_port}"

    @property
    def dynamodb_url(self) -> str:
        return f"http://127.0.0.1:{self.dynamodb_port}" if tables_in_dynamodb_local() else self.emulator_url

    def environment(self) -> dict:
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_ENDPOINT_URL")}
        env.pop("JWT_SECRET", None)  # the unit tests' secret; make run makes its own in the state folder
        if EXTERNAL_ENDPOINT:
            env["AWS_ENDPOINT_URL"] = EXTERNAL_ENDPOINT
        env.update(
            PORT=str(self.api_port),
            DESKFLOW_EMULATOR_PORT=str(self.emulator_port),
            DESKFLOW_STATE_DIR=str(self.state_dir),
            DESKFLOW_TABLE_PREFIX=self.table_prefix,
            DESKFLOW_DEMO_PASSWORD=DEMO_PASSWORD,
            DESKFLOW_SEED="1",
            PYTHONUNBUFFERED="1",
        )
        if self.dynamodb_port:
            env["DESKFLOW_DYNAMODB_PORT"] = str(self.dynamodb_port)
        return env

    def start(self) -> None:
        """Start on free ports; pick others when one was taken between choosing and binding it (other
        programs on a busy machine open ports all the time)."""
        for attempt in range(PORT_ATTEMPTS):
            self.api_port, self.emulator_port, self.dynamodb_port = _distinct_free_ports(3)
            started = time.monotonic()
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "infra.local.run"],
                    cwd=REPO_ROOT,
                    env=self.environment(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                self._wait_healthy()
            except AssertionError:
                if attempt + 1 < PORT_ATTEMPTS and self.process.poll() is not None and _port_taken(self.log_tail(10)):
                    continue
                raise
            self.startup_seconds.append(time.monotonic() - started)
            return

    def _wait_healthy(self) -> None:
        def healthy() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the stack exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                return call("GET", f"{self.api_url}/health", timeout=2).status == 200
            except OSError:
                return False  # not listening yet, or still bootstrapping

        failure = lambda: f"no healthy /health within {HEALTH_TIMEOUT_SECONDS}s:\n{self.log_tail()}"  # noqa: E731
        wait_until(healthy, HEALTH_TIMEOUT_SECONDS, failure, interval=0.2)

    def stop(self) -> int:
        """Ctrl-C, as a developer would; returns the exit code (killed after STOP_TIMEOUT_SECONDS)."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise AssertionError(f"the stack did not stop on SIGINT:\n{self.log_tail()}") from None

    def kill(self) -> list[int]:
        """``kill -9``, as a crash would; returns the pids of what the stack had started (the JVM)."""
        import psutil

        children = [child.pid for child in psutil.Process(self.process.pid).children(recursive=True)]
        self.process.kill()
        self.process.wait(STOP_TIMEOUT_SECONDS)
        return children

    def restart(self) -> None:
        exit_code = self.stop()
        assert exit_code == 0, self.log_tail()
        self.start()

    def login(self, email: str = "agent@example.com") -> str:
        reply = call("POST", f"{self.api_url}/api/v1/auth/login", {"email": email, "password": DEMO_PASSWORD})
        assert reply.status == 200, reply.body
        return reply.json()["token"]

    def wait_for_log(self, text: str, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        wait_until(
            lambda: self.log_path.exists() and text in self.log_path.read_text(errors="replace"),
            timeout,
            lambda: f"{text!r} not in the log within {timeout}s:\n{self.log_tail()}",
            interval=0.01,
        )

    def counters(self, workspace_id: str = "demo") -> dict[str, int]:
        """The workspace's ticket counters, as the counters consumer keeps them (read consistently)."""
        item = (
            self.aws_client("dynamodb")
            .get_item(
                TableName=f"{self.table_prefix}-metrics",
                Key={"pk": {"S": f"WS#{workspace_id}"}, "sk": {"S": "COUNTERS#tickets"}},
                ConsistentRead=True,
            )
            .get("Item", {})
        )
        return {name: int(value["N"]) for name, value in item.items() if "N" in value}

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def aws_client(self, service: str):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.dynamodb_url if service == "dynamodb" else self.emulator_url,
            region_name=os.environ.get("AWS_REGION", "us-east-1"),
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        )
