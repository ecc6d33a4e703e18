"""Hot reload: a code change restarts the serving child on the same port; the child follows its parent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from infra.local.reload import REPO_ROOT, ReloadingServices, reload_enabled
from tests.waiting import wait_until

# A stand-in for the API child: serves the inherited socket, answering the VERSION of a watched module.
VERSION_CHILD = textwrap.dedent(
    """
    import signal, sys, threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    sys.path.insert(0, sys.argv[1])
    import version
    from infra.local.reload import inherited_listener, stop_when_parent_exits

    class Version(BaseHTTPRequestHandler):
        def do_GET(self):
            body = str(version.VERSION).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Version, bind_and_activate=False)
    server.socket.close()
    server.socket = inherited_listener()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop_when_parent_exits(stop.set)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop.wait()
    server.shutdown()
    server.server_close()
    """
)

# A parent that runs ReloadingServices with a child that records its pid and waits for its parent to go.
ORPHAN_PARENT = textwrap.dedent(
    """
    import sys, threading
    from infra.local.reload import ReloadingServices

    child = [sys.executable, "-c", sys.argv[2]]
    ReloadingServices(0, watch_paths=[sys.argv[1]], child_command=child).serve_in_background()
    threading.Event().wait()
    """
)
ORPHAN_CHILD = textwrap.dedent(
    """
    import os, sys, threading
    from infra.local.reload import stop_when_parent_exits

    open({pid_file!r}, "w").write(str(os.getpid()))
    done = threading.Event()
    stop_when_parent_exits(done.set)
    done.wait()
    """
)


def answer(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode()
    except OSError:
        return None


def process_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in {"Z", "X"}  # a zombie has exited; only its parent's reaping is left


@pytest.fixture
def watched_code(tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "version.py").write_text("VERSION = 'first'\n")
    return code


def test_reload_is_on_unless_turned_off():
    assert reload_enabled({}) is True
    assert reload_enabled({"DESKFLOW_RELOAD": "1"}) is True
    assert reload_enabled({"DESKFLOW_RELOAD": "0"}) is False
    assert reload_enabled({"DESKFLOW_RELOAD": "off"}) is False


def test_a_changed_source_file_is_served_after_a_reload_on_the_same_port(watched_code, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    child = tmp_path / "child.py"
    child.write_text(VERSION_CHILD)
    services = ReloadingServices(
        0, watch_paths=[watched_code], child_command=[sys.executable, str(child), str(watched_code)]
    )
    services.serve_in_background()
    try:
        assert wait_until(lambda: answer(services.url), 30, "the API never answered") == "first"

        (watched_code / "version.py").write_text("VERSION = 'second, after the reload'\n")

        assert wait_until(lambda: answer(services.url) == "second, after the reload", 30, "no reload within 30 s")
        assert services.restarts >= 1
    finally:
        services.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(services.url.rsplit(":", 1)[1])), timeout=5)


def test_the_child_stops_when_its_parent_is_killed(watched_code, tmp_path):
    pid_file = tmp_path / "child.pid"
    child_code = ORPHAN_CHILD.format(pid_file=str(pid_file))
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_PARENT, str(watched_code), child_code],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        child_pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text(), 30, "the child wrote no pid"))

        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)

        assert wait_until(lambda: process_gone(child_pid), 30, "the child outlived its parent")
    finally:
        parent.kill()
        parent.wait()


def test_a_child_that_dies_is_reported_while_waiting_for_the_next_change(watched_code, caplog):
    caplog.set_level("ERROR", logger="infra.local.reload")
    services = ReloadingServices(
        0, watch_paths=[watched_code], child_command=[sys.executable, "-c", "raise SystemExit(3)"]
    )
    services.serve_in_background()
    try:
        assert wait_until(lambda: "the API process exited with code 3" in caplog.text, 30, "no exit line logged")
    finally:
        services.stop()
