from __future__ import annotations

import ast
import pathlib

import pytest

import aiodo_projects as do
from aiodo_projects.errors import error_class_for_status


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, do.BadRequestError),
        (401, do.AuthenticationError),
        (403, do.PermissionDeniedError),
        (404, do.NotFoundError),
        (409, do.ConflictError),
        (412, do.PreconditionFailedError),
        (415, do.APIStatusError),
        (422, do.UnprocessableEntityError),
        (429, do.RateLimitError),
        (500, do.ServerError),
        (502, do.ServerError),
        (503, do.ServerError),
        (599, do.ServerError),
        (302, do.APIStatusError),
    ],
)
def test_error_class_for_status_table(status: int, cls: type[do.APIStatusError]) -> None:
    assert error_class_for_status(status) is cls


def test_error_tree_matches_the_design() -> None:
    assert issubclass(do.ValidationError, do.DigitalOceanError)
    assert issubclass(do.ValidationError, ValueError)
    assert issubclass(do.APITimeoutError, do.APIConnectionError)
    assert issubclass(do.APIConnectionError, do.DigitalOceanError)
    assert issubclass(do.DecodeError, do.DigitalOceanError)
    assert issubclass(do.AmbiguousWriteError, do.DigitalOceanError)
    for cls in (
        do.BadRequestError,
        do.AuthenticationError,
        do.PermissionDeniedError,
        do.NotFoundError,
        do.ConflictError,
        do.PreconditionFailedError,
        do.UnprocessableEntityError,
        do.RateLimitError,
        do.ServerError,
    ):
        assert issubclass(cls, do.APIStatusError)


def test_error_str_names_status_id_message_and_request_id() -> None:
    error = do.NotFoundError(
        404, "not_found", "The resource you requested could not be found.", request_id="abc-123"
    )
    assert str(error) == (
        "404 not_found: The resource you requested could not be found. (request_id=abc-123)"
    )
    assert str(do.ServerError(500, "server_error", "boom")) == "500 server_error: boom"


def test_error_tree_is_drawn_in_the_errors_module_docstring() -> None:
    doc = do.errors.__doc__ or ""
    for name in do.errors.__all__:
        if name.endswith("Error"):
            assert name in doc


def test_decode_error_shows_a_snippet() -> None:
    error = do.DecodeError("bad body", snippet="<html>")
    assert "<html>" in str(error)
    assert error.snippet == "<html>"


def _imports(path: pathlib.Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


PACKAGE = pathlib.Path(do.__file__).parent


@pytest.mark.parametrize(
    "module",
    [
        "_ratelimit.py",
        "_limiter.py",
        "_retry.py",
        "_pagination.py",
        "_convert.py",
        "models.py",
        "errors.py",
        "_validation.py",
    ],
)
def test_pure_modules_import_no_http(module: str) -> None:
    path = PACKAGE / module
    assert path.exists()
    assert "aiohttp" not in _imports(path)


def test_cattrs_is_imported_only_by_the_converter() -> None:
    users = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "cattrs" in _imports(path)
    }
    assert users == {"_convert.py"}
