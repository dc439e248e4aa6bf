"""The fake serves several accounts: each token opens its own data, and has its own limits."""

from __future__ import annotations

import aiohttp
import pytest

from aiodo_projects.testing import FakeDigitalOcean, LimitConfig


async def _total(session: aiohttp.ClientSession, fake: FakeDigitalOcean, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    async with session.get(f"{fake.base_url}/v2/projects", headers=headers) as response:
        assert response.status == 200
        body = await response.json()
    return int(body["meta"]["total"])


async def test_fake_accounts_each_token_sees_only_its_own_projects() -> None:
    async with FakeDigitalOcean(token="first") as fake, aiohttp.ClientSession() as session:
        second = fake.add_account("second")
        fake.seed(3)
        second.seed(7)
        assert await _total(session, fake, "first") == 4  # with its default project
        assert await _total(session, fake, "second") == 8
        assert fake.accounts == (fake, second)
        assert len(second.projects) == 8
        assert second.default_project_id != fake.default_project_id
        owners = {p["owner_id"] for p in fake.projects.values()}
        assert owners.isdisjoint({p["owner_id"] for p in second.projects.values()})


async def test_fake_accounts_resources_of_one_account_are_unknown_to_another() -> None:
    async with FakeDigitalOcean(token="first") as fake, aiohttp.ClientSession() as session:
        second = fake.add_account("second")
        (project,) = second.seed(1, resources_per_project=2)
        url = f"{fake.base_url}/v2/projects/{project['id']}/resources"
        async with session.get(url, headers={"Authorization": "Bearer first"}) as response:
            assert response.status == 404
        async with session.get(url, headers={"Authorization": "Bearer second"}) as response:
            assert response.status == 200
            assert len((await response.json())["resources"]) == 2


async def test_fake_accounts_have_their_own_limits() -> None:
    limits = LimitConfig(per_minute=2, enforce=True)
    async with (
        FakeDigitalOcean(token="first", limits=limits) as fake,
        aiohttp.ClientSession() as session,
    ):
        fake.add_account("second")
        headers = {"Authorization": "Bearer first"}
        for _ in range(2):
            await _total(session, fake, "first")
        async with session.get(f"{fake.base_url}/v2/projects", headers=headers) as response:
            assert response.status == 429
        assert await _total(session, fake, "second") == 1  # its own burst is untouched
        fake.accounts[1].set_remaining(0)
        async with session.get(
            f"{fake.base_url}/v2/projects", headers={"Authorization": "Bearer second"}
        ) as response:
            assert response.status == 429
            assert response.headers["ratelimit-remaining"] == "0"


def test_fake_accounts_refuse_a_token_twice_or_blank() -> None:
    fake = FakeDigitalOcean(tokens=["a", "b"])
    for token in ("a", "b", "", " c"):
        with pytest.raises(ValueError, match="token"):
            fake.add_account(token)
    other = fake.add_account("c")
    with pytest.raises(ValueError, match="does not open this account"):
        other.set_remaining(1, token="a")
    assert "1 projects" in repr(other)
