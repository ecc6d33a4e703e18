"""``make run``: the whole Deskflow stack on a laptop.

Emulator (embedded moto, or $AWS_ENDPOINT_URL) → bootstrap → restore the saved state → demo data →
API on http://127.0.0.1:$PORT → event runtime → periodic snapshots. Ctrl-C stops it all and saves.

    python -m infra.local.run
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import traceback

from botocore.exceptions import BotoCoreError, ClientError

from infra.local.config import LocalConfig, LocalConfigError, load_local_config
from infra.local.emulator import Emulator, EmulatorError
from infra.local.ports import PortInUse

LOCAL_JWT_SECRET = "deskflow-local-development-only-jwt-secret"  # ≥ 32 bytes; never used outside a laptop
LOCAL_DEFAULTS = {
    "AUTH_MODE": "local",
    "POWERTOOLS_SERVICE_NAME": "deskflow",
    "POWERTOOLS_METRICS_NAMESPACE": "Deskflow",
    "LOG_FORMAT": "console",  # one readable line per request or event; JSON stays the default elsewhere
}

logger = logging.getLogger("infra.local.run")


class StartupError(RuntimeError):
    """The stack cannot start; the message says why and what to do."""


def apply_local_defaults(environ=None) -> list[str]:
    """Fill in what a laptop needs and a deployment must set itself; returns warnings to print."""
    env = os.environ if environ is None else environ
    for name, value in LOCAL_DEFAULTS.items():
        env.setdefault(name, value)
    warnings = []
    if env["AUTH_MODE"].strip().lower() == "local" and not env.get("JWT_SECRET"):
        env["JWT_SECRET"] = LOCAL_JWT_SECRET
        warnings.append("JWT_SECRET is not set: using a fixed development secret (local use only, never deploy it)")
    return warnings


class LocalStack:
    def __init__(self, config: LocalConfig):
        self.config = config
        self.emulator: Emulator | None = None
        self.api = None
        self.events = None
        self.snapshots = None
        self.seed_report = None
        self.restored: dict[str, int] | None = None
        self.reloading = False

    def start(self) -> None:
        from infra.bootstrap import bootstrap
        from infra.local.emulator import start_emulator
        from infra.local.event_runtime import EventRuntime
        from infra.local.gateway import open_local_api
        from infra.local.redelivery import redeliver_unconsumed
        from infra.local.reload import ReloadingServices, reload_enabled

        # Bind the API port first, so a taken port fails before anything else starts. With reload on,
        # a child process serves the API and runs the event runtime, restarted on code changes.
        self.reloading = reload_enabled()
        self.api = ReloadingServices(self.config.api_port) if self.reloading else open_local_api(self.config.api_port)
        self.emulator = start_emulator(self.config.emulator_port, self.config.external_endpoint_url)
        bootstrap()
        if self.emulator.embedded:
            self._restore()
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

            self.snapshots = PeriodicSnapshots(self.config.state_file, self.config.snapshot_seconds)
            self.snapshots.start()

    def _check_functions(self) -> None:
        """Say at start, not on the first request, when a route family has no working function."""
        invoker = self.api.gateway.invoker
        for family in sorted(self.api.gateway.routes.families - invoker.families()):
            logger.error("route family %s is missing from API_FUNCTIONS (infra/functions.py): it answers 500", family)
        for family, failure in invoker.warm().items():
            logger.error("the function of route family %s does not import (it answers 500): %s", family, failure)

    def _restore(self) -> None:
        from infra.local.persistence import load_state

        try:
            self.restored = load_state(self.config.state_file)
        except (ValueError, RuntimeError) as error:
            raise StartupError(
                f"cannot restore {self.config.state_file}: {error}\n"
                "Move it away, or run `make reset` to start from empty tables."
            ) from error

    def _seed(self) -> None:
        from infra.seed import seed

        try:
            self.seed_report = seed(self.config.demo_password)
        except Exception:  # the API is still useful without demo data; say loudly why it is missing
            logger.error("demo data not seeded:\n%s", traceback.format_exc())

    def stop(self) -> None:
        """Stop what was started, newest first; save a last snapshot before the emulator goes."""
        steps = [
            ("local API", self.api.stop if self.api else None),
            ("event runtime", self.events.stop if self.events else None),
            ("final snapshot", self.snapshots.stop if self.snapshots else None),
            ("emulator", self.emulator.stop if self.emulator else None),
        ]
        for name, step in steps:
            if step is None:
                continue
            logger.info("stopping the %s", name)
            try:
                step()
            except Exception:
                logger.exception("stopping the %s failed", name)
        self.api = self.events = self.snapshots = self.emulator = None

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
    for warning in apply_local_defaults():
        print(f"WARNING: {warning}", file=sys.stderr)
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
