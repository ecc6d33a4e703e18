"""Domain errors. One place (``chalicelib.http.pipeline``) maps them to HTTP responses."""

from __future__ import annotations


class DeskflowError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, details: dict | None = None, code: str | None = None, headers=None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.headers = headers or {}
        if code:
            self.code = code


class ValidationError(DeskflowError):
    status = 400
    code = "validation_error"


class Unauthorized(DeskflowError):
    status = 401
    code = "unauthorized"


class Forbidden(DeskflowError):
    status = 403
    code = "forbidden"


class NotFound(DeskflowError):
    status = 404
    code = "not_found"


class Conflict(DeskflowError):
    status = 409
    code = "conflict"


class PreconditionFailed(DeskflowError):
    status = 412
    code = "precondition_failed"


class PayloadTooLarge(DeskflowError):
    status = 413
    code = "payload_too_large"


class UnprocessableEntity(DeskflowError):
    status = 422
    code = "unprocessable_entity"


class UnsupportedMediaType(DeskflowError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(DeskflowError):
    status = 429
    code = "too_many_requests"
