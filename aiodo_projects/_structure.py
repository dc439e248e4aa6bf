"""Generated structure functions for the models: straight-line code per class (pure).

Structuring a page of 200 projects through per-field hooks cost more CPU than fetching and
parsing it: every field was a Python call, and every frozen slotted instance was filled by ten
``object.__setattr__`` calls. A function built here for a model does, in order:

1. the fast path: fetch every key at once (``operator.itemgetter``), check every value's exact
   type in one chained test (``type(v) is str``: the same strictness as the converter's hooks),
   parse datetimes with the C ``fromisoformat``, look open enums up in a dict, and make the
   instance in one step;
2. when any key is missing or any value is not of its usual type (``null``, a wrong type), the
   careful path: field by field, with defaults for missing keys, ``None`` where the model
   allows it, and a ``TypeError`` naming the field otherwise.

A field of a type this module does not know is handed to the converter's hook for it, so the
result is always the converter's contract, only faster. The keys the code looks up and stores
can be the very string objects the JSON parser puts in its dicts (orjson reuses one object per
key name): a lookup then matches on identity without comparing characters. The source of
each function is registered with :mod:`linecache`, so tracebacks and profilers show it.
"""

from __future__ import annotations

import enum
import linecache
import operator
import types
import typing
from datetime import UTC, datetime
from typing import Any

import attrs

__all__ = ["AdoptFn", "HookFor", "StructureFn", "Structurers", "make_structurers", "to_utc"]

StructureFn = typing.Callable[[Any, Any], Any]
AdoptFn = typing.Callable[[list[Any], list[Any]], list[Any]]
HookFor = typing.Callable[[Any], typing.Callable[[Any, Any], Any]]
_MISSING = object()
_EXACT = (str, int, bool)
_INDENT = "    "
_LOOP_BUILTINS = ("type", "len", "str", "int", "bool", "KeyError", "TypeError")


