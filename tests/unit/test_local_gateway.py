"""The local API Gateway stand-in: path matching, proxy events, proxy responses, the HTTP server."""

from __future__ import annotations

import base64
import http.client
import importlib
import json
import logging
import socket
import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor

import pytest
from chalice import Chalice

from chalicelib.http.registry import RouteSpec
from infra.functions import API_FUNCTIONS
from infra.local.gateway import (
    MAX_BODY_BYTES,
    ApiGateway,
    FunctionInvoker,
    LocalApiServer,
    new_function_instance,
)
from infra.local.lambda_context import LambdaContext
from infra.local.ports import any_free_port
from infra.local.proxy_events import (
    BadLambdaResponse,
    HttpRequest,
    PathMatch,
    RouteTable,
    build_proxy_event,
    read_proxy_response,
)
from tests.waiting import wait_until

ROUTES = [
    RouteSpec("tickets", "/api/v1/tickets", "GET"),
    RouteSpec("tickets", "/api/v1/tickets", "POST"),
    RouteSpec("tickets", "/api/v1/tickets", "OPTIONS", preflight=True),
    RouteSpec("tickets", "/api/v1/tickets/{id}", "GET"),
    RouteSpec("tickets", "/api/v1/tickets/export", "GET"),
    RouteSpec("sla", "/api/v1/tickets/{id}/sla", "GET"),
    RouteSpec("tickets", "/api/v1/tickets/{id}/comments/{comment_id}", "DELETE"),
    RouteSpec("system", "/health", "GET"),
]


def request(method="GET", path="/api/v1/tickets", query="", headers=None, body=b"") -> HttpRequest:
    return HttpRequest(method=method, path=path, query_string=query, headers=headers or [], body=body)


# --- path matching -----------------------------------------------------------------------------


def test_literal_path_matches_its_template_with_every_method_and_family():
    match = RouteTable(ROUTES).match("/api/v1/tickets")

    assert match.resource == "/api/v1/tickets"
    assert match.families_by_method == {"GET": "tickets", "POST": "tickets", "OPTIONS": "tickets"}
    assert match.path_parameters == {}


def test_parameter_segments_bind_path_parameters():
    match = RouteTable(ROUTES).match("/api/v1/tickets/t-1/comments/c-9")

    assert match.resource == "/api/v1/tickets/{id}/comments/{comment_id}"
    assert match.path_parameters == {"id": "t-1", "comment_id": "c-9"}


def test_literal_segment_wins_over_a_parameter():
    assert RouteTable(ROUTES).match("/api/v1/tickets/export").resource == "/api/v1/tickets/export"
    assert RouteTable(ROUTES).match("/api/v1/tickets/exports").resource == "/api/v1/tickets/{id}"


def test_each_path_reaches_the_family_that_declared_it():
    assert RouteTable(ROUTES).match("/api/v1/tickets/t-1/sla").families_by_method == {"GET": "sla"}


def test_path_parameters_are_percent_decoded_within_their_segment():
    match = RouteTable(ROUTES).match("/api/v1/tickets/a%2Fb%20c")

    assert match.resource == "/api/v1/tickets/{id}"
    assert match.path_parameters == {"id": "a/b c"}


def test_one_trailing_slash_is_ignored():
    assert RouteTable(ROUTES).match("/api/v1/tickets/").resource == "/api/v1/tickets"


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing", "/api/v1/tickets/t-1/unknown", "/api/v1//tickets", "/api", "", "health", "/"]
)
def test_unknown_paths_do_not_match(path):
    assert RouteTable(ROUTES).match(path) is None


# --- proxy events ------------------------------------------------------------------------------


def test_proxy_event_carries_path_method_parameters_and_context():
    match = RouteTable(ROUTES).match("/api/v1/tickets/t-1")

    event = build_proxy_event(request(path="/api/v1/tickets/t-1"), match, request_id="req-1")

    assert event["resource"] == "/api/v1/tickets/{id}"
    assert event["path"] == "/api/v1/tickets/t-1"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "t-1"}
    assert event["stageVariables"] is None
    context = event["requestContext"]
    assert context["resourcePath"] == "/api/v1/tickets/{id}"
    assert context["httpMethod"] == "GET"
    assert context["requestId"] == "req-1"
    assert context["stage"] and context["path"].endswith("/api/v1/tickets/t-1")
    assert context["identity"]["sourceIp"] == "127.0.0.1"


