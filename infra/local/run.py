"""``make run``: the whole Deskflow stack on a laptop.

DynamoDB Local for the tables (durable on disk) and moto's server for SQS, S3, EventBridge and Step
Functions, or $AWS_ENDPOINT_URL for everything → bootstrap → restore the bucket snapshot → demo data →
API on http://127.0.0.1:$PORT → event runtime → periodic snapshots of what lives in moto.
Ctrl-C stops it in that order: the API finishes its in-flight requests first, the emulators go last.

    python -m infra.local.run
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from infra.local.config import LocalConfig, LocalConfigError, load_local_config, signing_secret
from infra.local.dynamodb_local import DynamoDBLocal, DynamoDBLocalError
from infra.local.emulator import Emulator, EmulatorError
from infra.local.ports import PortInUse

LOCAL_DEFAULTS = {
    "AUTH_MODE": "local",
    "POWERTOOLS_SERVICE_NAME": "deskflow",
    "POWERTOOLS_METRICS_NAMESPACE": "Deskflow",
    "LOG_FORMAT": "console",  # one readable line per request or event; JSON stays the default elsewhere
}

logger = logging.getLogger("infra.local.run")


class StartupError(RuntimeError):
    """The stack cannot start; the message says why and what to do."""


def apply_local_defaults(secret_file: Path, environ=None) -> None:
    """Fill in what a laptop needs and a deployment must set itself. The JWT secret is the state
    folder's own (``secret_file``), unless JWT_SECRET is set."""
    env = os.environ if environ is None else environ
    for name, value in LOCAL_DEFAULTS.items():
        env.setdefault(name, value)
    if env["AUTH_MODE"].strip().lower() == "local" and not env.get("JWT_SECRET"):
        env["JWT_SECRET"] = signing_secret(secret_file)


def moto_dynamodb_warning(reason: str) -> str:
    return (
        f"{reason}: the tables run in moto instead of DynamoDB Local. They live in memory, saved every "
        "DESKFLOW_SNAPSHOT_SECONDS (60 s) and on Ctrl-C, so a crash or kill -9 loses the writes since the last "
        "save, and requests slow down past a few hundred tickets. Install Java 17+ (openjdk-17-jre-headless) "
        "and run `make dynamodb-local` for durable, fast tables."
    )


