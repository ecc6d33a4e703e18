"""A real HTTP server on a free local port that receives outgoing webhooks the way a subscriber
would: it verifies the Standard Webhooks signature itself (independently of Deskflow's code) and
answers each path with the statuses it is told to, in order (the last one repeats)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from infra.local.ports import LOOPBACK, any_free_port


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    signature_valid: bool


@dataclass
class WebhookReceiver:
    secret: str | None = None  # set once the subscription is created
    statuses: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses to answer, in order
    received: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None  # when set up, requests wait for it (a receiver that never answers)

    def url(self, path: str = "/hook") -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    def verifies(self, headers: dict, body: bytes) -> bool:
        if not self.secret:
            return False
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        signed = f"{headers.get('webhook-id')}.{headers.get('webhook-timestamp')}.".encode() + body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        given = [part.split(",", 1)[1] for part in headers.get("webhook-signature", "").split() if "," in part]
        return any(hmac.compare_digest(expected, candidate) for candidate in given)

    def on(self, path: str) -> list[Received]:
        return [request for request in self.received if request.path == path]

    def _answer(self, path: str) -> int:
        planned = self.statuses.get(path) or [200]
        return planned.pop(0) if len(planned) > 1 else planned[0]

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                if receiver.hold is not None:
                    receiver.hold.wait(10)
                receiver.received.append(Received(self.path, headers, body, receiver.verifies(headers, body)))
                self.send_response(receiver._answer(self.path))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.port = any_free_port()
        self._server = ThreadingHTTPServer((LOOPBACK, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
