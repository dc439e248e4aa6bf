"""The accounts an audit covers: from a TOML file, or from ``--token-env VAR`` options.

A config file lists accounts as an array of tables::

    [[accounts]]
    name = "production"
    token_env = "DO_TOKEN_PRODUCTION"   # the variable holding the token (preferred)

    [[accounts]]
    name = "staging"
    token = "dop_v1_..."                # the token itself

Decisions:

- A file holding a token itself must be readable by its owner only: one readable by group
  or others is refused, as ssh refuses a private key that others can read, and the message
  says the fix (``chmod 600``). A file naming only variables holds no secret and may be read
  by anyone.
- Variables are read when the accounts are loaded, so a missing one is reported before any
  request, naming the file, the account and the field.
- Unknown keys are refused (a misspelt ``token_env`` must not be silently ignored).
- The token never appears in an :class:`Account`'s repr or str, nor in any error here.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from typing import TYPE_CHECKING

import attrs

import aiodo_projects as do

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

__all__ = ["TOKEN_ENV_PREFIXES", "Account", "account_name", "from_token_env", "load_accounts"]

# ``--token-env DIGITALOCEAN_TOKEN_PROD`` names its account ``prod``.
TOKEN_ENV_PREFIXES = ("DIGITALOCEAN_TOKEN_", "DO_TOKEN_")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYS = frozenset({"name", "token", "token_env"})


@attrs.frozen
class Account:
    """An account to audit: its name, its token (never shown) and where the token came from."""

    name: str
    token: str = attrs.field(repr=lambda _: "<hidden>")
    source: str = ""  # e.g. "$DO_TOKEN_PROD" or "accounts.toml"

    def __str__(self) -> str:
        return self.name


def _fail(where: str, message: str) -> do.ValidationError:
    return do.ValidationError(f"{where}: {message}")


def _parse(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as exc:
        raise _fail(str(path), f"cannot read the accounts file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(str(path), f"not valid TOML ({exc})") from None


def _check_private(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - Windows has no such mode bits
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise _fail(
            str(path),
            f"holds a token but is readable by group or others (mode {mode:04o});"
            f" run: chmod 600 {path}",
        )


def _string(value: object, where: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"{field!r} must be a non-empty string")
    return value


def _account(
    entry: object, index: int, path: Path, environ: Mapping[str, str]
) -> tuple[Account, bool]:
    where = f"{path}: account {index + 1}"
    if not isinstance(entry, dict):
        raise _fail(where, "must be a table with a 'name'")
    name = _string(entry.get("name"), where, "name")
    if not _NAME.fullmatch(name):
        raise _fail(where, "'name' must be letters, digits, '.', '_' or '-' (at most 64)")
    where = f"{path}: account {name!r}"
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise _fail(where, f"unknown field {unknown[0]!r} (the fields are name, token_env, token)")
    if ("token" in entry) == ("token_env" in entry):
        raise _fail(where, "give exactly one of 'token_env' and 'token'")
    if "token" in entry:
        return Account(name, _string(entry["token"], where, "token"), str(path)), True
    variable = _string(entry["token_env"], where, "token_env")
    return Account(
        name, _from_environment(variable, environ, where, "'token_env': "), f"${variable}"
    ), False


def _from_environment(variable: str, environ: Mapping[str, str], where: str, field: str) -> str:
    if not _VARIABLE.fullmatch(variable):
        raise _fail(where, f"{field}{variable!r} is not an environment variable name")
    token = environ.get(variable, "")
    if not token.strip():
        raise _fail(where, f"{field}the environment variable {variable} is not set")
    return token


def _unique(accounts: list[Account], where: str) -> list[Account]:
    seen: set[str] = set()
    for account in accounts:
        if account.name in seen:
            raise _fail(where, f"account name {account.name!r} is given twice")
        seen.add(account.name)
    return accounts


def load_accounts(path: Path, environ: Mapping[str, str] = os.environ) -> list[Account]:
    """Return the accounts a TOML file lists, with their tokens; raise ``ValidationError``."""
    data = _parse(path)
    unknown = sorted(set(data) - {"accounts"})
    if unknown:
        raise _fail(str(path), f"unknown key {unknown[0]!r} (accounts go in [[accounts]] tables)")
    entries = data.get("accounts")
    if not isinstance(entries, list) or not entries:
        raise _fail(str(path), "no accounts: add [[accounts]] tables with a name and token_env")
    loaded = [_account(entry, index, path, environ) for index, entry in enumerate(entries)]
    if any(inline for _, inline in loaded):
        _check_private(path)
    return _unique([account for account, _ in loaded], str(path))


def account_name(variable: str) -> str:
    """Return the account name for ``--token-env VARIABLE``: after a known prefix, lowercase."""
    for prefix in TOKEN_ENV_PREFIXES:
        if variable.startswith(prefix) and len(variable) > len(prefix):
            return variable[len(prefix) :].lower()
    return variable.lower()


def from_token_env(
    variables: Sequence[str], environ: Mapping[str, str] = os.environ
) -> list[Account]:
    """Return one account per ``--token-env VARIABLE``; raise ``ValidationError``."""
    accounts = [
        Account(
            account_name(variable),
            _from_environment(variable, environ, f"--token-env {variable}", ""),
            f"${variable}",
        )
        for variable in variables
    ]
    return _unique(accounts, "--token-env")
