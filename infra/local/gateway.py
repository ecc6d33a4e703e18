"""An HTTP server on 127.0.0.1 that plays API Gateway (REST API, Lambda proxy) in front of the same
per-family Lambda entry points the SAM template deploys (``infra.functions.API_FUNCTIONS``)."""

from __future__ import annotations

import contextlib
import errno
import importlib
import importlib.util
import json
import logging
import re
import socket
import sys
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from chalicelib.settings import get_settings
from infra.functions import API_FUNCTIONS
from infra.local.lambda_context import LambdaContext
from infra.local.ports import LOOPBACK, PortInUse
from infra.local.proxy_events import (
    BadLambdaResponse,
    HttpRequest,
    HttpResponse,
    RouteTable,
    build_proxy_event,
    read_proxy_response,
)

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit; the app enforces its own 1 MiB
IDLE_CONNECTION_SECONDS = 60
LISTEN_BACKLOG = 128  # http.server's default of 5 reset connections under 20 simultaneous clients
IN_FLIGHT_DEADLINE_SECONDS = 29.0  # API Gateway's integration timeout: no request legitimately runs longer
LINGER_SECONDS = 2.0
LINGER_MAX_BYTES = 1024 * 1024
# http.server's own refusals (before the request reaches routing), answered in the app's error envelope
PROTOCOL_ERROR_CODES = {
    HTTPStatus.BAD_REQUEST: "bad_request",
    HTTPStatus.REQUEST_URI_TOO_LONG: "uri_too_long",
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: "headers_too_large",
    HTTPStatus.NOT_IMPLEMENTED: "not_implemented",
    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: "http_version_not_supported",
}
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

logger = logging.getLogger(__name__)


class FunctionInvoker:
    """Calls a route family's Lambda entry: ``<API_FUNCTIONS[family]["module"]>.app(event, context)``.

    As on Lambda, one instance of a function handles one event at a time and concurrent events get
    instances of their own: Chalice keeps the current request on the app object (blueprints read it
    through their app), so two requests sharing an app would read each other's. An instance is the
    entry module executed afresh (a cold start, under a millisecond); idle instances are reused.
    """

    def __init__(self, functions: dict[str, dict] | None = None):
        self._functions = API_FUNCTIONS if functions is None else functions
        self._lock = threading.Lock()
        self._idle: dict[str, list] = {family: [] for family in self._functions}
        self._instances: dict[str, int] = {family: 0 for family in self._functions}

    def invoke(self, family: str, event: dict) -> dict:
        context = LambdaContext(
            function_name=self._functions[family].get("logical_id", family),
            region=get_settings().region,
            aws_request_id=event["requestContext"]["requestId"],
        )
        app = self._take_instance(family)
        try:
            return app(event, context)
        finally:
            with self._lock:
                self._idle[family].append(app)

    def instances(self, family: str) -> int:
        """How many instances of the family's function exist (its peak concurrency so far)."""
        return self._instances[family]

    def _take_instance(self, family: str):
        with self._lock:
            if self._idle[family]:
                return self._idle[family].pop()
            first = self._instances[family] == 0
            self._instances[family] += 1
        module_name = self._functions[family]["module"]
        try:
            if first:  # the imported module's own app serves the first instance
                return importlib.import_module(module_name).app
            return new_function_instance(module_name).app
        except BaseException:
            with self._lock:
                self._instances[family] -= 1
            raise

    def families(self) -> set[str]:
        return set(self._functions)

    def warm(self) -> dict[str, str]:
        """Import every function module now (a cold start up front); returns the failures by family."""
        failures = {}
        for family, spec in self._functions.items():
            try:
                importlib.import_module(spec["module"])
            except Exception as error:  # reported, and answered 500 per request until fixed
                failures[family] = f"{type(error).__name__}: {error}"
        return failures


def new_function_instance(name: str):
    """The entry module ``name`` executed again into a new module object: another instance of the
    function, sharing nothing per-request with the first (sys.modules keeps the first one)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load another instance of {name}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def error_response(status: int, message: str, code: str, headers: list[tuple[str, str]] | None = None):
    body = json.dumps({"error": message, "code": code, "details": {}}).encode()
    return HttpResponse(status, [("Content-Type", "application/json"), *(headers or [])], body)


class ApiGateway:
    """Route → Lambda proxy event → the family's function → HTTP response. Never raises."""

    def __init__(self, routes: RouteTable, invoker: FunctionInvoker):
        self.routes = routes
        self.invoker = invoker

    def respond(self, request: HttpRequest, request_id: str) -> HttpResponse:
        try:
            return self._respond(request, request_id)
        except Exception:  # whatever goes wrong, the server keeps serving
            logger.exception("gateway failure on %s %s", request.method, request.path)
            return error_response(500, "internal error", "internal_error")

    def _respond(self, request: HttpRequest, request_id: str) -> HttpResponse:
        match = self.routes.match(request.path)
        if match is None:
            return error_response(404, "route not found", "not_found")
        family = match.families_by_method.get(request.method)
        if family is None:
            allow = ", ".join(match.allowed_methods)
            return error_response(405, "method not allowed", "method_not_allowed", [("Allow", allow)])
        event = build_proxy_event(request, match, request_id)
        try:
            result = self.invoker.invoke(family, event)
        except Exception:  # API Gateway would say 502; the error shape matches the app's own last resort
            logger.exception("function for %s raised on %s %s", family, request.method, request.path)
            return error_response(500, "internal error", "internal_error")
        try:
            return read_proxy_response(result)
        except BadLambdaResponse as error:
            logger.error("function for %s returned a malformed response: %s", family, error)
            return error_response(502, "malformed function response", "bad_gateway")


