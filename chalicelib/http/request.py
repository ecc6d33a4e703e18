"""What a route handler receives: the parsed, authenticated, validated request."""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.auth.principal import Principal
from chalicelib.errors import PreconditionFailed

_ETAG = re.compile(r'^(?:W/)?"v(\d{1,12})"$')


FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


def media_type(headers: dict) -> str:
    """The request body's media type (lower case, parameters dropped); JSON when none is given."""
    return headers.get("content-type", "application/json").split(";")[0].strip().lower()


def etag_for(version: int) -> str:
    return f'"v{version}"'


def source_ip_of(request) -> str | None:
    """The client address API Gateway saw (``requestContext.identity.sourceIp``), if any."""
    identity = (getattr(request, "context", None) or {}).get("identity") or {}
    address = identity.get("sourceIp")
    return address if isinstance(address, str) and address else None


@dataclass
class RequestContext:
    method: str
    path: str
    path_params: dict
    query: dict
    body: dict | None
    raw_body: bytes
    headers: dict
    correlation_id: str
    principal: Principal | None = None
    workspace_id: str | None = None
    source_ip: str | None = None

    def sent_form(self) -> bool:
        """Whether the body came form-encoded (a browser's form post) rather than as JSON."""
        return media_type(self.headers) == FORM_MEDIA_TYPE

    def expected_version(self) -> int | None:
        """The version ``If-Match`` names (None when absent or ``*``); a malformed tag cannot match."""
        value = self.headers.get("if-match")
        if value is None or value.strip() == "*":
            return None
        match = _ETAG.match(value.strip())
        if not match:
            raise PreconditionFailed("If-Match does not match the current version", code="precondition_failed")
        return int(match.group(1))