def test_proxy_event_without_query_or_parameters_uses_none_as_api_gateway_does():
    event = build_proxy_event(request(), RouteTable(ROUTES).match("/api/v1/tickets"))

    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False


def test_repeated_query_parameters_keep_every_value_and_the_last_one_singly():
    event = build_proxy_event(
        request(query="status=new&status=open&q=vpn%20down&empty="), RouteTable(ROUTES).match("/api/v1/tickets")
    )

    assert event["queryStringParameters"] == {"status": "open", "q": "vpn down", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"status": ["new", "open"], "q": ["vpn down"], "empty": [""]}


def test_repeated_headers_keep_every_value_and_the_last_one_singly():
    headers = [("Accept", "text/plain"), ("Accept", "application/json"), ("X-Workspace-Id", "demo")]

    event = build_proxy_event(request(headers=headers), RouteTable(ROUTES).match("/api/v1/tickets"))

    assert event["headers"] == {"Accept": "application/json", "X-Workspace-Id": "demo"}
    assert event["multiValueHeaders"] == {"Accept": ["text/plain", "application/json"], "X-Workspace-Id": ["demo"]}


def test_utf8_body_is_passed_as_text():
    event = build_proxy_event(request("POST", body='{"title": "café"}'.encode()), RouteTable(ROUTES).match("/health"))

    assert event["body"] == '{"title": "café"}'
    assert event["isBase64Encoded"] is False


def test_non_utf8_body_is_passed_base64_encoded():
    raw = b"\xff\xd8\xff\xe0 jpeg bytes"

    event = build_proxy_event(request("POST", body=raw), RouteTable(ROUTES).match("/health"))

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


# --- proxy responses ---------------------------------------------------------------------------


def test_multi_value_headers_become_repeated_headers():
    response = read_proxy_response(
        {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json", "Set-Cookie": "ignored=1"},
            "multiValueHeaders": {"Set-Cookie": ["a=1; HttpOnly", "b=2; HttpOnly"]},
            "body": "{}",
        }
    )

    assert [value for name, value in response.headers if name == "Set-Cookie"] == ["a=1; HttpOnly", "b=2; HttpOnly"]
    assert response.body == b"{}"


def test_base64_response_body_is_decoded():
    response = read_proxy_response(
        {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "body": "iVBORw==", "isBase64Encoded": True}
    )

    assert response.body == base64.b64decode("iVBORw==")


def test_response_without_content_type_defaults_to_json():
    response = read_proxy_response({"statusCode": 204, "body": None})

    assert ("Content-Type", "application/json") in response.headers
    assert response.body == b""


@pytest.mark.parametrize("result", [None, "ok", {"body": "{}"}, {"statusCode": "200"}, {"statusCode": 42}])
def test_malformed_function_results_are_rejected(result):
    with pytest.raises(BadLambdaResponse):
        read_proxy_response(result)


# --- the gateway (routing + invocation) --------------------------------------------------------


class RecordingInvoker:
    def __init__(self, result=None, error: Exception | None = None):
        self.calls = []
        self.result = result or {"statusCode": 200, "headers": {}, "body": "{}"}
        self.error = error

    def invoke(self, family, event):
        self.calls.append((family, event))
        if self.error:
            raise self.error
        return self.result


def test_unknown_route_is_a_404_in_the_error_shape():
    response = ApiGateway(RouteTable(ROUTES), RecordingInvoker()).respond(request(path="/nope"), "r")

    assert response.status == 404
    assert json.loads(response.body) == {"error": "route not found", "code": "not_found", "details": {}}


def test_unregistered_method_is_a_405_with_allow():
    invoker = RecordingInvoker()

    response = ApiGateway(RouteTable(ROUTES), invoker).respond(request("DELETE", "/api/v1/tickets"), "r")

    assert response.status == 405
    assert ("Allow", "GET, OPTIONS, POST") in response.headers
    assert json.loads(response.body)["code"] == "method_not_allowed"
    assert invoker.calls == []


def test_matched_route_invokes_its_family_with_the_proxy_event():
    invoker = RecordingInvoker()

    ApiGateway(RouteTable(ROUTES), invoker).respond(request(path="/api/v1/tickets/t-1/sla"), "req-7")

    family, event = invoker.calls[0]
    assert family == "sla"
    assert event["requestContext"]["requestId"] == "req-7"


def test_function_that_raises_is_a_500_in_the_error_shape():
    gateway = ApiGateway(RouteTable(ROUTES), RecordingInvoker(error=RuntimeError("boom")))

    response = gateway.respond(request(path="/health"), "r")

    assert response.status == 500
    assert json.loads(response.body) == {"error": "internal error", "code": "internal_error", "details": {}}


