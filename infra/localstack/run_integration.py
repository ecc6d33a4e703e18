"""`make localstack-integration`: start LocalStack in host mode, run `pytest -m integration` on it, stop it.

Whatever the integration marker selects runs; LocalStack is stopped on success, failure, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from infra.localstack import filesystem, paths, process_group
from infra.localstack.host import LocalStackHost, NotReady

TESTS_STOP_TIMEOUT_SECONDS = 30


def _exit_on_sigterm(signal_number, frame) -> None:
    raise SystemExit(128 + signal_number)


def run_tests(pytest_args: list[str], env: dict[str, str]) -> int:
    """pytest in a process group of its own, so that no stack a test started outlives the run, even one whose
    start timed out or a run cut short by Ctrl-C."""
    tests = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-m", "integration", *pytest_args],
        cwd=paths.REPO_ROOT,
        env=env,
        process_group=0,
    )
    try:
        return tests.wait()
    except BaseException:  # Ctrl-C or SIGTERM reached us, not the tests' own group: pass it on
        tests.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            tests.wait(TESTS_STOP_TIMEOUT_SECONDS)
        raise
    finally:
        if left_behind := process_group.end(tests.pid, signal.SIGINT, TESTS_STOP_TIMEOUT_SECONDS):
            print(f"ended {len(left_behind)} process(es) the tests left running: {left_behind}", file=sys.stderr)


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
        returncode = run_tests(pytest_args, env)
        if returncode != 0:
            print(f"LocalStack log tail ({paths.LOG_FILE}):\n{localstack.log_tail()}", file=sys.stderr)
        stopping = time.monotonic()
    done = time.monotonic()
    print(f"LocalStack stopped in {done - stopping:.1f}s; whole run {done - started:.1f}s", file=sys.stderr)
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
