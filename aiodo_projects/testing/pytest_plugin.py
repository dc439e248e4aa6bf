"""A pytest plugin giving tests a running fake DigitalOcean API.

Installing ``aiodo-projects`` registers it (entry point ``pytest11``); without
installing, enable it with ``-p aiodo_projects.testing.pytest_plugin``. The fixture
``fake_digitalocean`` is a started `FakeDigitalOcean` holding only the default project,
closed after the test. It needs pytest-asyncio::

    async def test_lists_projects(fake_digitalocean):
        fake_digitalocean.seed(3)
        client = MyCode(base_url=fake_digitalocean.base_url, token=fake_digitalocean.token)
        assert len(await client.all_projects()) == 4

Without pytest-asyncio the plugin still loads and the fixture fails the test with a
message saying what to install.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import pytest

from aiodo_projects.testing._fake import FakeDigitalOcean

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


async def _running_fake() -> AsyncIterator[FakeDigitalOcean]:
    """Provide a running `FakeDigitalOcean` holding only the default project."""
    async with FakeDigitalOcean() as fake:
        yield fake


def _needs_pytest_asyncio() -> FakeDigitalOcean:  # pragma: no cover - needs no pytest-asyncio
    """Fail: the fake_digitalocean fixture needs pytest-asyncio."""
    pytest.fail("the fake_digitalocean fixture needs pytest-asyncio: pip install pytest-asyncio")


if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    fake_digitalocean = pytest_asyncio.fixture(_running_fake, name="fake_digitalocean")
else:  # pragma: no cover - exercised only without pytest-asyncio
    fake_digitalocean = pytest.fixture(_needs_pytest_asyncio, name="fake_digitalocean")
