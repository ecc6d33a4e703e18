"""The interactive API reference: Swagger UI served from the pinned ``swagger-ui-py`` package.

Only the two files the page needs are read. Swagger UI 5 renders OpenAPI 3.1; the ``swagger-ui-bundle``
package on PyPI stops at 4.x, which refuses 3.1 documents. Every URL in the page is relative,
so it works under an API Gateway stage prefix as well as on ``make run``.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

PACKAGE = "swagger_ui"  # import name of swagger-ui-py
# file name (in the package's static/ folder) → content type; the only files of the package the
# API reads, so a build may leave out the rest (~25 MB of Swagger Editor and source maps).
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}
# The assets never change for a pinned package version: let browsers keep them for a day.
ASSET_CACHE_CONTROL = "public, max-age=86400"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Deskflow API reference</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "openapi", dom_id: "#swagger-ui", deepLinking: true});
  </script>
</body>
</html>
"""


def _static_folder() -> Path:
    # find_spec locates the package without importing it (its __init__ pulls in jinja2 and yaml).
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed (see requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


@cache
def asset(name: str) -> str:
    """The text of one of ``ASSETS`` (read once per process)."""
    return (_static_folder() / name).read_text(encoding="utf-8")