def test_malformed_function_response_is_a_502():
    gateway = ApiGateway(RouteTable(ROUTES), RecordingInvoker(result={"nope": True}))

    assert gateway.respond(request(path="/health"), "r").status == 502


def test_invoker_calls_the_named_modules_chalice_app_with_a_lambda_context(monkeypatch):
    app = Chalice(app_name="invoker-check")

    @app.route("/health")
    def health():
        context = app.lambda_context
        return {"ok": True, "function": context.function_name, "left": context.get_remaining_time_in_millis()}

    monkeypatch.setitem(sys.modules, "deskflow_invoker_check", types.SimpleNamespace(app=app))
    invoker = FunctionInvoker({"system": {"module": "deskflow_invoker_check", "logical_id": "SystemApiFunction"}})
    event = build_proxy_event(request(path="/health"), PathMatch("/health", {}, {"GET": "system"}), "req-1")

    result = invoker.invoke("system", event)

    assert result["statusCode"] == 200
    body = json.loads(result["body"])
    assert body["ok"] is True and body["function"] == "SystemApiFunction" and body["left"] > 0


@pytest.mark.parametrize("family", sorted(API_FUNCTIONS))
def test_another_instance_of_a_real_function_is_an_app_of_its_own_that_answers(family):
    module_name = API_FUNCTIONS[family]["module"]
    first = importlib.import_module(module_name).app

    second = new_function_instance(module_name).app

    assert second is not first
    assert {route for route in second.routes} == {route for route in first.routes}
    path = next(iter(second.routes))
    event = build_proxy_event(request("OPTIONS", path), PathMatch(path, {}, {"OPTIONS": family}), "req-preflight")
    assert second(event, LambdaContext(function_name=family))["statusCode"] == 204


# --- the HTTP server, over loopback ------------------------------------------------------------


@pytest.fixture
def server():
    invoker = RecordingInvoker(
        result={
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "x-correlation-id": "abc"},
            "multiValueHeaders": {"Set-Cookie": ["a=1; HttpOnly", "b=2"]},
            "body": '{"created":true}',
        }
    )
    api = LocalApiServer(any_free_port(), ApiGateway(RouteTable(ROUTES), invoker))
    api.serve_in_background()
    api.invoker = invoker
    yield api
    api.stop()


def connect(server) -> http.client.HTTPConnection:
    port = int(server.url.rsplit(":", 1)[1])
    return http.client.HTTPConnection("127.0.0.1", port, timeout=5)


def test_server_writes_status_repeated_headers_and_body(server):
    connection = connect(server)
    connection.request("POST", "/api/v1/tickets?x=1", body=b'{"title":"t"}', headers={"X-Workspace-Id": "demo"})
    response = connection.getresponse()

    assert response.status == 201
    assert response.headers.get_all("Set-Cookie") == ["a=1; HttpOnly", "b=2"]
    assert response.read() == b'{"created":true}'
    family, event = server.invoker.calls[0]
    assert event["body"] == '{"title":"t"}'
    assert event["queryStringParameters"] == {"x": "1"}
    assert event["headers"]["X-Workspace-Id"] == "demo"


def test_server_keeps_the_connection_alive_between_requests(server):
    connection = connect(server)
    for _ in range(3):
        connection.request("GET", "/api/v1/tickets")
        response = connection.getresponse()
        response.read()
        assert response.status == 201


def test_server_refuses_bodies_over_api_gateways_limit_without_reading_them(server):
    connection = connect(server)
    connection.putrequest("POST", "/api/v1/tickets")
    connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
    connection.endheaders()
    response = connection.getresponse()

    assert response.status == 413
    assert json.loads(response.read())["code"] == "payload_too_large"
    assert server.invoker.calls == []


def test_server_reads_chunked_bodies(server):
    connection = connect(server)
    connection.request("POST", "/api/v1/tickets", body=iter([b'{"a":', b"1}"]), encode_chunked=True)

    assert connection.getresponse().status == 201
    assert server.invoker.calls[0][1]["body"] == '{"a":1}'


