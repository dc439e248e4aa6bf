"""The one private cattrs converter: JSON bodies in, frozen models out (pure).

The converter is strict about types (a string where a bool belongs is a decode error, not
``True``) and tolerant about change: unknown keys are ignored, and an enum value DigitalOcean
adds later is kept as a plain ``str``. Every failure becomes :class:`DecodeError`.
"""

from __future__ import annotations

import json
import typing
from datetime import datetime
from itertools import repeat
from typing import TYPE_CHECKING, Any, TypeVar

import cattrs

from aiodo_projects._structure import AdoptFn, make_structurers, to_utc
from aiodo_projects.errors import DecodeError
from aiodo_projects.models import (
    Environment,
    Page,
    PageLinks,
    Project,
    Resource,
    ResourceLinks,
    ResourceStatus,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from enum import StrEnum

__all__ = ["JSON_LIBRARY", "decode_page", "decode_resources", "decode_single", "loads", "snippet"]

T = TypeVar("T")

_SNIPPET_CHARS = 120
_STRUCTURE_ERRORS = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    cattrs.BaseValidationError,
    cattrs.StructureHandlerNotFoundError,
)


def _pick_loads() -> tuple[Callable[[bytes], object], str]:
    """Use orjson when it is installed (the ``fast`` extra), else the standard library.

    orjson parses a page of projects in about half the time of ``json.loads``. Both raise a
    ``ValueError`` for a body that is not JSON (``orjson.JSONDecodeError`` is a
    ``json.JSONDecodeError``); orjson is a little stricter (no ``NaN``, UTF-8 only, nesting
    capped at 1024), which the API never needs.
    """
    try:
        import orjson  # noqa: PLC0415 -- optional: only the fast extra installs it
    except ImportError:
        return json.loads, "json"
    return orjson.loads, "orjson"


loads, JSON_LIBRARY = _pick_loads()
"""Parse a JSON body (bytes) into Python values; raises ``ValueError`` or ``RecursionError``."""


def _parsed_key(name: str) -> str:
    """Return the string object the parser makes for the object key ``name``.

    orjson keeps one string object per short key name and reuses it in every dict it makes, so
    a lookup with that very object matches on identity: about 0.1 us less per project than
    with an equal string (the decoders look up ten keys and store three per project). Should
    orjson drop the name from its cache, the lookups stay correct, only slower. The standard
    library makes new key strings for each document, so there the name itself is as good.
    """
    if JSON_LIBRARY != "orjson":
        return name
    parsed = loads(json.dumps({name: 0}).encode())
    return next(iter(typing.cast("dict[str, object]", parsed)))


def snippet(value: object) -> str:
    """Return a short, single-line excerpt of a body for an error message."""
    if isinstance(value, bytes):
        text = value[: _SNIPPET_CHARS * 4].decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=repr)
        except (TypeError, ValueError, RecursionError):
            text = repr(value)
    text = " ".join(text[: _SNIPPET_CHARS * 2].split())
    return text[:_SNIPPET_CHARS]


def _strict(expected: type[Any]) -> Callable[[object, object], object]:
    def hook(value: object, _: object) -> object:
        if type(value) is not expected:
            msg = f"expected {expected.__name__}, got {type(value).__name__}"
            raise TypeError(msg)
        return value

    return hook


def _datetime(value: object, _: object) -> datetime:
    if type(value) is not str:
        msg = f"expected an ISO 8601 string, got {type(value).__name__}"
        raise TypeError(msg)
    return to_utc(datetime.fromisoformat(value))


def _open_enum(enum: type[StrEnum]) -> Callable[[object, object], StrEnum | str | None]:
    members = {member.value: member for member in enum}

    def hook(value: object, _: object) -> StrEnum | str | None:
        if value is None:
            return None
        if type(value) is not str:
            msg = f"expected a string for {enum.__name__}, got {type(value).__name__}"
            raise TypeError(msg)
        return members.get(value, value)

    return hook


def make_converter() -> cattrs.Converter:
    """Build the converter, configured for speed on the hot path.

    No detailed validation, and the models a listing makes by the thousand (``Project``,
    ``Resource``, ``ResourceLinks``) get generated straight-line structure functions
    (:mod:`aiodo_projects._structure`) that keep the strictness of the hooks registered here.
    """
    converter = cattrs.Converter(detailed_validation=False, forbid_extra_keys=False)
    for primitive in (str, int, bool):
        converter.register_structure_hook(primitive, _strict(primitive))
    converter.register_structure_hook(datetime, _datetime)
    converter.register_structure_hook(Environment | str | None, _open_enum(Environment))
    converter.register_structure_hook(ResourceStatus | str | None, _open_enum(ResourceStatus))
    hook_for = converter.get_structure_hook
    links = make_structurers(
        ResourceLinks, hook_for, renames={"self_": "self"}, key_object=_parsed_key
    )
    converter.register_structure_hook(ResourceLinks, links.one)
    for model in (Resource, Project):
        structurers = make_structurers(model, hook_for, key_object=_parsed_key)
        converter.register_structure_hook(model, structurers.one)
        if structurers.adopt is not None:
            _ADOPTERS[model] = structurers.adopt
    return converter