def to_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (a naive one is taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _type_error(key: str, expected: str, value: object) -> TypeError:
    return TypeError(f"{key}: expected {expected}, got {type(value).__name__}")


def _split_optional(tp: object) -> tuple[tuple[object, ...], bool]:
    """Split ``A | B | None`` into ``((A, B), True)``; a plain type into ``((tp,), False)``."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = typing.get_args(tp)
        rest = tuple(arg for arg in args if arg is not type(None))
        return rest, len(rest) != len(args)
    return (tp,), False


@attrs.frozen
class _Field:
    """How one attribute is read: its JSON key, kind, and what a missing key means."""

    name: str
    var: str
    key: str
    kind: str  # "exact", "datetime", "enum" or "hook"
    nullable: bool
    exact: type | None
    extra: object  # the enum's value -> member table, or the converter's hook
    tp: object
    default: object
    positional: bool


def _field(
    index: int, field: attrs.Attribute[Any], tp: object, key: str, hook_for: HookFor
) -> _Field:
    args, nullable = _split_optional(tp)
    kind: str = "hook"
    exact: type | None = None
    extra: object = None
    if len(args) == 1 and args[0] in _EXACT:
        kind, exact = "exact", typing.cast("type", args[0])
    elif len(args) == 1 and args[0] is datetime:
        kind, exact = "datetime", str
    elif (
        len(args) == 2  # noqa: PLR2004 -- exactly ``SomeStrEnum | str``
        and args[1] is str
        and isinstance(args[0], type)
        and issubclass(args[0], enum.StrEnum)
    ):
        kind, exact = "enum", str
        extra = {member.value: member for member in args[0]}
    if kind == "hook":
        extra, nullable = hook_for(tp), False  # the converter decides what None means
    return _Field(
        name=field.name,
        var=f"v{index}",
        key=key,
        kind=kind,
        nullable=nullable,
        exact=exact,
        extra=extra,
        tp=tp,
        default=field.default,
        positional=not field.kw_only,
    )


class _Writer:
    """Lines of generated source and the globals they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.globals: dict[str, object] = {
            "_MISSING": _MISSING,
            "_type_error": _type_error,
            "_fromiso": datetime.fromisoformat,
            "_UTC": UTC,
            "_to_utc": to_utc,
            "_new": object.__new__,
        }

    def add(self, depth: int, line: str) -> None:
        self.lines.append(_INDENT * depth + line)

    def bind(self, name: str, value: object) -> str:
        self.globals[name] = value
        return name


def _convert(out: _Writer, depth: int, f: _Field) -> None:
    """Emit the conversion of ``f.var``, whose type is already known to be ``f.exact``."""
    if f.kind == "datetime":
        out.add(depth, f"{f.var} = _fromiso({f.var})")
        out.add(depth, f"if {f.var}.tzinfo is not _UTC:")
        out.add(depth + 1, f"{f.var} = _to_utc({f.var})")
    elif f.kind == "enum":
        # A subscript is cheaper than .get(); a value added after this release stays a str.
        out.add(depth, "try:")
        out.add(depth + 1, f"{f.var} = {out.bind(f'_members_{f.var}', f.extra)}[{f.var}]")
        out.add(depth, "except KeyError:")
        out.add(depth + 1, "pass")
    elif f.kind == "hook":
        hook, tp = out.bind(f"_hook_{f.var}", f.extra), out.bind(f"_type_{f.var}", f.tp)
        out.add(depth, f"{f.var} = {hook}({f.var}, {tp})")


def _check_and_convert(out: _Writer, depth: int, f: _Field) -> None:
    """Emit the careful check of ``f.var`` (any JSON value) and its conversion."""
    if f.exact is None:  # a "hook" field: the converter checks it
        _convert(out, depth, f)
        return
    if f.nullable:
        out.add(depth, f"if {f.var} is not None:")
        depth += 1
    exact = f.exact.__name__
    expected = {"datetime": "an ISO 8601 string", "enum": "a string"}.get(f.kind, exact)
    out.add(depth, f"if type({f.var}) is not {exact}:")
    out.add(depth + 1, f"raise _type_error({f.key!r}, {expected!r}, {f.var})")
    _convert(out, depth, f)


def _emit_build(out: _Writer, fields: list[_Field], *, plain: bool) -> None:
    if plain:
        # A frozen attrs class forbids setattr; a fresh instance's ``__dict__`` is set in one
        # step, which is what its ``__init__`` does field by field.
        items = ", ".join(f"{f.name!r}: {f.var}" for f in fields)
        out.add(1, "inst = _new(_cls)")
        out.add(1, f"_setdict(inst, {{{items}}})")
        out.add(1, "return inst")
        return
    args = [f.var if f.positional else f"{f.name}={f.var}" for f in fields]
    out.add(1, f"return _cls({', '.join(args)})")


def _emit_careful(out: _Writer, cls: type, fields: list[_Field], *, plain: bool) -> None:
    out.add(0, f"def careful_{cls.__name__}(o):")
    for f in fields:
        if f.default is attrs.NOTHING:
            out.add(1, f"{f.var} = o[{f.key!r}]")
            _check_and_convert(out, 1, f)
            continue
        out.add(1, f"{f.var} = o.get({f.key!r}, _MISSING)")
        out.add(1, f"if {f.var} is _MISSING:")
        if isinstance(f.default, attrs.Factory):  # type: ignore[arg-type]
            factory = out.bind(f"_factory_{f.var}", f.default.factory)  # type: ignore[attr-defined]
            out.add(2, f"{f.var} = {factory}()")
        else:
            out.add(2, f"{f.var} = {out.bind(f'_default_{f.var}', f.default)}")
        out.add(1, "else:")
        _check_and_convert(out, 2, f)
    _emit_build(out, fields, plain=plain)


def _emit_fast(out: _Writer, cls: type, fields: list[_Field], *, plain: bool) -> None:
    out.bind("_get_all", operator.itemgetter(*(f.key for f in fields)))
    out.add(0, f"def structure_{cls.__name__}(o, _=None):")
    out.add(1, "try:")
    targets = ", ".join(f.var for f in fields)
    out.add(2, f"{targets} = _get_all(o)")  # one key: itemgetter returns the value itself
    out.add(1, "except (KeyError, TypeError):")
    out.add(2, f"return careful_{cls.__name__}(o)")
    checks = [f"type({f.var}) is {f.exact.__name__}" for f in fields if f.exact is not None]
    if checks:
        out.add(1, f"if not ({' and '.join(checks)}):")
        out.add(2, f"return careful_{cls.__name__}(o)")
    for f in fields:
        _convert(out, 1, f)
    _emit_build(out, fields, plain=plain)


_SetDict = typing.Callable[[object, dict[str, Any]], None]


def _dict_setter(cls: type) -> _SetDict | None:
    """Return the ``__set__`` of the ``__dict__`` descriptor instances of ``cls`` have, if any.

    Calling it replaces an instance's attribute dict in one step, a little cheaper than
    ``object.__setattr__(inst, "__dict__", d)``, which looks the descriptor up every time.
    """
    for klass in cls.__mro__:
        descriptor = vars(klass).get("__dict__")
        if descriptor is not None and hasattr(descriptor, "__set__"):
            return typing.cast("_SetDict", descriptor.__set__)
    return None


def _plain_init(cls: type) -> bool:
    """Whether an instance may be made by filling its ``__dict__`` without calling ``__init__``."""
    return (
        "__slots__" not in cls.__dict__
        and not hasattr(cls, "__attrs_pre_init__")
        and not hasattr(cls, "__attrs_post_init__")
        and all(
            field.init and field.validator is None and field.converter is None
            for field in attrs.fields(cls)
        )
    )


def _emit_adopt(out: _Writer, cls: type, fields: list[_Field]) -> None:
    """Emit ``adopt_X(items, out)``: structure a list of fresh dicts, reusing them as ``__dict__``.

    A dict holding exactly the model's keys, each of its usual type, becomes the instance's
    ``__dict__`` once its datetimes, enums and nested models are converted in place: no
    second dict per item. Anything else goes through ``structure_X``. Conversions all happen
    before the first store, so an item that fails is left as it was (for the error snippet);
    ``len(out)`` is then its index.
    """
    name = cls.__name__
    start = len(out.lines)
    out.add(0, "")  # the signature, once every name the loop uses is known
    out.add(1, "append = out.append")
    out.add(1, "for o in items:")
    out.add(2, "try:")
    out.add(3, f"{', '.join(f.var for f in fields)} = _get_all(o)")
    out.add(2, "except (KeyError, TypeError):")
    out.add(3, f"append(careful_{name}(o))")
    out.add(3, "continue")
    checks = [f"len(o) == {len(fields)}"]
    checks += [f"type({f.var}) is {f.exact.__name__}" for f in fields if f.exact is not None]
    out.add(2, f"if not ({' and '.join(checks)}):")
    out.add(3, f"append(structure_{name}(o))")
    out.add(3, "continue")
    converted = [f for f in fields if f.kind != "exact"]
    for f in converted:
        _convert(out, 2, f)
    for f in converted:
        out.add(2, f"o[{out.bind(f'_key_{f.var}', f.key)}] = {f.var}")
    out.add(2, "inst = _new(_cls)")
    out.add(2, "_setdict(inst, o)")
    out.add(2, "append(inst)")
    out.add(1, "return out")
    # Called once per page: the names the loop uses become locals (keyword-only defaults),
    # which are cheaper to load than globals, item after item.
    names = [*_LOOP_BUILTINS, *sorted(out.globals), f"careful_{name}", f"structure_{name}"]
    defaults = ", ".join(f"{n}={n}" for n in names)
    out.lines[start] = f"def adopt_{name}(items, out, *, {defaults}):"


@attrs.frozen
class Structurers:
    """The generated functions for one model."""

    one: StructureFn
    """``one(o, _)``: a model from a JSON object, with cattrs' hook signature; ``o`` is not
    changed."""
    adopt: AdoptFn | None
    """``adopt(items, out)``: append a model per JSON object of ``items`` to ``out``, taking
    ownership of the objects (they become the instances' ``__dict__``); ``None`` for a model
    that cannot be made that way."""


def make_structurers(
    cls: type,
    hook_for: HookFor,
    *,
    renames: dict[str, str] | None = None,
    key_object: typing.Callable[[str], str] = str,
) -> Structurers:
    """Build the structure functions for the attrs class ``cls``.

    ``hook_for(type)`` returns the converter's hook for a field type the generated code does
    not check inline. ``renames`` maps an attribute name to its JSON key. Unknown keys are
    ignored; a missing key without a default raises ``KeyError``; a wrong type ``TypeError``.
    ``key_object(key)`` returns the string object the fast paths use for ``key``: an equal
    string, ideally the one the JSON parser puts in the dicts it makes.
    """
    renames = renames or {}
    hints = typing.get_type_hints(cls)
    fields = [
        _field(
            index,
            field,
            hints[field.name],
            key_object(renames.get(field.name, field.name)),
            hook_for,
        )
        for index, field in enumerate(attrs.fields(cls))
        if field.init
    ]
    setdict = _dict_setter(cls)
    plain = setdict is not None and _plain_init(cls)
    out = _Writer()
    if plain:
        out.bind("_setdict", setdict)
    out.bind("_cls", cls)
    name = cls.__name__
    _emit_careful(out, cls, fields, plain=plain)
    if fields:
        _emit_fast(out, cls, fields, plain=plain)
    else:
        out.add(0, f"structure_{name} = lambda o, _=None: careful_{name}(o)")
    adoptable = plain and bool(fields) and not renames
    if adoptable:
        _emit_adopt(out, cls, fields)
    text = "\n".join(out.lines) + "\n"
    filename = f"<aiodo_projects structure {cls.__module__}.{cls.__qualname__}>"
    # The source is built from the class's own field names and types, never from input data.
    exec(compile(text, filename, "exec"), out.globals)  # noqa: S102
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    return Structurers(
        one=typing.cast("StructureFn", out.globals[f"structure_{name}"]),
        adopt=typing.cast("AdoptFn", out.globals[f"adopt_{name}"]) if adoptable else None,
    )