def test_server_reads_a_leading_double_slash_as_a_path_not_a_host(server):
    connection = connect(server)
    connection.request("GET", "//api/v1/tickets?x=1")
    connection.getresponse().read()

    family, event = server.invoker.calls[0]
    assert event["path"] == "/api/v1/tickets"
    assert event["queryStringParameters"] == {"x": "1"}


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "BREW"])
def test_server_routes_any_method_and_answers_405_for_unregistered_ones(server, method):
    connection = connect(server)
    connection.request(method, "/api/v1/tickets")
    response = connection.getresponse()

    assert response.status == 405
    assert response.getheader("Allow") == "GET, OPTIONS, POST"
    assert json.loads(response.read())["code"] == "method_not_allowed"


def test_server_answers_404_for_unknown_routes_and_survives(server):
    connection = connect(server)
    connection.request("GET", "/unknown")
    first = connection.getresponse()
    first.read()
    connection.request("GET", "/health")

    assert first.status == 404
    assert connection.getresponse().status == 201


def test_server_logs_nothing_of_its_own_at_info_for_a_served_request(server, caplog):
    # The app logs each request once, with its correlation id; a second gateway line would double it.
    caplog.set_level(logging.INFO, logger="infra.local.gateway")
    connection = connect(server)
    connection.request("GET", "/health")
    connection.getresponse().read()

    assert [record for record in caplog.records if record.name == "infra.local.gateway"] == []


# --- http.server's own refusals stay in the error envelope -------------------------------------


def raw_exchange(server, data: bytes) -> tuple[int, dict, bytes]:
    """Send raw bytes, read the whole answer (the server closes after a refusal)."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    "data, status, code",
    [
        (
            b"GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b"a" * 70_000 + b"\r\n\r\n",
            431,
            "headers_too_large",
        ),
        (
            b"GET /health HTTP/1.1\r\n" + b"".join(b"X-Many-%d: 1\r\n" % n for n in range(120)) + b"\r\n",
            431,
            "headers_too_large",
        ),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (b"GARBAGE\r\n\r\n", 400, "bad_request"),
        (b"GET /health HTTP/9.9\r\n\r\n", 505, "http_version_not_supported"),
    ],
    ids=["64KiB-authorization", "too-many-headers", "64KiB-request-line", "malformed-request-line", "http-9.9"],
)
def test_requests_http_server_refuses_are_answered_in_the_json_error_envelope(server, data, status, code):
    answered_status, headers, body = raw_exchange(server, data)

    assert answered_status == status
    assert headers["content-type"] == "application/json"
    envelope = json.loads(body)
    assert envelope["code"] == code and envelope["error"] and envelope["details"] == {}
    assert server.invoker.calls == []


# --- concurrency: every request its own function instance, as on Lambda -------------------------

ECHO_FUNCTION = """
import deskflow_echo_sync as sync
from chalice import Blueprint, Chalice

echo = Blueprint(__name__)


@echo.route("/echo/{item}", methods=["GET", "POST"], content_types=["*/*"])
def handle(item):
    sync.all_in_flight.wait()  # every request is inside a handler before any reads its request
    current = echo.current_request
    return {
        "item": current.uri_params["item"],
        "method": current.method,
        "query": current.query_params,
        "probe": current.headers.get("x-probe"),
        "body": current.raw_body.decode(),
    }