class LocalStack:
    def __init__(self, config: LocalConfig):
        self.config = config
        self.emulator: Emulator | None = None  # moto's server, or the user's AWS_ENDPOINT_URL
        self.dynamodb: DynamoDBLocal | None = None  # None: tables in moto, or at the user's endpoint
        self.dynamodb_was_empty = False  # DynamoDB Local started on a folder without tables
        self.api = None
        self.events = None
        self.snapshots = None
        self.seed_report = None
        self.restored: dict[str, int] | None = None
        self.reloading = False
        self._state_lock = None

    @property
    def tables_in_moto(self) -> bool:
        """The tables live in moto's memory (no Java): only snapshots keep them."""
        if self.emulator is None or not self.emulator.embedded:
            return False
        return self.dynamodb is None and not self.config.external_dynamodb_endpoint_url

    def start(self) -> None:
        from infra.bootstrap import bootstrap
        from infra.local.event_runtime import EventRuntime
        from infra.local.gateway import open_local_api
        from infra.local.redelivery import redeliver_unconsumed
        from infra.local.reload import ReloadingServices, reload_enabled

        self._lock_state_dir()
        self._launch_dynamodb_local()  # the JVM warms up while the API and moto load
        # Bind the API port first, so a taken port fails before anything else starts. With reload on,
        # a child process serves the API and runs the event runtime, restarted on code changes.
        self.reloading = reload_enabled()
        self.api = ReloadingServices(self.config.api_port) if self.reloading else open_local_api(self.config.api_port)
        self._start_emulators()
        bootstrap()
        if self.emulator.embedded:
            self._restore()
            self._keep_confirmed_files()
        redeliver_unconsumed()  # queues do not outlive the emulator; the outbox and receipts do
        if self.config.seed:
            self._seed()
        if not self.reloading:  # the reloading child checks its functions itself
            self._check_functions()
        self.api.serve_in_background()
        if not self.reloading:
            self.events = EventRuntime()
            self.events.start()
        if self.emulator.embedded:
            from infra.local.persistence import PeriodicSnapshots

            self.snapshots = PeriodicSnapshots(
                self.config.state_file, self.config.snapshot_seconds, include_tables=self.tables_in_moto
            )
            self.snapshots.start()

    def _lock_state_dir(self) -> None:
        """Two stacks on one state folder would share one database file and overwrite each other's snapshots."""
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        handle = self.config.lock_file.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StartupError(
                f"another Deskflow is running on {self.config.state_dir}: stop it first, "
                "or set DESKFLOW_STATE_DIR to another folder"
            ) from None
        self._state_lock = handle  # held until this process ends, however it ends

    def _launch_dynamodb_local(self) -> None:
        """Start DynamoDB Local's JVM unless the user gave an endpoint; without Java, say what moto costs."""
        from infra.local.dynamodb_local import find_distribution, find_java, holds_tables, launch_dynamodb_local

        config = self.config
        if config.external_endpoint_url or config.external_dynamodb_endpoint_url:
            return
        java, distribution = find_java(), find_distribution()
        if java is None:
            print(f"WARNING: {moto_dynamodb_warning('No Java 17 or newer found')}", file=sys.stderr, flush=True)
        elif distribution is None:
            reason = "DynamoDB Local is not installed (`make run` installs it)"
            print(f"WARNING: {moto_dynamodb_warning(reason)}", file=sys.stderr, flush=True)
        else:
            self.dynamodb_was_empty = not holds_tables(config.dynamodb_dir)
            self.dynamodb = launch_dynamodb_local(config.dynamodb_dir, config.dynamodb_port, java, distribution)

    def _start_emulators(self) -> None:
        """moto's server (or the user's endpoint), then wait for DynamoDB Local and point DynamoDB at it."""
        from infra.local.emulator import point_dynamodb_at, start_emulator

        self.emulator = start_emulator(self.config.emulator_port, self.config.external_endpoint_url)
        if self.dynamodb is not None:
            try:
                self.dynamodb.wait_until_ready()
            except DynamoDBLocalError as error:
                raise StartupError(str(error)) from error
            point_dynamodb_at(self.dynamodb.endpoint_url)

    def _check_functions(self) -> None:
        """Say at start, not on the first request, when a route family has no working function."""
        invoker = self.api.gateway.invoker
        for family in sorted(self.api.gateway.routes.families - invoker.families()):
            logger.error("route family %s is missing from API_FUNCTIONS (infra/functions.py): it answers 500", family)
        for family, failure in invoker.warm().items():
            logger.error("the function of route family %s does not import (it answers 500): %s", family, failure)

    def _restore(self) -> None:
        """The bucket always; the tables when they live in moto, or once into an empty DynamoDB Local
        (a state folder from before DynamoDB Local moves its tables there on its first start)."""
        from infra.local.persistence import load_state

        try:
            include_tables = self.tables_in_moto or (self.dynamodb is not None and self.dynamodb_was_empty)
            self.restored = load_state(self.config.state_file, include_tables)
        except (ValueError, RuntimeError) as error:
            raise StartupError(
                f"cannot restore {self.config.state_file}: {error}\n"
                "Move it away, or run `make reset` to start from empty tables."
            ) from error

    def _keep_confirmed_files(self) -> None:
        """Confirmed uploads outlive a kill -9: back into moto now, and kept on disk as they are confirmed."""
        from infra.local.persistence import restore_kept_objects, use_kept_files

        kept = restore_kept_objects(self.config.files_dir)
        if kept:
            self.restored = {**(self.restored or {}), "kept_files": kept}
        use_kept_files(self.config.files_dir)

    def _seed(self) -> None:
        from infra.seed import seed

        try:
            self.seed_report = seed(self.config.demo_password)
        except Exception:  # the API is still useful without demo data; say loudly why it is missing
            logger.error("demo data not seeded:\n%s", traceback.format_exc())

    def stop(self) -> None:
        """Stop what was started, newest first. The API goes first: it stops accepting and finishes its
        in-flight requests, so every answer it gave is in the tables (and in the last snapshot) before
        the event runtime, the snapshots and the emulators go."""
        steps = [
            ("the local API", self.api.stop if self.api else None),
            ("the event runtime", self.events.stop if self.events else None),
            ("the final snapshot", self.snapshots.stop if self.snapshots else None),
            ("the emulator", self.emulator.stop if self.emulator else None),
            ("DynamoDB Local", self.dynamodb.stop if self.dynamodb else None),
        ]
        for name, step in steps:
            if step is None:
                continue
            logger.info("stopping %s", name)
            try:
                step()
            except Exception:
                logger.exception("stopping %s failed", name)
        self.api = self.events = self.snapshots = self.emulator = self.dynamodb = None
        if self._state_lock is not None:
            self._state_lock.close()
            self._state_lock = None

    def storage_lines(self) -> list[str]:
        """Where the data lives, for the banner."""
        lines = []
        if self.dynamodb is not None:
            lines.append(
                f"  tables     {self.dynamodb.endpoint_url}   (DynamoDB Local, on disk in {self.config.dynamodb_dir})"
            )
        elif self.tables_in_moto:
            lines.append("  tables     in moto's memory, snapshotted: see the WARNING above")
        return lines

    def banner(self, seconds: float) -> str:
        from chalicelib.settings import get_settings

        api = self.api.url
        region = get_settings().region
        lines = [
            "",
            f"Deskflow is running (ready in {seconds:.1f}s)",
            f"  API        {api}   (health: {api}/health)",
            f"  API docs   {api}/api/v1/docs   (OpenAPI 3.1 JSON: {api}/api/v1/openapi)",
        ]
        if self.reloading:
            lines.append(
                "  reload     on: edits under chalicelib/, functions/ and app.py restart the API and consumers"
            )
            lines.append("             (emulators and data stay up; DESKFLOW_RELOAD=0 turns it off)")
        endpoints = _aws_endpoints()
        where = "embedded emulator" if self.emulator.embedded else "AWS_ENDPOINT_URL; data lives there"
        for service, url in endpoints.items():
            lines.append(f"  AWS        {url}   ({service}; {where})")
        sqs_endpoint = os.environ.get("AWS_ENDPOINT_URL_SQS") or self.emulator.endpoint_url
        lines.append(
            f"             AWS CLI: AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws --region {region}"
            f" --endpoint-url {sqs_endpoint} sqs list-queues"
        )
        if self.emulator.embedded:
            lines += self.storage_lines()
            lines.append(f"  data       {self.config.state_dir}")
            if self.restored is not None:
                lines.append(f"             restored {self.restored}")
            lines.append(
                "             reset: stop, then `make reset` (honours DESKFLOW_STATE_DIR, which picks another folder)"
            )
        if self.seed_report is not None:
            report = self.seed_report
            created = ", ".join(report.created) or "nothing new"
            lines += ["", f"Demo data: created {created}.", report.credentials_text(), report.tickets_text()]
        lines += ["", "Press Ctrl-C to stop.", ""]
        return "\n".join(lines)


