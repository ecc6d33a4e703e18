"""Drive ``python -m infra.local.run`` as a subprocess, the way a developer runs ``make run``."""

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
from pathlib import Path

from infra.local.ports import any_free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "deskflow-demo"
HEALTH_TIMEOUT_SECONDS = 120  # a cold JVM, bootstrap and seeding on a loaded 2-core machine
STOP_TIMEOUT_SECONDS = 20
# Point the suite at LocalStack (or another endpoint) instead of the embedded moto server.
EXTERNAL_ENDPOINT = os.environ.get("DESKFLOW_INTEGRATION_ENDPOINT_URL")


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


@dataclass
class LocalStackProcess:
    state_dir: Path
    log_path: Path
    api_port: int = 0
    emulator_port: int = 0
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

    def environment(self) -> dict:
        env = dict(os.environ)
        env.pop("AWS_ENDPOINT_URL", None)
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
        return env

    def start(self) -> None:
        self.api_port, self.emulator_port = any_free_port(), any_free_port()
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "infra.local.run"],
                cwd=REPO_ROOT,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_healthy()
        self.startup_seconds.append(time.monotonic() - started)

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the stack exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if call("GET", f"{self.api_url}/health", timeout=2).status == 200:
                    return
            except OSError:
                pass  # not listening yet, or still bootstrapping
            time.sleep(0.2)
        raise AssertionError(f"no healthy /health within {HEALTH_TIMEOUT_SECONDS}s:\n{self.log_tail()}")

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

    def restart(self) -> None:
        exit_code = self.stop()
        assert exit_code == 0, self.log_tail()
        self.start()

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def aws_client(self, service: str):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.emulator_url,
            region_name=os.environ.get("AWS_REGION", "us-east-1"),
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        )
