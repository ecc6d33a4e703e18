"""The interactive API reference at /api/v1/docs: a public page whose script and stylesheet
the API serves itself (no CDN) and which loads the API's own OpenAPI document."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest

PAGE_URL = "http://deskflow.test/api/v1/docs"


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"])
        if tag == "script":
            if "src" in attributes:
                self.scripts.append(attributes["src"])
            else:
                self._in_inline_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data):
        if self._in_inline_script:
            self.inline_scripts.append(data)


@pytest.fixture(scope="module")
def docs_client():
    from chalice.test import Client
    from moto import mock_aws

    from app import app

    with mock_aws(), Client(app) as test_client:
        yield test_client


def _path(reference: str) -> str:
    """Where the browser fetches ``reference`` from, seen from the page."""
    return urlparse(urljoin(PAGE_URL, reference)).path


@pytest.fixture(scope="module")
def page(docs_client):
    response = docs_client.http.get("/api/v1/docs")
    references = _References()
    references.feed(response.body.decode())
    return response, references


def test_docs_page_is_public_html(page):
    response, _ = page

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")


def test_docs_page_loads_only_assets_the_api_serves_itself(page):
    _, references = page

    for reference in references.stylesheets + references.scripts:
        assert not urlparse(reference).netloc, f"{reference} is fetched from another host"


def test_docs_script_and_stylesheet_load_with_their_content_types(page, docs_client):
    _, references = page
    (stylesheet,), (script,) = references.stylesheets, references.scripts

    css = docs_client.http.get(_path(stylesheet))
    js = docs_client.http.get(_path(script))

    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert b".swagger-ui" in css.body
    assert js.status_code == 200
    assert js.headers["Content-Type"].startswith("text/javascript")
    assert b"SwaggerUIBundle" in js.body


def test_docs_page_points_swagger_ui_at_the_openapi_document(page, docs_client):
    _, references = page
    (url,) = re.findall(r'url:\s*"([^"]+)"', "".join(references.inline_scripts))

    document = docs_client.http.get(_path(url))

    assert _path(url) == "/api/v1/openapi"
    assert document.status_code == 200
    assert document.json_body["openapi"].startswith("3.1.")


def test_docs_bundle_is_a_swagger_ui_that_renders_openapi_3_1(page, docs_client):
    _, references = page

    js = docs_client.http.get(_path(references.scripts[0]))

    # Swagger UI 4 (the swagger-ui-bundle package) refuses 3.1 documents; 5 knows them as OAS 3.1.
    assert b"isOAS31" in js.body
