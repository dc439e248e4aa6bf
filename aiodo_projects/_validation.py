"""Checks on arguments before anything is sent; each failure is a ValidationError (pure)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from aiodo_projects.errors import ValidationError
from aiodo_projects.models import Environment

__all__ = [
    "FIELDS",
    "check_page",
    "check_project_fields",
    "check_project_id",
    "check_urns",
]

FIELDS = ("name", "description", "purpose", "environment", "is_default")
MAX_NAME = 175
MAX_TEXT = 255
MAX_PER_PAGE = 200
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# https://docs.digitalocean.com/reference/api/api-reference/#tag/Project-Resources : do:<type>:<id>
_URN = re.compile(r"do:[a-z][a-z0-9_]*:\S+")


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
