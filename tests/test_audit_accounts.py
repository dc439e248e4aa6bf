"""Audit accounts: TOML files with real permissions, ``--token-env``, and hidden tokens."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import pytest

import aiodo_projects as do
from aiodo_projects.cli._accounts import Account, account_name, from_token_env, load_accounts

if TYPE_CHECKING:
    from pathlib import Path

SECRET = "dop_v1_" + "5e" * 32
ENVIRON = {"DO_TOKEN_PROD": "dop_v1_prod_token", "STAGING_TOKEN": "dop_v1_staging_token"}
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def _write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(text)
    os.chmod(path, mode)  # noqa: PTH101 - the mode is the point of these tests
    return path


def test_load_accounts_reads_variables_and_inline_tokens(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        f"""
        [[accounts]]
        name = "prod"
        token_env = "DO_TOKEN_PROD"

        [[accounts]]
        name = "lab-2"
        token = "{SECRET}"
        """,
    )
    prod, lab = load_accounts(path, ENVIRON)
    assert (prod.name, prod.token, prod.source) == ("prod", "dop_v1_prod_token", "$DO_TOKEN_PROD")
    assert (lab.name, lab.token, lab.source) == ("lab-2", SECRET, str(path))


@posix_only
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o700 | 0o004])
def test_load_accounts_refuses_a_token_file_others_can_read(tmp_path: Path, mode: int) -> None:
    path = _write(tmp_path, f'[[accounts]]\nname = "lab"\ntoken = "{SECRET}"\n', mode)
    with pytest.raises(do.ValidationError) as caught:
        load_accounts(path, ENVIRON)
    message = str(caught.value)
    assert str(path) in message
    assert f"mode {mode:04o}" in message
    assert f"chmod 600 {path}" in message
    assert SECRET not in message


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_load_accounts_accepts_a_token_file_only_its_owner_reads(tmp_path: Path, mode: int) -> None:
    path = _write(tmp_path, f'[[accounts]]\nname = "lab"\ntoken = "{SECRET}"\n', mode)
    assert [a.name for a in load_accounts(path, ENVIRON)] == ["lab"]


@posix_only
def test_load_accounts_lets_anyone_read_a_file_that_only_names_variables(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[accounts]]\nname = "prod"\ntoken_env = "DO_TOKEN_PROD"\n', 0o644)
    assert [a.token for a in load_accounts(path, ENVIRON)] == ["dop_v1_prod_token"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("accounts = [", "not valid TOML"),
        ("", "no accounts"),
        ("accounts = []", "no accounts"),
        ("accounts = 3", "no accounts"),
        ("[[account]]\nname = 'a'", "unknown key 'account'"),
        ("accounts = [3]", "account 1: must be a table"),
        ("[[accounts]]\ntoken_env = 'DO_TOKEN_PROD'", "account 1: 'name' must be a non-empty"),
        ("[[accounts]]\nname = 'a b'\ntoken_env = 'X'", "account 1: 'name' must be letters"),
        ("[[accounts]]\nname = 'a'\ntoken_evn = 'X'", "account 'a': unknown field 'token_evn'"),
        ("[[accounts]]\nname = 'a'", "account 'a': give exactly one of"),
        (
            f"[[accounts]]\nname = 'a'\ntoken_env = 'X'\ntoken = '{SECRET}'",
            "account 'a': give exactly one of",
        ),
        ("[[accounts]]\nname = 'a'\ntoken = ''", "account 'a': 'token' must be a non-empty"),
        ("[[accounts]]\nname = 'a'\ntoken = 5", "account 'a': 'token' must be a non-empty"),
        ("[[accounts]]\nname = 'a'\ntoken_env = 'A-B'", "account 'a': 'token_env': 'A-B' is not"),
        (
            "[[accounts]]\nname = 'a'\ntoken_env = 'UNSET_VARIABLE'",
            "account 'a': 'token_env': the environment variable UNSET_VARIABLE is not set",
        ),
        (
            (
                "[[accounts]]\nname = 'a'\ntoken_env = 'DO_TOKEN_PROD'\n"
                "[[accounts]]\nname = 'a'\ntoken_env = 'STAGING_TOKEN'"
            ),
            "account name 'a' is given twice",
        ),
    ],
)
def test_load_accounts_names_the_file_account_and_field_of_each_mistake(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(do.ValidationError) as caught:
        load_accounts(path, ENVIRON)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert SECRET not in message


def test_load_accounts_reports_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(do.ValidationError, match=r"missing\.toml: cannot read the accounts file"):
        load_accounts(path, ENVIRON)


@pytest.mark.parametrize(
    ("variable", "name"),
    [
        ("DO_TOKEN_PROD", "prod"),
        ("DIGITALOCEAN_TOKEN_Lab_2", "lab_2"),
        ("STAGING_TOKEN", "staging_token"),
        ("DIGITALOCEAN_TOKEN", "digitalocean_token"),
        ("DO_TOKEN_", "do_token_"),
    ],
)
def test_account_name_is_the_variable_after_a_known_prefix_in_lowercase(
    variable: str, name: str
) -> None:
    assert account_name(variable) == name


def test_from_token_env_makes_one_account_per_variable() -> None:
    prod, staging = from_token_env(["DO_TOKEN_PROD", "STAGING_TOKEN"], ENVIRON)
    assert (prod.name, prod.token, prod.source) == ("prod", "dop_v1_prod_token", "$DO_TOKEN_PROD")
    assert (staging.name, staging.token) == ("staging_token", "dop_v1_staging_token")


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (["NOT_SET"], "--token-env NOT_SET: the environment variable NOT_SET is not set"),
        (["BAD-NAME"], "--token-env BAD-NAME: 'BAD-NAME' is not an environment variable name"),
        (
            ["DO_TOKEN_PROD", "DIGITALOCEAN_TOKEN_PROD"],
            "--token-env: account name 'prod' is given twice",
        ),
    ],
)
def test_from_token_env_refuses_unusable_variables(variables: list[str], expected: str) -> None:
    environ = {**ENVIRON, "DIGITALOCEAN_TOKEN_PROD": SECRET}
    with pytest.raises(do.ValidationError) as caught:
        from_token_env(variables, environ)
    assert str(caught.value) == expected


def test_account_never_shows_its_token() -> None:
    account = Account("prod", SECRET, "$DO_TOKEN_PROD")
    for text in (repr(account), str(account), f"{account}", repr([account]), str({1: account})):
        assert SECRET not in text
    assert repr(account) == "Account(name='prod', token=<hidden>, source='$DO_TOKEN_PROD')"
    assert str(account) == "prod"