def _split_target(target: str) -> tuple[str, str]:
    """Path and query of a request target. Origin-form is split by hand: urlsplit would read the
    "api" of ``//api/v1/tickets`` as a host name."""
    if target.startswith("/"):
        path, _, query = target.partition("?")
        return path, query.partition("#")[0]
    absolute = urlsplit(target)
    return absolute.path or "/", absolute.query


class _BodyTooLarge(Exception):
    pass


class _BadFraming(Exception):
    pass


class _Connections:
    """The server's open connections, each idle (waiting for a request) or busy (serving one), so that
    a stop can close the idle ones at once and wait for the busy ones."""

    def __init__(self):
        self._changed = threading.Condition()
        self._idle: set[_RequestHandler] = set()
        self._busy: set[_RequestHandler] = set()
        self.stopping = False

    def opened(self, handler: _RequestHandler) -> bool:
        """False once stopping: a connection accepted just before the stop is closed unanswered."""
        with self._changed:
            if self.stopping:
                return False
            self._idle.add(handler)
            return True

    def begin_request(self, handler: _RequestHandler) -> bool:
        """False once stopping: a request read after the stop began is not served."""
        with self._changed:
            if self.stopping:
                return False
            self._idle.discard(handler)
            self._busy.add(handler)
            return True

    def end_request(self, handler: _RequestHandler) -> None:
        with self._changed:
            if handler not in self._busy:
                return
            self._busy.discard(handler)
            if self.stopping:
                handler.close_connection = True
            else:
                self._idle.add(handler)
            self._changed.notify_all()

    def closed(self, handler: _RequestHandler) -> None:
        with self._changed:
            self._idle.discard(handler)
            self._busy.discard(handler)
            self._changed.notify_all()

    def stop_serving(self) -> None:
        with self._changed:
            self.stopping = True

    def close_idle(self) -> int:
        with self._changed:
            idle = list(self._idle)
        for handler in idle:
            handler.hang_up()  # its thread wakes from reading with end-of-file and closes
        return len(idle)

    def wait_for_in_flight(self, deadline_seconds: float) -> int:
        """Wait until no request is being served or the deadline passes; returns how many are left."""
        with self._changed:
            self._changed.wait_for(lambda: not self._busy, timeout=deadline_seconds)
            return len(self._busy)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response carries a Content-Length
    timeout = IDLE_CONNECTION_SECONDS
    server: _GatewayHttpServer
    _discard_unread_input = False

    def handle(self) -> None:
        connections = self.server.connections
        if not connections.opened(self):
            return
        try:
            super().handle()
        finally:
            connections.closed(self)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        finally:
            self.server.connections.end_request(self)

    def parse_request(self) -> bool:
        if not self.server.connections.begin_request(self):
            self.close_connection = True
            return False  # stopping: no answer, the connection closes
        return super().parse_request()

    def hang_up(self) -> None:
        with contextlib.suppress(OSError):  # already gone
            self.connection.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        super().finish()
        if self._discard_unread_input:
            self._linger()

    def _linger(self) -> None:
        """Read and drop what the client is still sending before closing: closing a socket with unread
        input resets the connection, and the client may lose the answer we just sent."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(LINGER_SECONDS)
            drained = 0
            while drained < LINGER_MAX_BYTES:
                chunk = self.connection.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:
            pass

    def _serve(self) -> None:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        try:
            body = self._read_body()
        except _BodyTooLarge:
            self.close_connection = True
            self._discard_unread_input = True
            response = error_response(413, f"request body exceeds {MAX_BODY_BYTES} bytes", "payload_too_large")
        except _BadFraming as error:
            self.close_connection = True
            self._discard_unread_input = True
            response = error_response(400, str(error), "bad_request")
        else:
            path, query = _split_target(self.path)
            request = HttpRequest(
                method=self.command,
                path=path,
                query_string=query,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
            )
            response = self.server.gateway.respond(request, request_id)
        if self.server.connections.stopping:
            self.close_connection = True
        self._write(response, request_id)
        # The app logs each request (with its correlation id); this line only helps debug the gateway.
        logger.debug("%s %s %d %.1fms", self.command, self.path, response.status, (time.monotonic() - started) * 1000)

    def __getattr__(self, name: str):
        # http.server looks up do_<METHOD> and answers 501 in HTML when it is missing; every method
        # (TRACE, QUERY, made-up ones) goes through routing instead, so an unknown one is a JSON 405.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (request line or a header over its 64 KiB limit, too many headers,
        a malformed request line) in the app's error envelope instead of its HTML page."""
        status = HTTPStatus(code)
        self.close_connection = True
        self._discard_unread_input = True
        if self.request_version in ("", "HTTP/0.9"):
            self.request_version = "HTTP/1.0"  # http.server would send a bare body, without a status line
        error_code = PROTOCOL_ERROR_CODES.get(status, "bad_request")
        self.log_error("refused before routing: %d %s", code, message or status.phrase)
        response = error_response(code, (message or status.phrase).lower(), error_code)
        self.send_response(code, message)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("x-correlation-id", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        if not length_text.strip().isdigit():
            raise _BadFraming("Content-Length is not a number")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            raise _BodyTooLarge()
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks, total = [], 0
        while True:
            size_line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise _BadFraming("malformed chunked body") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _BodyTooLarge()
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _write(self, response: HttpResponse, request_id: str) -> None:
        self.send_response(response.status)
        names = set()
        for name, value in response.headers:
            if name.lower() in {"content-length", "transfer-encoding", "connection"}:
                continue
            names.add(name.lower())
            self.send_header(name, value)
        if "x-correlation-id" not in names:
            given = self.headers.get("x-correlation-id") or ""
            self.send_header("x-correlation-id", given if _CORRELATION_ID.match(given) else str(uuid.uuid4()))
        self.send_header("x-amzn-RequestId", request_id)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format, *args):
        logger.debug(format, *args)

    def log_error(self, format, *args):
        logger.warning(format, *args)


