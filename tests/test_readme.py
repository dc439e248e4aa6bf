"""Run the README's Python code against the fake API (a real token is never needed)."""

from __future__ import annotations

import functools
import pathlib
import re
import warnings
from typing import Any

import pytest

import aiodo_projects as do
from tests.cli_support import TOKEN, fake_in_thread

README = pathlib.Path(__file__).parent.parent / "README.rst"
BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)", re.MULTILINE)


def python_blocks() -> list[str]:
    blocks = []
    for match in BLOCK.finditer(README.read_text()):
        lines = match.group(1).splitlines()
        blocks.append("\n".join(line[4:] for line in lines) + "\n")
    return blocks


def test_readme_has_python_examples() -> None:
    assert len(python_blocks()) >= 2


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_python_block_runs_against_the_fake(
    index: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with fake_in_thread() as fake:
        monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
        real_client = do.Client

        @functools.wraps(real_client)
        def client_on_fake(*args: Any, **kwargs: Any) -> do.Client:
            kwargs.setdefault("base_url", fake.base_url)
            return real_client(*args, **kwargs)

        monkeypatch.setattr(do, "Client", client_on_fake)
        code = python_blocks()[index]
        exec(compile(code, f"README.rst block {index}", "exec"), {"__name__": "readme"})  # noqa: S102
        out = capsys.readouterr().out
    assert out.strip()
    assert TOKEN not in out


def test_readme_renders_without_errors() -> None:
    import docutils.core  # noqa: PLC0415
    import docutils.utils  # noqa: PLC0415

    settings = {"report_level": 2, "halt_level": 2, "warning_stream": False}
    try:
        with warnings.catch_warnings():  # docutils' notice about its next major version
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            docutils.core.publish_doctree(README.read_text(), settings_overrides=settings)
    except docutils.utils.SystemMessage as error:  # pragma: no cover - shown only when it fails
        pytest.fail(f"README.rst does not render: {error}")
