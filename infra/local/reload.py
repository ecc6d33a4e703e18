"""Hot reload for ``make run``: a code change restarts the API and the event runtime, not the emulators.

The parent (``make run``) keeps the emulators, the data and the API's listening socket; the API gateway
and the event runtime run in a child process (``python -m infra.local.reload``) that is restarted when
a file under ``chalicelib/``, ``functions/`` or ``app.py`` changes (watched with watchfiles).

- The parent binds the port once and every child inherits the listening socket, so during a restart
  new connections wait in the socket's backlog and are answered by the next child instead of refused.
- A restart stops the old child as a Ctrl-C would (requests in flight finish, consumers finish their
  batch), then starts the new one: nothing acknowledged is lost, and the data never left the parent.
- The child reads a pipe from the parent on stdin and stops when it reaches end-of-file: when the
  parent dies, even by ``kill -9``, the child follows. It runs in its own session, so a Ctrl-C in the
  terminal reaches the parent only, which stops the child in order.

``DESKFLOW_RELOAD=0`` turns it off: everything then runs in the ``make run`` process (tests do that).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from infra.local.gateway import IN_FLIGHT_DEADLINE_SECONDS, listen_on

RELOAD_SETTING = "DESKFLOW_RELOAD"
LISTEN_FD_SETTING = "DESKFLOW_LISTEN_FD"  # set by the parent for the child: the inherited listening socket
STDIN_FILENO = 0
REPO_ROOT = Path(__file__).resolve().parents[2]
WATCHED_PATHS = (REPO_ROOT / "chalicelib", REPO_ROOT / "functions", REPO_ROOT / "app.py")
CHILD_COMMAND = (sys.executable, "-m", "infra.local.reload")
EVENT_RUNTIME_STOP_SECONDS = 15.0
CHILD_STOP_SECONDS = IN_FLIGHT_DEADLINE_SECONDS + EVENT_RUNTIME_STOP_SECONDS + 5.0
DEBOUNCE_MILLISECONDS = 400  # an editor's save often writes several files; restart once for all of them

logger = logging.getLogger("infra.local.reload")


def reload_enabled(environ=None) -> bool:
    env = os.environ if environ is None else environ
    return env.get(RELOAD_SETTING, "1").strip().lower() not in {"0", "false", "no", "off"}


class ReloadingServices:
    """Stands where ``LocalApiServer`` stands in ``LocalStack``: ``url``, ``serve_in_background()``,
    ``stop()``; behind it, the child process that serves the API and runs the event runtime."""

    def __init__(
        self,
        port: int,
        watch_paths: Sequence[Path] = WATCHED_PATHS,
        child_command: Sequence[str] = CHILD_COMMAND,
        child_stop_seconds: float = CHILD_STOP_SECONDS,
    ):
        self._listener = listen_on(port)  # bound now, so a taken port fails before anything else starts
        host, bound_port = self._listener.getsockname()[:2]
        self.url = f"http://{host}:{bound_port}"
        self._watch_paths = [str(path) for path in watch_paths if Path(path).exists()]
        self._child_command = list(child_command)
        self._child_stop_seconds = child_stop_seconds
        self._lock = threading.Lock()  # a restart and the stop never interleave
        self._stopping = threading.Event()
        self._child: subprocess.Popen | None = None
        self._watcher: threading.Thread | None = None
        self._reported_exit: subprocess.Popen | None = None
        self.restarts = 0

    def serve_in_background(self) -> None:
        with self._lock:
            self._child = self._start_child()
        self._watcher = threading.Thread(target=self._watch, name="code-watcher", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        """Stop watching; the child stops serving as ``LocalApiServer.stop`` does (new connections are
        refused from the moment it begins, requests in flight finish), and its event runtime stops."""
        self._stopping.set()
        with self._lock:
            # The child holds the only other copy of the listener: when it closes its own, the port
            # refuses connections instead of queueing them for a child that will never come.
            self._listener.close()
            if self._child is not None:
                self._stop_child(self._child)
                self._child = None
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None

    def _watch(self) -> None:
        import watchfiles

        if not self._watch_paths:
            return
        for changes in watchfiles.watch(
            *self._watch_paths,
            watch_filter=watchfiles.PythonFilter(),
            debounce=DEBOUNCE_MILLISECONDS,
            stop_event=self._stopping,
            raise_interrupt=False,
            rust_timeout=1000,
            yield_on_timeout=True,  # an empty set each second: time to notice a child that died
        ):
            if not changes:
                self._report_exited_child()
                continue
            changed = sorted({os.path.relpath(path, REPO_ROOT) for _, path in changes})
            logger.info("code changed (%s): reloading the API and the event runtime", ", ".join(changed))
            try:
                self._restart()
            except Exception:  # keep watching: the next save may fix it
                logger.exception("reloading failed")

    def _report_exited_child(self) -> None:
        with self._lock:
            child = self._child
            if child is None or child.poll() is None or self._stopping.is_set() or self._reported_exit is child:
                return
            self._reported_exit = child
        logger.error("the API process exited with code %s; it starts again on the next saved change", child.returncode)

    def _restart(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            if self._child is not None:
                self._stop_child(self._child)
            self._child = self._start_child()
            self.restarts += 1

    def _start_child(self) -> subprocess.Popen:
        env = {**os.environ, LISTEN_FD_SETTING: str(self._listener.fileno())}
        return subprocess.Popen(
            self._child_command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,  # its end-of-file tells the child that this process is gone
            pass_fds=(self._listener.fileno(),),
            start_new_session=True,
        )

    def _stop_child(self, child: subprocess.Popen) -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=self._child_stop_seconds)
            except subprocess.TimeoutExpired:
                logger.error("the API process did not stop within %.0fs; killing it", self._child_stop_seconds)
                child.kill()
                child.wait()
        if child.stdin is not None:
            child.stdin.close()


# --- the child side ------------------------------------------------------------------------------


def inherited_listener(environ=None) -> socket.socket:
    """The listening socket the parent handed over."""
    env = os.environ if environ is None else environ
    return socket.socket(fileno=int(env[LISTEN_FD_SETTING]))


def stop_when_parent_exits(on_exit: Callable[[], None]) -> threading.Thread:
    """Call ``on_exit`` once stdin (the parent's pipe) reaches end-of-file: the parent has gone."""

    def wait_for_end_of_input() -> None:
        # os.read, not sys.stdin: a daemon thread blocked in a buffered read aborts interpreter shutdown
        while os.read(STDIN_FILENO, 4096):
            pass
        on_exit()

    watcher = threading.Thread(target=wait_for_end_of_input, name="parent-watch", daemon=True)
    watcher.start()
    return watcher


def serve_child() -> int:
    """The child process: the API on the inherited socket and the event runtime, until told to stop."""
    from infra.local.event_runtime import EventRuntime
    from infra.local.gateway import function_problems, open_local_api

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("infra").setLevel(logging.INFO)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    stop_when_parent_exits(stop.set)

    api = open_local_api(inherited_listener())
    for problem in function_problems(api.gateway):
        logger.error(problem)
    api.serve_in_background()
    events = EventRuntime()
    events.start()
    stop.wait()
    api.stop()
    events.stop(EVENT_RUNTIME_STOP_SECONDS)
    return 0


if __name__ == "__main__":
    sys.exit(serve_child())
