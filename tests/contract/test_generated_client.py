"""A Python client generated from the served document with openapi-python-client (the pinned
version) works end to end: every call below goes through the generated code only.

The client's httpx transport hands each request to the Chalice app in process (the same local
gateway ``chalice.test.Client`` uses), over moto: no sockets, so it runs with the route tests.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

PACKAGE = "deskflow_client"
BASE_URL = "http://deskflow.test"
PASSWORD = "correct horse battery"


class ChaliceTransport(httpx.BaseTransport):
    """httpx → the Chalice app's local gateway, in process."""

    def __init__(self, test_client):
        self.test_client = test_client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply = self.test_client.http.request(
            request.method,
            request.url.raw_path.decode("ascii"),
            headers=dict(request.headers),
            body=request.read(),
        )
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.body, request=request)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated client package, imported from a temporary folder."""
    from chalice.test import Client
    from moto import mock_aws

    from app import app

    folder = tmp_path_factory.mktemp("generated-client")
    with mock_aws(), Client(app) as test_client:
        document = test_client.http.get("/api/v1/openapi").body
    (folder / "openapi.json").write_bytes(document)
    (folder / "config.json").write_text(json.dumps({"post_hooks": []}))
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "openapi-python-client"),
            "generate",
            "--path",
            "openapi.json",
            "--config",
            "config.json",
            "--output-path",
            PACKAGE,
            "--meta",
            "none",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _module(package, name: str):
    return importlib.import_module(f"{package.__name__}.{name}")


@pytest.fixture
def api(generated, client, member, workspace_id):
    """The generated API modules, a signed-in agent's client, and the workspace it works in."""
    from chalicelib.domain.directory import get_user

    models = _module(generated, "models")
    login = _module(generated, "api.directory.login")
    email = get_user(member("agent"))["email"]
    transport = ChaliceTransport(client)
    anonymous = generated.Client(base_url=BASE_URL, httpx_args={"transport": transport})

    session = login.sync(client=anonymous, body=models.LoginRequest(email=email, password=PASSWORD))

    assert isinstance(session, models.LoginResponse), session
    signed_in = generated.AuthenticatedClient(
        base_url=BASE_URL, token=session.token, httpx_args={"transport": transport}
    )
    return generated, models, signed_in, workspace_id


def _call(package, operation: str):
    family = "directory" if operation in {"login", "get_me"} else "tickets"
    return _module(package, f"api.{family}.{operation}")


def test_generated_client_signs_in_and_reads_its_profile(api):
    package, models, signed_in, _ = api

    me = _call(package, "get_me").sync(client=signed_in)

    assert isinstance(me, models.Me)
    assert me.roles == ["agent"]


def test_generated_client_creates_a_ticket_with_a_priority_alias(api):
    package, models, signed_in, workspace = api
    body = models.TicketCreate(title="Printer on fire", priority=models.PriorityInput.P1)

    response = _call(package, "create_ticket").sync_detailed(client=signed_in, body=body, x_workspace_id=workspace)

    assert response.status_code == 201
    assert isinstance(response.parsed, models.Ticket)
    assert response.parsed.priority == models.Priority.URGENT
    assert response.headers["Location"] == f"/api/v1/tickets/{response.parsed.id}"
    assert response.headers["ETag"] == f'"v{response.parsed.version}"'


def test_generated_client_lists_with_a_filter_and_follows_the_cursor(api):
    package, models, signed_in, workspace = api
    create, list_tickets = _call(package, "create_ticket"), _call(package, "list_tickets")
    tag = f"batch-{uuid.uuid4().hex[:8]}"
    created = {
        create.sync(
            client=signed_in, body=models.TicketCreate(title=f"Tagged {n}", tags=[tag]), x_workspace_id=workspace
        ).id
        for n in range(3)
    }
    create.sync(client=signed_in, body=models.TicketCreate(title="Untagged"), x_workspace_id=workspace)

    listed, pages, cursor = [], 0, _module(package, "types").UNSET
    while True:
        page = list_tickets.sync(client=signed_in, x_workspace_id=workspace, tag=tag, limit=2, cursor=cursor)
        assert isinstance(page, models.TicketList), page
        listed += [ticket.id for ticket in page.data]
        pages += 1
        if page.page.next_cursor is None:
            break
        cursor = page.page.next_cursor

    assert sorted(listed) == sorted(created)
    assert pages >= 2


def test_generated_client_comments_on_a_ticket(api):
    package, models, signed_in, workspace = api
    ticket = _call(package, "create_ticket").sync(
        client=signed_in, body=models.TicketCreate(title="Needs a note"), x_workspace_id=workspace
    )

    comment = _call(package, "add_comment").sync(
        ticket.id, client=signed_in, body=models.CommentCreate(body_md="Looking into it"), x_workspace_id=workspace
    )
    comments = _call(package, "list_comments").sync(ticket.id, client=signed_in, x_workspace_id=workspace)

    assert isinstance(comment, models.Comment)
    assert [c.body_md for c in comments.data] == ["Looking into it"]


def test_generated_client_patches_with_if_match_and_a_stale_tag_is_refused(api):
    package, models, signed_in, workspace = api
    update = _call(package, "update_ticket")
    created = _call(package, "create_ticket").sync_detailed(
        client=signed_in, body=models.TicketCreate(title="First title"), x_workspace_id=workspace
    )
    ticket_id, first_etag = created.parsed.id, created.headers["ETag"]

    fresh = update.sync_detailed(
        ticket_id,
        client=signed_in,
        body=models.TicketPatch(title="Second title"),
        x_workspace_id=workspace,
        if_match=first_etag,
    )
    stale = update.sync_detailed(
        ticket_id,
        client=signed_in,
        body=models.TicketPatch(title="Lost update"),
        x_workspace_id=workspace,
        if_match=first_etag,
    )

    assert fresh.status_code == 200
    assert fresh.parsed.title == "Second title"
    assert fresh.headers["ETag"] != first_etag
    assert stale.status_code == 412
    assert isinstance(stale.parsed, models.Error)
    assert stale.parsed.code == "precondition_failed"
