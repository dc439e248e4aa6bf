"""The public namespace: one sorted, complete __all__."""

from __future__ import annotations

import inspect

import aiodo_projects as do


def test_all_is_sorted_and_unique() -> None:
    assert list(do.__all__) == sorted(do.__all__)
    assert len(set(do.__all__)) == len(do.__all__)


def test_all_names_every_public_attribute() -> None:
    public = {
        name
        for name, value in vars(do).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(do.__all__) - {"__version__"}


def test_every_exported_name_is_the_packages_own_and_documented() -> None:
    for name in set(do.__all__) - {"__version__"}:
        value = getattr(do, name)
        assert value.__module__.startswith("aiodo_projects."), name
        assert value.__name__ == name  # exported under its own name, not an alias
        assert (value.__doc__ or "").strip(), f"{name} has no docstring"


def test_every_error_is_exported() -> None:
    errors = {name for name in do.errors.__all__ if name.endswith("Error")}
    assert errors <= set(do.__all__)


def test_design_names_are_exported() -> None:
    expected = {
        "Client",
        "Project",
        "Resource",
        "Page",
        "Environment",
        "ResourceStatus",
        "RateLimit",
        "RateLimits",
        "Timeout",
        "RetryPolicy",
        "DigitalOceanError",
        "ValidationError",
        "APIConnectionError",
        "APITimeoutError",
        "APIStatusError",
        "RateLimitError",
        "DecodeError",
        "AmbiguousWriteError",
    }
    assert expected <= set(do.__all__)


def test_iterators_are_plain_functions_returning_async_iterators() -> None:
    projects = do.Projects
    for name in ("iter_all", "iter_resources", "iter_default_resources"):
        method = getattr(projects, name)
        assert not inspect.iscoroutinefunction(method)
        assert not inspect.isasyncgenfunction(method)
    assert hasattr(do.Paginator, "__anext__")
    assert hasattr(do.Paginator, "pages")
