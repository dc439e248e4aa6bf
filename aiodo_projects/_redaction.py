"""Keeping the API token out of every exception the client raises, and out of their causes.

A hostile or broken server can echo the ``Authorization`` header back (in a body, a header, a
malformed status line), and aiohttp's own errors keep the request's headers
(``ClientResponseError.request_info``). Before an error leaves the client, :func:`redact_chain`
rewrites, in place, everything that ``str``, ``repr`` and ``traceback.format_exception`` show
of it and of each exception in its ``__cause__``/``__context__`` chain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

__all__ = ["MASK", "redact_chain"]

MASK = "***"

E = TypeVar("E", bound=BaseException)


def redact_chain(error: E, secret: str) -> E:
    """Replace ``secret`` by :data:`MASK` in ``error`` and every exception chained to it."""
    if not secret:
        return error
    forms = _forms(secret)
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        exc = pending.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        _redact_exception(exc, forms)
        pending.extend(e for e in (exc.__cause__, exc.__context__) if e is not None)
        # An exception kept as an attribute (ClientConnectorError's os_error) shows in str.
        pending.extend(v for v in vars(exc).values() if isinstance(v, BaseException))
    return error


def _forms(secret: str) -> tuple[str, ...]:
    """Return the secret as text and as it shows inside the ``repr`` of bytes or of a str."""
    shown = {secret, repr(secret.encode())[2:-1], repr(secret)[1:-1]}
    return tuple(sorted(shown, key=len, reverse=True))


def _redact_exception(exc: BaseException, forms: tuple[str, ...]) -> None:
    args = _clean(exc.args, forms)
    if args is not exc.args and isinstance(args, tuple):
        exc.args = args
    for name, value in list(vars(exc).items()):
        cleaned = _clean(value, forms)
        if cleaned is not value:
            setattr(exc, name, cleaned)
    if isinstance(exc, OSError) and isinstance(exc.strerror, str):
        exc.strerror = _mask(exc.strerror, forms)


def _clean(value: object, forms: tuple[str, ...]) -> object:  # noqa: PLR0911
    """Return ``value`` with the secret masked: the same object when it holds none."""
    if isinstance(value, str):
        return _mask(value, forms)
    if isinstance(value, bytes | bytearray):
        text = value.decode("latin-1")
        masked = _mask(text, forms)
        return value if masked is text else masked.encode("latin-1")
    if isinstance(value, tuple):
        items = [_clean(v, forms) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        if hasattr(value, "_fields"):  # a NamedTuple such as aiohttp's RequestInfo
            rebuild: Callable[..., object] = type(value)
            return rebuild(*items)
        return tuple(items)
    if isinstance(value, list):
        items = [_clean(v, forms) for v in value]
        changed = any(a is not b for a, b in zip(items, value, strict=True))
        return items if changed else value
    if isinstance(value, Mapping):
        pairs = list(value.items())
        cleaned = [(k, _clean(v, forms)) for k, v in pairs]
        if all(new is old for (_, new), (_, old) in zip(cleaned, pairs, strict=True)):
            return value
        return _mapping_like(value, cleaned)
    return value


def _mask(text: str, forms: tuple[str, ...]) -> str:
    for form in forms:
        if form in text:
            text = text.replace(form, MASK)
    return text


def _mapping_like(original: Mapping[object, object], pairs: list[tuple[object, object]]) -> object:
    """Rebuild headers as the kind of mapping they were (aiohttp's are multidict proxies)."""
    if isinstance(original, CIMultiDictProxy | CIMultiDict):
        rebuilt: CIMultiDict[object] = CIMultiDict(pairs)  # type: ignore[arg-type]
        return CIMultiDictProxy(rebuilt) if isinstance(original, CIMultiDictProxy) else rebuilt
    if isinstance(original, MultiDictProxy | MultiDict):
        plain: MultiDict[object] = MultiDict(pairs)  # type: ignore[arg-type]
        return MultiDictProxy(plain) if isinstance(original, MultiDictProxy) else plain
    return dict(pairs)
