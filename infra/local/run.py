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

    def start(self) -> None:
        from infra.bootstrap import bootstrap
        from infra.local.emulator import start_emulator
        from infra.local.event_runtime import EventRuntime
        from infra.local.gateway import open_local_api
        from infra.local.redelivery import redeliver_unconsumed

        # Bind the API port first, so a taken port fails before anything else starts.
        self.api = open_local_api(self.config.api_port)
        self.emulator = start_emulator(self.config.emulator_port, self.config.external_endpoint_url)
        bootstrap()
        if self.emulator.embedded:
            self._restore()
        redeliver_unconsumed()  # queues do not outlive the emulator; the outbox and receipts do
        if self.config.seed:
            self._seed()
        self._check_functions()
        self.api.serve_in_background()
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
        lines = [
            "",
            f"Deskflow is running (ready in {seconds:.1f}s)",
            f"  API        {self.api.url}   (health: {self.api.url}/health, docs: {self.api.url}/api/v1/openapi)",
        ]
        if self.emulator.embedded:
            lines.append(f"  AWS        {self.emulator.endpoint_url}   (embedded moto server)")
            restored = "nothing to restore" if self.restored is None else f"restored {self.restored}"
            lines.append(f"  state      {self.config.state_file}   ({restored}; `make reset` forgets it)")
        else:
            lines.append(f"  AWS        {self.emulator.endpoint_url}   (AWS_ENDPOINT_URL; data lives there)")
        if self.seed_report is not None:
            report = self.seed_report
            created = ", ".join(report.created) or "nothing new"
            lines += ["", f"Demo data: created {created}; {len(report.tickets)} demo tickets added."]
            lines.append(report.credentials_text())
        lines += ["", "Press Ctrl-C to stop.", ""]
        return "\n".join(lines)


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