class _GatewayHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a stop waits for in-flight requests itself, with a deadline
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, listener: socket.socket, gateway: ApiGateway):
        self.gateway = gateway
        self.connections = _Connections()
        super().__init__(listener.getsockname()[:2], _RequestHandler, bind_and_activate=False)
        self.socket.close()  # the unbound one socketserver made; serve on the given listener
        self.socket = listener
        self.server_name, self.server_port = listener.getsockname()[:2]

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):  # the client went away; nothing to answer
            logger.debug("connection from %s ended: %r", client_address, error)
        else:
            logger.exception("error serving %s", client_address)


def listen_on(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:``port`` (0: any free port); PortInUse when it is taken."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((LOOPBACK, port))
    except OSError as error:
        listener.close()
        if error.errno != errno.EADDRINUSE:
            raise
        raise PortInUse(port, "local API", "PORT") from error
    listener.listen(LISTEN_BACKLOG)
    return listener


class LocalApiServer:
    """The HTTP side: bound on construction (so a taken port fails fast), served from a thread.

    ``listener`` is a port to bind, or a socket already listening (handed over by the reloader)."""

    def __init__(self, listener: int | socket.socket, gateway: ApiGateway):
        self.gateway = gateway
        if isinstance(listener, int):
            listener = listen_on(listener)
        self._server = _GatewayHttpServer(listener, gateway)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def serve_in_background(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="local-api", daemon=True
        )
        self._thread.start()

    def stop(self, deadline_seconds: float = IN_FLIGHT_DEADLINE_SECONDS) -> None:
        """Stop serving without losing an answered request: from the first moment no new request is
        served; then the listener closes (new connections are refused), idle keep-alive connections
        close, and requests in flight finish (each closing its connection) until ``deadline_seconds``."""
        connections = self._server.connections
        connections.stop_serving()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()
        connections.close_idle()
        unfinished = connections.wait_for_in_flight(deadline_seconds)
        if unfinished:
            logger.warning(
                "local API stopped with %d request(s) still running after %.0fs", unfinished, deadline_seconds
            )


def registry_route_table() -> RouteTable:
    """Every route the blueprints declare, preflights included."""
    from chalicelib.app_factory import load_all_families
    from chalicelib.http.registry import api_routes

    load_all_families()
    return RouteTable(api_routes())


def function_problems(gateway: ApiGateway) -> list[str]:
    """Route families without a working function, said at start rather than on the first request."""
    invoker = gateway.invoker
    problems = [
        f"route family {family} is missing from API_FUNCTIONS (infra/functions.py): it answers 500"
        for family in sorted(gateway.routes.families - invoker.families())
    ]
    problems += [
        f"the function of route family {family} does not import (it answers 500): {failure}"
        for family, failure in invoker.warm().items()
    ]
    return problems


def open_local_api(listener: int | socket.socket) -> LocalApiServer:
    return LocalApiServer(listener, ApiGateway(registry_route_table(), FunctionInvoker()))
