"""An HTTP server on 127.0.0.1 that plays API Gateway (REST API, Lambda proxy) in front of the same
per-family Lambda entry points the SAM template deploys (``infra.functions.API_FUNCTIONS``)."""

from __future__ import annotations

import errno
import importlib
import json
import logging
import re
import sys
import threading
import time
import uuid
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
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

logger = logging.getLogger(__name__)


class FunctionInvoker:
    """Calls a route family's Lambda entry: ``<API_FUNCTIONS[family]["module"]>.app(event, context)``."""

    def __init__(self, functions: dict[str, dict] | None = None):
        self._functions = API_FUNCTIONS if functions is None else functions
        # Chalice keeps the current request on the app object, and a Lambda instance handles one event
        # at a time: one lock per function keeps concurrent HTTP requests from sharing that state.
        self._locks = {family: threading.Lock() for family in self._functions}

    def invoke(self, family: str, event: dict) -> dict:
        module = importlib.import_module(self._functions[family]["module"])
        context = LambdaContext(
            function_name=self._functions[family].get("logical_id", family),
            region=get_settings().region,
            aws_request_id=event["requestContext"]["requestId"],
        )
        with self._locks[family]:
            return module.app(event, context)

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


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response carries a Content-Length
    timeout = IDLE_CONNECTION_SECONDS
    server: _GatewayHttpServer

    def _serve(self) -> None:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        try:
            body = self._read_body()
        except _BodyTooLarge:
            self.close_connection = True  # the unread body is still on the socket
            response = error_response(413, f"request body exceeds {MAX_BODY_BYTES} bytes", "payload_too_large")
        except _BadFraming as error:
            self.close_connection = True
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
        self._write(response, request_id)
        logger.info("%s %s %d %.1fms", self.command, self.path, response.status, (time.monotonic() - started) * 1000)

    def __getattr__(self, name: str):
        # http.server looks up do_<METHOD> and answers 501 in HTML when it is missing; every method
        # (TRACE, QUERY, made-up ones) goes through routing instead, so an unknown one is a JSON 405.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

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

    def __init__(self, port: int, gateway: ApiGateway):
        self.gateway = gateway
        super().__init__((LOOPBACK, port), _RequestHandler)

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):  # the client went away; nothing to answer
            logger.debug("connection from %s ended: %r", client_address, error)
        else:
            logger.exception("error serving %s", client_address)


class LocalApiServer:
    """The HTTP side: bound on construction (so a taken port fails fast), served from a thread."""

    def __init__(self, port: int, gateway: ApiGateway):
        self.gateway = gateway
        try:
            self._server = _GatewayHttpServer(port, gateway)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise PortInUse(port, "local API", "PORT") from error
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def serve_in_background(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-api", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()


def registry_route_table() -> RouteTable:
    """Every route the blueprints declare, preflights included."""
    from chalicelib.app_factory import load_all_families
    from chalicelib.http.registry import api_routes

    load_all_families()
    return RouteTable(api_routes())


def open_local_api(port: int) -> LocalApiServer:
    return LocalApiServer(port, ApiGateway(registry_route_table(), FunctionInvoker()))
