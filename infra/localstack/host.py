"""One LocalStack 4.9.2 process in host mode on a free loopback port: started, awaited, always stopped."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from infra.local.ports import LOOPBACK, any_free_port
from infra.localstack import paths, process_group

READY_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 30
# What Deskflow uses; LocalStack loads each lazily, and DynamoDB's first call starts a JVM.
REQUIRED_SERVICES = ("dynamodb", "sqs", "s3", "events", "stepfunctions")
ACTIVE_STATES = ("available", "running")
REGION = "us-east-1"


def environment(root: Path, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_ENDPOINT_URL")}
    env.update(
        # Where /.dockerenv exists LocalStack would think it runs in its image and ignore FILESYSTEM_ROOT.
        OVERRIDE_IN_DOCKER="0",
        FILESYSTEM_ROOT=str(root),
        GATEWAY_LISTEN=f"{LOOPBACK}:{port}",
        SKIP_SSL_CERT_DOWNLOAD="1",
        DISABLE_EVENTS="1",
        DNS_ADDRESS="0",
        SQS_ENDPOINT_STRATEGY="path",
        PYTHONUNBUFFERED="1",
    )
    return env


class NotReady(RuntimeError):
    pass


@dataclass
class LocalStackHost:
    root: Path = paths.FILESYSTEM_ROOT
    log_path: Path = paths.LOG_FILE
    python: Path = paths.VENV_PYTHON
    port: int = 0
    command: tuple[str, ...] = ()
    process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        self.port = self.port or any_free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            # A session of its own, so stop() can end LocalStack and the JVM it starts, and nothing else.
            self.process = subprocess.Popen(
                self.command or (str(self.python), "-m", "localstack.runtime.main"),
                cwd=self.root,
                env=environment(self.root, self.port),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        self._until(deadline, self._services_listed, "its health endpoint to list the services")
        self._until(deadline, self._dynamodb_answers, "DynamoDB Local to answer")

    def _until(self, deadline: float, condition, what: str) -> None:
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NotReady(f"LocalStack exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if condition():
                    return
            except Exception as error:  # not listening yet, or the service is still starting
                last_error = error
            time.sleep(0.5)
        raise NotReady(f"LocalStack timed out waiting for {what} ({last_error!r}):\n{self.log_tail()}")

    def health(self) -> dict:
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=5)
        try:
            connection.request("GET", "/_localstack/health")
            response = connection.getresponse()
            if response.status != 200:
                raise NotReady(f"health answered {response.status}")
            return json.loads(response.read())
        finally:
            connection.close()

    def _services_listed(self) -> bool:
        services = self.health().get("services", {})
        return all(services.get(name) in ACTIVE_STATES for name in REQUIRED_SERVICES)

    def _dynamodb_answers(self) -> bool:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, read_timeout=60),
        )
        client.list_tables()
        return self.health()["services"].get("dynamodb") == "running"

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM to LocalStack's session (it shuts DynamoDB Local down), SIGKILL to whatever outlives the timeout."""
        if self.process is None:
            return
        process_group.end(self.process.pid, signal.SIGTERM, timeout)
        self.process.wait(5)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> LocalStackHost:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
