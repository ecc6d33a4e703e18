"""`make localstack-integration`: start LocalStack in host mode, run `pytest -m integration` on it, stop it.

Whatever the integration marker selects runs; LocalStack is stopped on success, failure, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from infra.localstack import filesystem, paths
from infra.localstack.host import LocalStackHost, NotReady


def _exit_on_sigterm(signal_number, frame) -> None:
    raise SystemExit(128 + signal_number)


def main(pytest_args: list[str]) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    filesystem.main()
    started = time.monotonic()
    with LocalStackHost() as localstack:
        try:
            localstack.wait_ready()
        except NotReady as error:
            print(error, file=sys.stderr)
            return 1
        ready = time.monotonic() - started
        print(f"LocalStack 4.9.2 (host mode) ready on {localstack.endpoint_url} in {ready:.1f}s", file=sys.stderr)
        env = {**os.environ, "DESKFLOW_INTEGRATION_ENDPOINT_URL": localstack.endpoint_url}
        tests = subprocess.run(
            [sys.executable, "-m", "pytest", "-m", "integration", *pytest_args], cwd=paths.REPO_ROOT, env=env
        )
        if tests.returncode != 0:
            print(f"LocalStack log tail ({paths.LOG_FILE}):\n{localstack.log_tail()}", file=sys.stderr)
        stopping = time.monotonic()
    done = time.monotonic()
    print(f"LocalStack stopped in {done - stopping:.1f}s; whole run {done - started:.1f}s", file=sys.stderr)
    return tests.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
