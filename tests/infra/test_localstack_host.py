"""LocalStack's host-mode setup: its DynamoDB finds everything locally, and stopping it leaves no process behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from infra.localstack import filesystem
from infra.localstack.host import LocalStackHost, environment
from infra.localstack.process_group import members
from infra.localstack.run_integration import run_tests
from tests.waiting import wait_until

needs_jdk = pytest.mark.skipif(shutil.which("javac") is None, reason="needs a JDK (javac, jar)")


def fake_dynamodb_local_package(lib: os.PathLike) -> None:
    jar_folder = lib / "dynamodb_local_2026-05-28"
    (jar_folder / "DynamoDBLocal_lib").mkdir(parents=True)
    (jar_folder / "DynamoDBLocal.jar").write_bytes(b"jar")


@needs_jdk
def test_prepare_puts_dynamodb_local_its_agent_and_java_where_localstack_looks(tmp_path):
    fake_dynamodb_local_package(tmp_path / "lib")

    filesystem.prepare(root=tmp_path / "root", package_lib=tmp_path / "lib")

    installed = tmp_path / "root/var/lib/localstack/lib/dynamodb-local/2"
    assert (installed / "DynamoDBLocal.jar").read_bytes() == b"jar"
    assert (installed / "DynamoDBLocal_lib").is_dir()
    java = tmp_path / "root/var/lib/localstack/lib/java/21/bin/java"
    agent = installed / filesystem.AGENT_JAR_NAME
    # The JVM refuses to start when a -javaagent jar has no loadable Premain-Class.
    started = subprocess.run([str(java), f"-javaagent:{agent}", "-version"], capture_output=True, text=True)
    assert started.returncode == 0, started.stderr


@needs_jdk
def test_prepare_twice_keeps_what_is_there(tmp_path):
    fake_dynamodb_local_package(tmp_path / "lib")
    filesystem.prepare(root=tmp_path / "root", package_lib=tmp_path / "lib")
    agent = filesystem.dynamodb_local_dir(tmp_path / "root") / filesystem.AGENT_JAR_NAME
    built_at = agent.stat().st_mtime_ns

    filesystem.prepare(root=tmp_path / "root", package_lib=tmp_path / "lib")

    assert agent.stat().st_mtime_ns == built_at


def test_prepare_without_dynamodb_local_says_which_target_installs_it(tmp_path):
    with pytest.raises(SystemExit, match="make dynamodb-local"):
        filesystem.prepare(root=tmp_path / "root", package_lib=tmp_path / "missing")


def test_localstack_runs_in_host_mode_on_its_own_port_whatever_endpoint_the_caller_set(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://elsewhere:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://elsewhere:8000")

    env = environment(tmp_path, 45123)

    assert env["GATEWAY_LISTEN"] == "127.0.0.1:45123"
    assert env["FILESYSTEM_ROOT"] == str(tmp_path)
    assert env["OVERRIDE_IN_DOCKER"] == "0"
    assert env["SQS_ENDPOINT_STRATEGY"] == "path"
    assert not [key for key in env if key.startswith("AWS_ENDPOINT_URL")]


def test_stop_ends_localstack_and_every_process_it_started_even_one_ignoring_sigterm(tmp_path):
    child_ignoring_sigterm = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
    parent = (
        "import subprocess, sys, time;"
        f"subprocess.Popen([sys.executable, '-c', {child_ignoring_sigterm!r}]); time.sleep(300)"
    )
    host = LocalStackHost(root=tmp_path, log_path=tmp_path / "log", command=(sys.executable, "-c", parent))
    host.start()
    group = host.process.pid
    wait_until(lambda: len(members(group)) >= 2, 10, "the host and its child were not both up within 10 s", 0.05)
    assert len(members(group)) == 2

    host.stop(timeout=1)

    assert members(group) == []


def test_the_integration_run_ends_a_process_its_tests_started_and_left_running(tmp_path):
    pid_file = tmp_path / "server.pid"
    leaky_test = tmp_path / "test_leaky.py"
    leaky_test.write_text(
        "import subprocess, sys, pytest\n"
        "@pytest.mark.integration\n"
        "def test_starts_a_server_and_forgets_it():\n"
        "    server = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        f"    open({str(pid_file)!r}, 'w').write(str(server.pid))\n"
    )

    returncode = run_tests([str(leaky_test), "-p", "no:xdist"], dict(os.environ))

    assert returncode == 0
    assert not is_running(int(pid_file.read_text()))


def is_running(pid: int) -> bool:
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(state) and not state.startswith("Z")
