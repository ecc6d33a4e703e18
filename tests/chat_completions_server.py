"""A real HTTP server on a free local port speaking the OpenAI chat-completions protocol, standing in for an
external AI provider: healthy (answers a category it is told to), failing (an HTTP error) or silent (never
answers within the caller's timeout). It records what it was asked."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from infra.local.ports import LOOPBACK, any_free_port


@dataclass
class ChatCompletionsServer:
    answer: dict = field(default_factory=lambda: {"category": "plumbing", "confidence": 0.93, "reasons": ["leak"]})
    fail_with: int | None = None  # answer chat completions with this HTTP status
    hang: threading.Event | None = None  # when set up, chat completions wait for it
    requests: list[dict] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/v1"

    def start(self) -> ChatCompletionsServer:
        server_state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/v1/models" and server_state.fail_with is None:
                    self._reply(200, {"object": "list", "data": [{"id": "triage-model", "object": "model"}]})
                else:
                    self._reply(server_state.fail_with or 404, {"error": {"message": "unavailable"}})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                server_state.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                if server_state.hang is not None:
                    server_state.hang.wait(10)
                if server_state.fail_with is not None:
                    self._reply(server_state.fail_with, {"error": {"message": "model overloaded"}})
                    return
                content = json.dumps(server_state.answer)
                self._reply(
                    200,
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "model": body.get("model"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
                    },
                )

        self.port = any_free_port()
        self._server = ThreadingHTTPServer((LOOPBACK, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.hang is not None:
            self.hang.set()
        self._server.shutdown()
        self._server.server_close()
