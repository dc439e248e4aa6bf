"""Data frames of models: pandas or polars, with real datetimes and plain strings for enums.

One call turns a :class:`~aiodo_projects.Page`, a list of models or an async iterator of
them into a frame whose columns are the API's keys in the API's order::

    from aiodo_projects import frames

    df = frames.to_pandas(page)                                  # a Page or a list: a frame
    df = await frames.to_pandas(client.projects.iter_all())      # an async iterator: awaited
    pf = await frames.to_polars(client.projects.iter_resources(project_id))

Datetime columns are aware UTC (pandas ``datetime64[ns, UTC]``, polars
``Datetime("us", "UTC")``), a missing one ``NaT``/``null``; enums are their plain values; a
nested object is flattened into dotted columns (a resource's ``links.self``). With no items
there is no model to take the columns from: pass ``model=Project`` (or ``Resource``) to get
the columns all the same, else the frame has none.

Neither pandas nor polars is a dependency of this package: each is imported only when its
function is called (``pip install pandas`` or ``polars``, or the ``notebook`` dependency group).
"""

from __future__ import annotations

import typing
from collections.abc import AsyncIterable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar, overload

from aiodo_projects.errors import ValidationError
from aiodo_projects.models import Project, Resource, _Model

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    import pandas as pd
    import polars as pl

__all__ = ["to_pandas", "to_polars"]

F = TypeVar("F")
_Kind: TypeAlias = Literal["datetime", "int", "bool", "text"]
_Columns: TypeAlias = "dict[str, tuple[_Kind, list[object]]]"


def _schema(model: type[_Model], prefix: str = "") -> dict[str, _Kind]:
    """Return column -> kind for ``model``, in the API's order, nested models flattened."""
    hints = typing.get_type_hints(model)
    schema: dict[str, _Kind] = {}
    for key in model._api_keys:  # noqa: SLF001 -- the models' one statement of the API's order
        hint = hints["self_" if key == "self" else key]
        members = typing.get_args(hint) or (hint,)
        if isinstance(hint, type) and issubclass(hint, _Model):
            schema.update(_schema(hint, f"{prefix}{key}."))
        elif datetime in members:
            schema[prefix + key] = "datetime"
        elif hint is bool:
            schema[prefix + key] = "bool"
        elif hint is int:
            schema[prefix + key] = "int"
        else:
            schema[prefix + key] = "text"
    return schema


def _flat(values: dict[str, object], prefix: str = "") -> Iterable[tuple[str, object]]:
    for key, value in values.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield prefix + key, value


def _columns(items: Iterable[object], model: type[_Model] | None) -> _Columns:
    rows = list(items)
    kind = model or (type(rows[0]) if rows else None)
    if kind is None:
        return {}
    if not (isinstance(kind, type) and issubclass(kind, _Model)):
        raise ValidationError(f"a frame is made of models (Project, Resource), not {kind!r}")
    columns: _Columns = {name: (k, []) for name, k in _schema(kind).items()}
    for row in rows:
        if type(row) is not kind:
            raise ValidationError(f"every item must be a {kind.__name__}, not {row!r}")
        for name, value in _flat(row.to_dict(mode="python")):
            columns[name][1].append(value)
    return columns


async def _collect(
    items: AsyncIterable[object], model: type[_Model] | None, build: Callable[[_Columns], F]
) -> F:
    return build(_columns([item async for item in items], model))


def _pandas(columns: _Columns) -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415 -- an optional library, imported only when asked for

    series: dict[str, Any] = {}
    for name, (kind, values) in columns.items():
        if kind == "datetime":
            series[name] = pd.Series(pd.to_datetime(values, utc=True), dtype="datetime64[ns, UTC]")
        else:
            dtype = {"int": "int64", "bool": "bool"}.get(kind)
            series[name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(series)


def _polars(columns: _Columns) -> pl.DataFrame:
    import polars as pl  # noqa: PLC0415 -- an optional library, imported only when asked for

    dtypes: dict[str, pl.DataType] = {
        "datetime": pl.Datetime("us", "UTC"),
        "int": pl.Int64(),
        "bool": pl.Boolean(),
        "text": pl.String(),
    }
    return pl.DataFrame(
        [pl.Series(name, values, dtype=dtypes[kind]) for name, (kind, values) in columns.items()]
    )


@overload
def to_pandas(
    items: Iterable[object], *, model: type[Project | Resource] | None = None
) -> pd.DataFrame: ...
@overload
def to_pandas(
    items: AsyncIterable[object], *, model: type[Project | Resource] | None = None
) -> Coroutine[Any, Any, pd.DataFrame]: ...
def to_pandas(
    items: Iterable[object] | AsyncIterable[object],
    *,
    model: type[Project | Resource] | None = None,
) -> pd.DataFrame | Coroutine[Any, Any, pd.DataFrame]:
    """Return a pandas frame of the models in ``items``, one row each.

    ``items`` is a :class:`~aiodo_projects.Page`, a list or any iterable of models, or an async
    iterator of them (such as ``client.projects.iter_all()``), which makes this a coroutine to
    await. ``model`` gives the columns when there may be no items.
    """
    if isinstance(items, AsyncIterable):
        return _collect(items, model, _pandas)
    return _pandas(_columns(items, model))


@overload
def to_polars(
    items: Iterable[object], *, model: type[Project | Resource] | None = None
) -> pl.DataFrame: ...
@overload
def to_polars(
    items: AsyncIterable[object], *, model: type[Project | Resource] | None = None
) -> Coroutine[Any, Any, pl.DataFrame]: ...
def to_polars(
    items: Iterable[object] | AsyncIterable[object],
    *,
    model: type[Project | Resource] | None = None,
) -> pl.DataFrame | Coroutine[Any, Any, pl.DataFrame]:
    """Return a polars frame of the models in ``items``, as :func:`to_pandas` does for pandas."""
    if isinstance(items, AsyncIterable):
        return _collect(items, model, _polars)
    return _polars(_columns(items, model))
