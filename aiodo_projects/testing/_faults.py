"""Scripted answers: exact responses (`ScriptedResponse`) and transport faults (`Fault`)."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


def check_seconds(what: str, value: object, *, signed: bool = False) -> float:
    """Return a delay or clock offset in seconds; refuse NaN, infinities and non-numbers.

    Negative values are refused too unless ``signed`` (a clock may be behind, a delay not).
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or (value < 0 and not signed)
    ):
        kind = "finite" if signed else "finite, non-negative"
        raise ValueError(f"{what} must be a {kind} number of seconds, not {value!r}")
    return float(value)


class FaultKind(enum.Enum):
    """The kinds of fault the fake can inject."""

    LATENCY = "latency"
    CLOSE_BEFORE_RESPONSE = "close_before_response"
    RESET_AFTER_PROCESSING = "reset_after_processing"
    TRUNCATED_BODY = "truncated_body"
    HANG = "hang"
    INVALID_JSON = "invalid_json"
    HTML_ERROR = "html_error"
    SKEWED_DATE = "skewed_date"


@dataclass(frozen=True, slots=True)
class Fault:
    """A misbehaviour for one request; build one with the class methods.

    >>> fake.script("projects_create", Fault.reset_after_processing())  # doctest: +SKIP
    """

    kind: FaultKind
    seconds: float = 0.0
    status: int = 502

    def __post_init__(self) -> None:
        signed = self.kind is FaultKind.SKEWED_DATE
        check_seconds(f"Fault.{self.kind.value}", self.seconds, signed=signed)

    @classmethod
    def latency(cls, seconds: float) -> Fault:
        """Wait ``seconds``, then answer normally."""
        return cls(FaultKind.LATENCY, seconds=seconds)

    @classmethod
    def close_before_response(cls) -> Fault:
        """Read the request, do not process it, close the connection without answering."""
        return cls(FaultKind.CLOSE_BEFORE_RESPONSE)

    @classmethod
    def reset_after_processing(cls) -> Fault:
        """Process the request (a write happens), then drop the connection unanswered."""
        return cls(FaultKind.RESET_AFTER_PROCESSING)

    @classmethod
    def truncated_body(cls) -> Fault:
        """Process the request, send a Content-Length longer than the body, then close.

        Half the body is sent. A 204 has no body, so clients see a complete 204.
        """
        return cls(FaultKind.TRUNCATED_BODY)

    @classmethod
    def hang(cls) -> Fault:
        """Never answer, until the client disconnects or the fake closes."""
        return cls(FaultKind.HANG)

    @classmethod
    def invalid_json(cls) -> Fault:
        """Answer 200 with a JSON content type and the body ``{"projects": [``."""
        return cls(FaultKind.INVALID_JSON)

    @classmethod
    def html_error(cls, status: int = 502) -> Fault:
        """Answer like an nginx proxy in front of the API: an HTML error page."""
        return cls(FaultKind.HTML_ERROR, status=status)

    @classmethod
    def skewed_date(cls, seconds: float) -> Fault:
        """Answer normally, as a server whose clock is ``seconds`` off (Date and reset)."""
        return cls(FaultKind.SKEWED_DATE, seconds=seconds)


@dataclass(frozen=True, slots=True)
class ScriptedResponse:
    """Exactly this answer for one request (the request is not processed).

    ``json`` is encoded as the body; otherwise ``body`` (bytes or text) is sent as is.
    ``content_type`` defaults to JSON when there is a body. The fake's usual headers
    (``Date``, ``x-request-id``, ``ratelimit-*``) are added unless ``headers`` sets them.
    """

    status: int = 200
    json: Any = None
    body: bytes | str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None


def nginx_page(status: int, reason: str) -> str:
    """Return the HTML error page an nginx proxy shows."""
    title = f"{status} {reason}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