_ADOPTERS: dict[type, AdoptFn] = {}
_converter = make_converter()
_HOOKS: dict[type, Callable[[Any, type], Any]] = {}


def _structure(value: object, cls: type[T], what: str) -> T:
    if not isinstance(value, dict):
        raise DecodeError(f"expected {what} to be a JSON object", snippet=snippet(value))
    hook = _HOOKS.get(cls)
    if hook is None:  # the hook does not change: skip cattrs' dispatch on later calls
        hook = _HOOKS[cls] = _converter.get_structure_hook(cls)
    try:
        return hook(value, cls)  # type: ignore[no-any-return]
    except _STRUCTURE_ERRORS as exc:
        raise DecodeError(
            f"{what} is not a valid {cls.__name__} ({exc!r})", snippet=snippet(value)
        ) from exc


def decode_single(body: object, key: str, cls: type[T]) -> T:
    """Decode ``{"<key>": {...}}`` into one model."""
    if not isinstance(body, dict) or key not in body:
        raise DecodeError(f"expected a JSON object with key {key!r}", snippet=snippet(body))
    return _structure(body[key], cls, key)


def _decode_items(
    body: dict[str, Any], key: str, cls: type[T], *, owned: bool = False
) -> tuple[T, ...]:
    items = body.get(key)
    if not isinstance(items, list):
        raise DecodeError(f"expected {key!r} to be a JSON array", snippet=snippet(body))
    adopt = _ADOPTERS.get(cls) if owned else None
    if adopt is not None:
        made: list[T] = []
        try:
            return tuple(adopt(items, made))
        except _STRUCTURE_ERRORS as exc:
            index = len(made)  # adopt stops at the first bad item, which it left unchanged
            raise DecodeError(
                f"item {index} of {key!r} is not a valid {cls.__name__} ({exc!r})",
                snippet=snippet(items[index]),
            ) from exc
    hook = _converter.get_structure_hook(cls)
    try:
        return tuple(map(hook, items, repeat(cls)))
    except _STRUCTURE_ERRORS as exc:
        index = next((n for n, item in enumerate(items) if not _is_valid(item, cls)), 0)
        raise DecodeError(
            f"item {index} of {key!r} is not a valid {cls.__name__} ({exc!r})",
            snippet=snippet(items[index]),
        ) from exc


def _is_valid(item: object, cls: type[Any]) -> bool:
    try:
        _converter.structure(item, cls)
    except _STRUCTURE_ERRORS:
        return False
    return True


def decode_resources(body: object) -> tuple[Resource, ...]:
    """Decode an assignment answer, ``{"resources": [...]}``."""
    if not isinstance(body, dict):
        raise DecodeError("expected a JSON object with key 'resources'", snippet=snippet(body))
    return _decode_items(body, "resources", Resource)


def decode_page(body: object, key: str, cls: type[T], *, owned: bool = False) -> Page[T]:
    """Decode a listing: items under ``key``, ``meta.total`` and ``links.pages``.

    ``owned=True`` says nothing else holds ``body`` (it was just parsed): its item objects may
    then become the models' own attribute dicts instead of being copied.
    """
    if not isinstance(body, dict):
        raise DecodeError(f"expected a JSON object with key {key!r}", snippet=snippet(body))
    items = _decode_items(body, key, cls, owned=owned)
    meta = body.get("meta")
    total = meta.get("total") if isinstance(meta, dict) else None
    if type(total) is not int or total < 0:
        raise DecodeError("expected meta.total to be a non-negative integer", snippet=snippet(meta))
    return Page(items=items, total=total, links=_decode_links(body.get("links")))


def _decode_links(links: object) -> PageLinks:
    if links is None:
        return PageLinks()
    pages = links.get("pages") if isinstance(links, dict) else None
    if pages is None or pages == {}:
        if isinstance(links, dict):
            return PageLinks()
        raise DecodeError("expected links to be a JSON object", snippet=snippet(links))
    if not isinstance(pages, dict) or not all(
        isinstance(pages.get(name), str | None) for name in ("first", "prev", "next", "last")
    ):
        raise DecodeError("expected links.pages to map names to URLs", snippet=snippet(pages))
    return PageLinks(
        first=pages.get("first"),
        prev=pages.get("prev"),
        next=pages.get("next"),
        last=pages.get("last"),
    )
