"""What goes on the wire: compact JSON, timestamps and DigitalOcean-shaped errors."""

from __future__ import annotations

import json
import time
from typing import Any, Final

JSON_CONTENT_TYPE: Final = "application/json; charset=utf-8"

_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

# The `id` DigitalOcean puts in an error body for each status, and a default message.
# https://docs.digitalocean.com/reference/api/api-reference/#section/Introduction/Responses
ERRORS: Final[dict[int, tuple[str, str]]] = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Unable to authenticate you."),
    403: ("forbidden", "You do not have access for the attempted action."),
    404: ("not_found", "The resource you requested could not be found."),
    405: ("method_not_allowed", "The method is not allowed for the requested URL."),
    409: ("conflict", "The request conflicts with the current state of the resource."),
    412: ("precondition_failed", "A precondition of the request failed."),
    415: ("unsupported_media_type", "The request's content type is not supported."),
    422: ("unprocessable_entity", "The request could not be processed."),
    429: ("too_many_requests", "API rate limit exceeded."),
    500: ("server_error", "Unexpected server-side error"),
    502: ("bad_gateway", "The server received an invalid response from upstream."),
    503: ("service_unavailable", "The service is temporarily unavailable."),
    504: ("gateway_timeout", "The server did not receive a timely response from upstream."),
}


def error_id(status: int) -> str:
    """Return DigitalOcean's error `id` for an HTTP status."""
    if status in ERRORS:
        return ERRORS[status][0]
    return "server_error" if status >= 500 else "bad_request"  # noqa: PLR2004


def default_message(status: int) -> str:
    """Return a plausible message for an error status."""
    if status in ERRORS:
        return ERRORS[status][1]
    return f"The request failed with status {status}."


class ApiError(Exception):
    """An error the fake answers with: a status and a DigitalOcean-shaped body."""

    def __init__(self, status: int, message: str | None = None) -> None:
        self.status = status
        self.message = default_message(status) if message is None else message
        super().__init__(f"{status}: {self.message}")

    def body(self, request_id: str) -> dict[str, str]:
        """Return the JSON error body, `request_id` included."""
        return {"id": error_id(self.status), "message": self.message, "request_id": request_id}


def dumps(obj: Any) -> bytes:  # noqa: ANN401 - any JSON value
    """Encode a JSON value compactly, as DigitalOcean does."""
    return _ENCODER.encode(obj).encode()


def timestamp(seconds: float) -> str:
    """Format Unix seconds the way DigitalOcean formats times: ``2018-09-27T20:10:35Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