app = Chalice(app_name="echo")
app.register_blueprint(echo)
"""
SIMULTANEOUS_CLIENTS = 64


@pytest.fixture
def echo_server(tmp_path, monkeypatch):
    (tmp_path / "deskflow_echo_function.py").write_text(ECHO_FUNCTION)
    monkeypatch.syspath_prepend(str(tmp_path))
    barrier = threading.Barrier(SIMULTANEOUS_CLIENTS, timeout=60)
    monkeypatch.setitem(sys.modules, "deskflow_echo_sync", types.SimpleNamespace(all_in_flight=barrier))
    monkeypatch.delitem(sys.modules, "deskflow_echo_function", raising=False)
    routes = [RouteSpec("echo", "/echo/{item}", "GET"), RouteSpec("echo", "/echo/{item}", "POST")]
    invoker = FunctionInvoker({"echo": {"module": "deskflow_echo_function", "logical_id": "EchoFunction"}})
    api = LocalApiServer(0, ApiGateway(RouteTable(routes), invoker))
    api.serve_in_background()
    yield api, invoker, barrier
    barrier.abort()
    api.stop(deadline_seconds=5)
    sys.modules.pop("deskflow_echo_function", None)


def echo_request(api, number: int) -> tuple[int, dict]:
    """Requests of different shapes: GET with a query, POST with a body; each with its own path and header."""
    connection = connect(api)
    headers = {"x-probe": f"probe-{number}"}
    if number % 2:
        connection.request("GET", f"/echo/item-{number}?n={number}", headers=headers)
    else:
        connection.request("POST", f"/echo/item-{number}", body=json.dumps({"n": number}), headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, json.loads(body)


def test_simultaneous_requests_are_served_at_once_each_seeing_only_its_own_request(echo_server):
    api, invoker, _ = echo_server

    with ThreadPoolExecutor(max_workers=SIMULTANEOUS_CLIENTS) as clients:
        answers = list(clients.map(lambda number: echo_request(api, number), range(SIMULTANEOUS_CLIENTS)))

    for number, (status, body) in enumerate(answers):
        assert status == 200, body
        assert body["item"] == f"item-{number}"
        assert body["probe"] == f"probe-{number}"
        if number % 2:
            assert (body["method"], body["query"], body["body"]) == ("GET", {"n": str(number)}, "")
        else:
            assert (body["method"], body["query"], json.loads(body["body"])) == ("POST", None, {"n": number})
    assert invoker.instances("echo") == SIMULTANEOUS_CLIENTS


# --- stopping: refuse, close idle connections, finish what is in flight -------------------------


class GatedInvoker:
    """``/slow`` waits inside the function until released; anything else answers at once."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()

    def invoke(self, family, event):
        if event["path"] == "/slow":
            self.entered.set()
            self.release.wait(timeout=60)
        return {"statusCode": 200, "headers": {}, "body": json.dumps({"path": event["path"]})}


@pytest.fixture
def gated_server():
    invoker = GatedInvoker()
    routes = [RouteSpec("system", "/slow", "GET"), RouteSpec("system", "/health", "GET")]
    api = LocalApiServer(0, ApiGateway(RouteTable(routes), invoker))
    api.serve_in_background()
    yield api, invoker
    invoker.release.set()
    api.stop(deadline_seconds=5)


def get(api, path: str, connection=None) -> tuple[int, bytes]:
    connection = connection or connect(api)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read()


def refuses_connections(api) -> bool:
    port = int(api.url.rsplit(":", 1)[1])
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:  # queued just as the listener closed: not answered, but not refused yet
        return False
    return False


def peer_closed(connection: http.client.HTTPConnection) -> bool:
    connection.sock.settimeout(5)
    try:
        return connection.sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_stop_refuses_new_connections_at_once_and_returns_after_the_request_in_flight_is_answered(gated_server):
    api, invoker = gated_server
    with ThreadPoolExecutor(max_workers=2) as pool:
        in_flight = pool.submit(get, api, "/slow")
        assert invoker.entered.wait(10)
        stopping = pool.submit(api.stop)

        wait_until(lambda: refuses_connections(api), 10, "the API still accepted connections", 0.01)
        assert not stopping.done()  # still waiting for the request in flight
        invoker.release.set()

        stopping.result(timeout=10)
        status, body = in_flight.result(timeout=10)
    assert (status, json.loads(body)) == (200, {"path": "/slow"})


def test_stop_closes_idle_keep_alive_connections(gated_server):
    api, _ = gated_server
    connection = connect(api)
    assert get(api, "/health", connection)[0] == 200

    api.stop()

    assert peer_closed(connection)


def test_a_request_on_a_kept_alive_connection_after_stop_began_gets_no_answer(gated_server):
    api, invoker = gated_server
    kept_alive = connect(api)
    assert get(api, "/health", kept_alive)[0] == 200
    with ThreadPoolExecutor(max_workers=2) as pool:
        in_flight = pool.submit(get, api, "/slow")
        assert invoker.entered.wait(10)
        stopping = pool.submit(api.stop)
        wait_until(lambda: refuses_connections(api), 10, "the API still accepted connections", 0.01)

        with pytest.raises(ConnectionError):
            get(api, "/health", kept_alive)

        invoker.release.set()
        stopping.result(timeout=10)
        assert in_flight.result(timeout=10)[0] == 200


def test_stop_gives_up_on_a_request_still_running_at_its_deadline_and_says_so(gated_server, caplog):
    api, invoker = gated_server
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(get, api, "/slow")
        assert invoker.entered.wait(10)

        api.stop(deadline_seconds=0.1)

        assert "1 request(s) still running" in caplog.text
        invoker.release.set()


def test_stopping_a_server_that_never_served_returns():
    api = LocalApiServer(0, ApiGateway(RouteTable(ROUTES), RecordingInvoker()))

    api.stop()

    assert refuses_connections(api)
