"""Where the AWS APIs come from on a laptop: ``AWS_ENDPOINT_URL`` if the user set one (LocalStack, AWS),
else an embedded moto server on 127.0.0.1 with Step Functions execution switched on: SQS, S3,
EventBridge and Step Functions (and DynamoDB only where DynamoDB Local cannot run, see ``run.py``).

Either way, this process's settings and AWS clients are pointed at the endpoint afterwards;
``point_dynamodb_at`` then sends DynamoDB alone to DynamoDB Local.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import threading
from dataclasses import dataclass

from infra.local.ports import LOOPBACK, PortInUse, any_free_port, is_free

DEFAULT_PORT = 5000
START_TIMEOUT_SECONDS = 15.0
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "deskflowlocal",  # DynamoDB Local accepts letters and digits only
    "AWS_SECRET_ACCESS_KEY": "deskflow-local",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class EmulatorError(RuntimeError):
    """The embedded emulator could not be started or configured."""


@dataclass
class Emulator:
    endpoint_url: str
    server: object | None = None  # moto's ThreadedMotoServer when embedded

    @property
    def embedded(self) -> bool:
        return self.server is not None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def start_emulator(requested_port: int | None = None, external_endpoint_url: str | None = None) -> Emulator:
    """Use ``external_endpoint_url`` if given; otherwise start moto on ``requested_port`` (default: 5000
    if free, else any free port). Raises PortInUse when an explicitly requested port is taken."""
    if external_endpoint_url:
        if not _credentials_available():
            # LocalStack accepts any key; without one botocore refuses to sign a single call.
            _set_dummy_credentials()
        _point_process_at(external_endpoint_url)
        return Emulator(endpoint_url=external_endpoint_url)
    port = _choose_port(requested_port)
    # Step Functions service integrations inside moto call http://localhost:$MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    server = _start_moto(port)
    endpoint_url = f"http://{LOOPBACK}:{port}"
    try:
        _enable_step_functions_execution(port)
    except Exception:
        server.stop()
        raise
    _set_dummy_credentials()
    _point_process_at(endpoint_url)
    return Emulator(endpoint_url=endpoint_url, server=server)


def _choose_port(requested_port: int | None) -> int:
    if requested_port is not None:
        if not is_free(requested_port):
            raise PortInUse(requested_port, "embedded AWS emulator", "DESKFLOW_EMULATOR_PORT")
        return requested_port
    return DEFAULT_PORT if is_free(DEFAULT_PORT) else any_free_port()


def _start_moto(port: int):
    from moto.server import ThreadedMotoServer

    # werkzeug would log every emulated AWS call (one per SQS long poll) to stderr.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    # ThreadedMotoServer.start() waits without a timeout for a bind that may fail in its thread
    # (a port taken between our check and its bind): wait for it from a helper thread instead.
    starter = threading.Thread(target=server.start, name="moto-starter", daemon=True)
    starter.start()
    starter.join(START_TIMEOUT_SECONDS)
    if starter.is_alive():
        raise EmulatorError(f"moto server did not start on {LOOPBACK}:{port} within {START_TIMEOUT_SECONDS:.0f}s")
    return server


def _enable_step_functions_execution(port: int) -> None:
    """Must run before any state machine is created: switching it replaces moto's store."""
    body = json.dumps({"stepfunctions": {"execute_state_machine": True}})
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        connection.request("POST", "/moto-api/config", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    if response.status >= 300:
        raise EmulatorError(f"POST /moto-api/config answered {response.status}")
    # GET /moto-api/config does not report this switch; the server runs in this process, so read it here.
    from moto.core.config import default_user_config

    if not default_user_config.get("stepfunctions", {}).get("execute_state_machine"):
        raise EmulatorError("moto did not accept the Step Functions execution switch")


def _credentials_available() -> bool:
    import boto3

    return boto3.session.Session().get_credentials() is not None


def _set_dummy_credentials() -> None:
    for name, value in DUMMY_CREDENTIALS.items():
        os.environ.setdefault(name, value)


def point_dynamodb_at(endpoint_url: str) -> None:
    """Send this process's DynamoDB calls (boto3 and PynamoDB) to ``endpoint_url``, the rest stays put."""
    from chalicelib.aws import reset_clients
    from chalicelib.settings import reset_settings

    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint_url
    reset_settings()
    reset_clients()


def _point_process_at(endpoint_url: str) -> None:
    from chalicelib.aws import reset_clients
    from chalicelib.settings import reset_settings

    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    reset_settings()
    reset_clients()
