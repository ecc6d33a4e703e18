"""End a process group we started, children included, and nothing else."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time


def send(group: int, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal_number)


def members(group: int) -> list[int]:
    """Live (not zombie) processes of a group; `ps -A -o` reads the same on Linux and macOS."""
    listing = subprocess.run(["ps", "-A", "-o", "pid=,pgid=,stat="], capture_output=True, text=True, check=True)
    alive = []
    for line in listing.stdout.splitlines():
        pid, pgid, state = line.split(maxsplit=2)
        if int(pgid) == group and not state.startswith("Z"):
            alive.append(int(pid))
    return alive


def end(group: int, first_signal: int = signal.SIGTERM, timeout: float = 30) -> list[int]:
    """``first_signal`` to the group, SIGKILL to whatever outlives ``timeout``; returns who was still there."""
    found = members(group)
    if not found:
        return []
    send(group, first_signal)
    deadline = time.monotonic() + timeout
    while members(group) and time.monotonic() < deadline:
        time.sleep(0.2)
    if members(group):
        send(group, signal.SIGKILL)
    return found