def _aws_endpoints() -> dict[str, str]:
    """Where the AWS APIs answer: AWS_ENDPOINT_URL, and any per-service AWS_ENDPOINT_URL_<SERVICE>."""
    endpoints = {}
    for name, url in sorted(os.environ.items()):
        if name == "AWS_ENDPOINT_URL" and url:
            endpoints["all services"] = url
        elif name.startswith("AWS_ENDPOINT_URL_") and url:
            endpoints[name.removeprefix("AWS_ENDPOINT_URL_").lower()] = url
    if len(endpoints) > 1 and "all services" in endpoints:
        endpoints["other services"] = endpoints.pop("all services")
    return endpoints


def _install_signal_handlers(stop: threading.Event) -> None:
    def request_stop(signum, _frame):
        if stop.is_set():  # a second Ctrl-C: the user does not want to wait for a clean stop
            os._exit(128 + signum)
        print("\nStopping Deskflow...", flush=True)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("infra").setLevel(logging.INFO)
    started = time.monotonic()
    try:
        config = load_local_config()
    except LocalConfigError as error:
        print(f"deskflow: {error}", file=sys.stderr)
        return 2
    try:
        apply_local_defaults(config.jwt_secret_file)
    except (OSError, LocalConfigError) as error:
        print(f"deskflow: cannot read or make the JWT signing secret: {error}", file=sys.stderr)
        return 2
    from chalicelib.settings import ConfigurationError, get_settings, reset_settings

    reset_settings()
    try:
        get_settings()
    except ConfigurationError as error:
        print(f"deskflow: {error}", file=sys.stderr)
        return 2

    stop = threading.Event()
    _install_signal_handlers(stop)
    stack = LocalStack(config)
    try:
        stack.start()
    except (PortInUse, EmulatorError, StartupError) as error:
        print(f"deskflow: {error}", file=sys.stderr)
        stack.stop()
        return 1
    except (BotoCoreError, ClientError) as error:
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "AWS")
        print(f"deskflow: the AWS calls to {endpoint} failed while starting: {error}", file=sys.stderr)
        stack.stop()
        return 1
    except BaseException:
        stack.stop()
        raise
    print(stack.banner(time.monotonic() - started), flush=True)
    while not stop.wait(1.0):
        pass
    stack.stop()
    print("Deskflow stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
