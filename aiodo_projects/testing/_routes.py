"""The 13 Projects operations: routing a request to its operationId, and answering it.

Answers are ``(status, body)`` with the body already encoded; errors are raised as
`ApiError`. Listings are built from cached per-project JSON, so a page costs O(page).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from aiodo_projects.testing._wire import ApiError, dumps

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from aiodo_projects.testing._state import Store

_PREFIX: Final = "/v2/projects"
# (path shape, method) -> operationId, as in the OpenAPI description.
_OPERATIONS: Final = {
    ("", "GET"): "projects_list",
    ("", "POST"): "projects_create",
    ("default", "GET"): "projects_get_default",
    ("default", "PUT"): "projects_update_default",
    ("default", "PATCH"): "projects_patch_default",
    # Not in the spec: DELETE /v2/projects/default reaches projects_delete, which refuses.
    ("default", "DELETE"): "projects_delete",
    ("{id}", "GET"): "projects_get",
    ("{id}", "PUT"): "projects_update",
    ("{id}", "PATCH"): "projects_patch",
    ("{id}", "DELETE"): "projects_delete",
    ("default/resources", "GET"): "projects_list_resources_default",
    ("default/resources", "POST"): "projects_assign_resources_default",
    ("{id}/resources", "GET"): "projects_list_resources",
    ("{id}/resources", "POST"): "projects_assign_resources",
}
OPERATION_IDS: Final = frozenset(_OPERATIONS.values())
WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_PER_PAGE: Final = 200
DEFAULT_PER_PAGE: Final = 20
_INTEGER: Final = re.compile(r"[+-]?[0-9]{1,18}")


def route(method: str, path: str) -> tuple[str, str]:
    """Return the operationId and the project reference (``""`` if none) of a request."""
    shape, ref = "", ""
    if path != _PREFIX:
        inside = path.startswith(_PREFIX + "/")
        parts = path.removeprefix(_PREFIX + "/").split("/") if inside else []
        if len(parts) == 2 and parts[1] == "resources":  # noqa: PLR2004
            ref = parts[0]
            shape = "default/resources" if ref == "default" else "{id}/resources"
        elif len(parts) == 1:
            ref = parts[0]
            shape = "default" if ref == "default" else "{id}"
        if not ref:
            raise ApiError(404)
    operation = _OPERATIONS.get((shape, method))
    if operation is None:
        raise ApiError(405, f"{method} is not allowed on {path}")
    return operation, ref


def parse_body(raw: bytes) -> object:
    """Parse a write's JSON body; a missing or invalid body is a 400."""
    if not raw.strip():
        raise ApiError(400, "the request body is missing")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "the request body is not valid JSON") from None


@dataclass(frozen=True, slots=True)
class Call:
    """One request as an operation sees it."""

    ref: str  # the project named in the path ("" for none, "default" for the default)
    raw: bytes  # the body as received
    query: Mapping[str, str]
    page_url: str  # the absolute URL (origin and path) pagination links are built on
    content_type: str = "application/json"  # the request's Content-Type header


def answer(store: Store, operation: str, call: Call) -> tuple[int, bytes | None]:
    """Carry out one operation; return its status and encoded body."""
    return _ANSWERS[operation](store, call)


def _list_projects(store: Store, call: Call) -> tuple[int, bytes]:
    page, per_page, given = _pagination(call.query)
    total = len(store.projects)
    items = b",".join(store.page((page - 1) * per_page, per_page))
    links = dumps(_links(call.page_url, page, per_page, given=given, total=total))
    return 200, b'{"projects":[%s],"links":%s,"meta":{"total":%d}}' % (items, links, total)


def _create(store: Store, call: Call) -> tuple[int, bytes]:
    return 201, _project(store, store.create(parse_body(call.raw))["id"])


def _get(store: Store, call: Call) -> tuple[int, bytes]:
    return 200, _project(store, store.resolve(call.ref or "default"))


def _update(store: Store, call: Call) -> tuple[int, bytes]:
    project = store.update(call.ref or "default", parse_body(call.raw), partial=False)
    return 200, _project(store, project["id"])


def _patch(store: Store, call: Call) -> tuple[int, bytes]:
    project = store.update(call.ref or "default", parse_body(call.raw), partial=True)
    return 200, _project(store, project["id"])


def _delete(store: Store, call: Call) -> tuple[int, None]:
    # DigitalOcean answers 415 to a DELETE that does not say it is JSON.
    if not call.content_type.lower().startswith("application/json"):
        raise ApiError(415, "Content-Type must be application/json")
    store.delete(call.ref)
    return 204, None


def _list_resources(store: Store, call: Call) -> tuple[int, bytes]:
    resources = list(store.resources[store.resolve(call.ref or "default")].values())
    page, per_page, given = _pagination(call.query)
    start, total = (page - 1) * per_page, len(resources)
    listing = {
        "resources": resources[start : start + per_page],
        "links": _links(call.page_url, page, per_page, given=given, total=total),
        "meta": {"total": total},
    }
    return 200, dumps(listing)


def _assign(store: Store, call: Call) -> tuple[int, bytes]:
    pid = store.resolve(call.ref or "default")
    return 200, dumps({"resources": store.assign(pid, parse_body(call.raw))})


_ANSWERS: Final[dict[str, Callable[[Store, Call], tuple[int, bytes | None]]]] = {
    "projects_list": _list_projects,
    "projects_create": _create,
    "projects_get": _get,
    "projects_get_default": _get,
    "projects_update": _update,
    "projects_update_default": _update,
    "projects_patch": _patch,
    "projects_patch_default": _patch,
    "projects_delete": _delete,
    "projects_list_resources": _list_resources,
    "projects_list_resources_default": _list_resources,
    "projects_assign_resources": _assign,
    "projects_assign_resources_default": _assign,
}


def _project(store: Store, pid: str) -> bytes:
    return b'{"project":%s}' % store.fragment(pid)


def _pagination(query: Mapping[str, str]) -> tuple[int, int, bool]:
    """Return page, per_page and whether per_page was given; invalid values are a 400."""
    page = _integer(query, "page", 1)
    per_page = _integer(query, "per_page", DEFAULT_PER_PAGE)
    if page < 1:
        raise ApiError(400, "page must be at least 1")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ApiError(400, f"per_page must be between 1 and {MAX_PER_PAGE}")
    return page, per_page, "per_page" in query


def _integer(query: Mapping[str, str], key: str, default: int) -> int:
    value = query.get(key)
    if value is None:
        return default
    if _INTEGER.fullmatch(value) is None:
        raise ApiError(400, f"{key} must be an integer")
    return int(value)


def _links(
    url: str, page: int, per_page: int, *, given: bool, total: int
) -> dict[str, dict[str, str]]:
    """Return ``links`` with only the keys that apply, as DigitalOcean does.

    ``first``/``prev`` appear past page 1, ``next``/``last`` before the last page, and a
    single page gets ``{}``. Links keep ``per_page`` when the request gave it.
    """
    last = max(1, -(-total // per_page))
    suffix = f"&per_page={per_page}" if given else ""
    pages = {}
    if page > 1:
        pages["first"] = f"{url}?page=1{suffix}"
        pages["prev"] = f"{url}?page={page - 1}{suffix}"
    if page < last:
        pages["next"] = f"{url}?page={page + 1}{suffix}"
        pages["last"] = f"{url}?page={last}{suffix}"
    return {"pages": pages} if pages else {}
