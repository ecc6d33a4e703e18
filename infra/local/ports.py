"""Loopback port helpers."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


class PortInUse(RuntimeError):
    """The port the runtime was asked to listen on is taken by another process."""

    def __init__(self, port: int, what: str, setting: str):
        super().__init__(f"port {port} is already in use ({what}); stop the other process or set {setting}")
        self.port = port


def is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Same option the HTTP servers set, so a port in TIME_WAIT counts as free for them too.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def any_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]
