"""Checks on arguments before anything is sent; each failure is a ValidationError (pure)."""

from __future__ import annotations

import ipaddress
import math
import re
import uuid
from collections.abc import Iterable
from typing import Any

from yarl import URL

from aiodo_projects.errors import ValidationError
from aiodo_projects.models import Environment

__all__ = [
    "FIELDS",
    "check_base_url",
    "check_callable",
    "check_count",
    "check_page",
    "check_project_fields",
    "check_project_id",
    "check_seconds",
    "check_token",
    "check_urns",
    "is_loopback",
]

FIELDS = ("name", "description", "purpose", "environment", "is_default")
MAX_NAME = 175
MAX_TEXT = 255
MAX_PER_PAGE = 200
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# https://docs.digitalocean.com/reference/api/api-reference/#tag/Project-Resources : do:<type>:<id>
_URN = re.compile(r"do:[a-z][a-z0-9_]*:\S+")


# -- Client options ---------------------------------------------------------------------------

_TOKEN = re.compile(r"[!-~]+")  # visible ASCII: what an Authorization header can carry as is
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f]")


def check_token(token: object, source: str) -> str:
    """Return the API token with surrounding whitespace removed; ``source`` names its origin."""
    if not isinstance(token, str):
        raise ValidationError(f"{source} must be a string, not {type(token).__name__}")
    token = token.strip()
    if not token:
        raise ValidationError(f"{source} is empty")
    if not _TOKEN.fullmatch(token):
        # Never show the token, not even a part of it.
        raise ValidationError(
            f"{source} contains a space, a control character or a non-ASCII character"
        )
    return token


def check_seconds(name: str, value: object, *, zero: bool = False, infinite: bool = False) -> float:
    """Return ``value`` as seconds: a number (not a bool), positive, or >= 0 with ``zero``."""
    if type(value) not in {int, float} or math.isnan(value):  # type: ignore[arg-type]
        raise ValidationError(f"{name} must be a number of seconds, not {_shown(value)}")
    seconds = float(value)  # type: ignore[arg-type]
    if seconds < 0 or (seconds == 0 and not zero) or (math.isinf(seconds) and not infinite):
        kind = "a number of seconds >= 0" if zero else "a positive number of seconds"
        finite = "" if infinite else " (finite)"
        raise ValidationError(f"{name} must be {kind}{finite}, not {value!r}")
    return seconds


def check_count(name: str, value: object, *, least: int) -> int:
    """Return ``value`` if it is an int (not a bool) of at least ``least``."""
    if type(value) is not int or value < least:
        raise ValidationError(f"{name} must be an integer of at least {least}, not {_shown(value)}")
    return value


def check_callable(name: str, value: object) -> None:
    """Check that ``value`` is ``None`` or can be called."""
    if value is not None and not callable(value):
        raise ValidationError(f"{name} must be a callable or None, not {_shown(value)}")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: object) -> URL:
    """Return ``base_url`` as a URL: an https origin (http for loopback), nothing more.

    A path is refused: requests go to ``/v2/...`` on the origin, and the API's page links name
    paths from the origin too, so a prefix would hold for the first page only.
    """
    if not isinstance(base_url, str | URL):
        raise ValidationError(f"base_url must be a string or a yarl.URL, not {_shown(base_url)}")
    text = str(base_url)
    if _UNSAFE_IN_URL.search(text):
        raise ValidationError(f"base_url contains a space or a control character: {_shown(text)}")
    try:
        url = URL(base_url)
        port = url.explicit_port
    except ValueError as exc:
        raise ValidationError(f"base_url is not a valid URL ({exc}): {_shown(text)}") from None
    if not url.is_absolute() or url.scheme not in {"http", "https"} or not url.host:
        raise ValidationError(f"base_url must be an absolute https URL, not {_shown(text)}")
    if url.scheme == "http" and not is_loopback(url.host):
        raise ValidationError(
            "base_url must use https; plain http is allowed only for loopback hosts "
            f"(127.0.0.0/8, ::1, localhost), not {url.host!r}"
        )
    if url.user is not None or url.password is not None:
        raise ValidationError("base_url must not carry a user name or password")
    if port == 0:
        raise ValidationError("base_url's port must be from 1 to 65535")
    if url.query_string or url.fragment:
        raise ValidationError("base_url must not carry a query or a fragment")
    if url.raw_path not in {"", "/"}:
        raise ValidationError(
            "base_url must be an origin such as https://api.digitalocean.com, without a path"
            f" (not {url.raw_path!r}): requests and page links go to /v2/ on it"
        )
    return url


def check_project_id(project_id: object) -> str:
    """Return a project id that is safe in a URL path: a UUID or ``"default"``."""
    if isinstance(project_id, uuid.UUID):
        return str(project_id)
    if isinstance(project_id, str) and (project_id == "default" or _UUID.fullmatch(project_id)):
        return project_id
    raise ValidationError(f'project_id must be a UUID or "default", not {_shown(project_id)}')


def check_page(page: object, per_page: object) -> None:
    """Check ``page`` (at least 1) and ``per_page`` (1 to 200)."""
    if type(page) is not int or page < 1:
        raise ValidationError(f"page must be an integer of at least 1, not {_shown(page)}")
    if type(per_page) is not int or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError(
            f"per_page must be an integer from 1 to {MAX_PER_PAGE}, not {_shown(per_page)}"
        )


def check_urns(urns: object) -> list[str]:
    """Return the URNs as a list, each of the form ``do:<type>:<id>``; at least one."""
    if isinstance(urns, str) or not isinstance(urns, Iterable):
        raise ValidationError("resources must be a list of URNs such as ['do:droplet:123']")
    checked = list(urns)
    if not checked:
        raise ValidationError("resources must name at least one URN")
    for urn in checked:
        if not isinstance(urn, str) or not _URN.fullmatch(urn):
            raise ValidationError(f"{_shown(urn)} is not a URN of the form do:<type>:<id>")
    return checked


def check_project_fields(fields: dict[str, Any], *, required: Iterable[str] = ()) -> dict[str, Any]:
    """Check the project fields given (``None`` means not given) and return them as JSON values."""
    missing = [name for name in required if fields.get(name) is None]
    if missing:
        raise ValidationError(f"missing required field(s): {', '.join(missing)}")
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise ValidationError(
            f"unknown field(s): {', '.join(unknown)}; a project has {', '.join(FIELDS)}"
        )
    body: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if name == "name":
            _check_text(name, value, 1, MAX_NAME)
        elif name in {"description", "purpose"}:
            _check_text(name, value, 0 if name == "description" else 1, MAX_TEXT)
        elif name == "environment":
            body[name] = _check_environment(value)
            continue
        elif type(value) is not bool:
            raise ValidationError(f"is_default must be True or False, not {_shown(value)}")
        body[name] = value
    return body


def _check_text(name: str, value: object, least: int, most: int) -> None:
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, not {_shown(value)}")
    if not least <= len(value) <= most:
        raise ValidationError(f"{name} must be {least} to {most} characters long, not {len(value)}")


def _check_environment(value: object) -> str:
    try:
        return Environment(str(value) if isinstance(value, str) else "").value
    except ValueError:
        allowed = ", ".join(member.value for member in Environment)
        raise ValidationError(
            f"environment must be one of {allowed}, not {_shown(value)}"
        ) from None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."  # noqa: PLR2004
