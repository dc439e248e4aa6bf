"""The web-apps guide's recipes, served on loopback ports and sent real requests.

The apps are the guide's own code: its definitions (the Python blocks that await nothing at
the top level) are run into one namespace, so a recipe that stops working fails here.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

import aiodo_projects as do
from aiodo_projects.testing import FakeDigitalOcean, Fault, ScriptedResponse
from tests.test_docs import DOCS, python_blocks

if TYPE_CHECKING:
    import pathlib
    from collections.abc import AsyncIterator, Callable

GUIDE = DOCS / "guides" / "web-apps.rst"
MISSING = "4e2c3b56-0000-4000-8000-000000000000"


def recipes(path: pathlib.Path = GUIDE) -> dict[str, Any]:
    """The page's definitions: every Python block that has no top-level ``await``, in order."""
    namespace: dict[str, Any] = {"__name__": "web_apps_recipes"}
    for block in python_blocks(path):
        source = "\n" * (block.line - 1) + block.text
        code = compile(
            source, str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
        )
        if code.co_flags & inspect.CO_COROUTINE:
            continue  # a "try it" block: the tests below drive the apps themselves
        exec(code, namespace)  # noqa: S102 - the documentation's own recipes
    return namespace


RECIPES = recipes()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDigitalOcean]:
    async with FakeDigitalOcean() as running:
        yield running


def client_options(fake: FakeDigitalOcean, **more: Any) -> dict[str, Any]:
    return {"token": fake.token, "base_url": fake.base_url, **more}


async def aiohttp_app(**options: Any) -> Any:
    return TestClient(TestServer(RECIPES["create_app"](**options)))


def operation_requests(fake: FakeDigitalOcean, operation: str) -> list[Any]:
    return [seen for seen in fake.requests if seen.operation == operation]


async def wait_until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5.0):
        while not condition():  # noqa: ASYNC110 - polling the app's state, which has no event
            await asyncio.sleep(0.01)


def test_web_apps_recipes_are_found_and_the_try_it_blocks_left_out() -> None:
    for name in ("create_app", "create_fastapi_app", "error_answer", "ProjectAudit", "serving"):
        assert callable(RECIPES[name]), name
    assert "fake" not in RECIPES  # defined only by the blocks that await


def test_web_apps_recipes_skip_blocks_that_await(tmp_path: pathlib.Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text(
        "T\n=\n\n.. code-block:: python\n\n    x = 1\n\n"
        ".. code-block:: python\n\n    import asyncio\n    await asyncio.sleep(0)\n    y = 2\n"
    )
    found = recipes(page)
    assert found["x"] == 1
    assert "y" not in found


async def test_web_apps_aiohttp_passes_the_request_id_to_digitalocean(
    fake: FakeDigitalOcean,
) -> None:
    project = fake.add_project(name="web")
    async with await aiohttp_app(**client_options(fake)) as http:
        answer = await http.get(f"/projects/{project['id']}", headers={"X-Request-Id": "r-42"})
        assert answer.status == 200
        assert (await answer.json())["name"] == "web"
        assert answer.headers["X-Request-Id"] == "r-42"
    [sent] = operation_requests(fake, "projects_get")
    assert sent.headers["X-Request-Id"] == "r-42"


async def test_web_apps_an_unusable_request_id_is_replaced(fake: FakeDigitalOcean) -> None:
    project = fake.add_project(name="web")
    async with await aiohttp_app(**client_options(fake)) as http:
        answer = await http.get(f"/projects/{project['id']}", headers={"X-Request-Id": "x" * 65})
        made = answer.headers["X-Request-Id"]
    assert len(made) == 32
    assert operation_requests(fake, "projects_get")[0].headers["X-Request-Id"] == made


async def test_web_apps_aiohttp_answers_404_for_a_missing_project(fake: FakeDigitalOcean) -> None:
    async with await aiohttp_app(**client_options(fake)) as http:
        answer = await http.get(f"/projects/{MISSING}", headers={"X-Request-Id": "r-7"})
        assert answer.status == 404
        assert await answer.json() == {"error": "Not Found", "request_id": "r-7"}


async def test_web_apps_a_handler_whose_budget_passes_answers_504(fake: FakeDigitalOcean) -> None:
    project = fake.add_project(name="slow")
    fake.script("projects_get", Fault.hang())
    async with await aiohttp_app(budget=0.3, **client_options(fake, timeout=300.0)) as http:
        started = asyncio.get_running_loop().time()
        answer = await http.get(f"/projects/{project['id']}")
        took = asyncio.get_running_loop().time() - started
        assert answer.status == 504
        assert (await answer.json())["error"] == "Gateway Timeout"
    assert 0.3 <= took < 2.0  # the handler's budget, not the client's 300 s


async def test_web_apps_rate_limit_answers_503_with_retry_after(fake: FakeDigitalOcean) -> None:
    project = fake.add_project(name="busy")
    fake.script("projects_get", ScriptedResponse(429, headers={"Retry-After": "120"}))
    async with await aiohttp_app(**client_options(fake)) as http:
        answer = await http.get(f"/projects/{project['id']}")
        assert answer.status == 503
        assert answer.headers["Retry-After"] == "120"
    assert fake.received("projects_get") == 1  # a 120 s wait is over the limit: not retried


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (do.ValidationError("bad id"), 400),
        (do.APITimeoutError("late"), 504),
        (do.APIConnectionError("refused"), 502),
        (do.AuthenticationError(401, "unauthorized", "no"), 500),
        (do.ServerError(500, "server_error", "oops"), 502),
        (do.DecodeError("garbled"), 502),
        (do.ClientClosedError("closed"), 503),
        (do.ConflictError(409, "conflict", "no"), 409),
        (do.UnprocessableEntityError(422, "unprocessable_entity", "no"), 422),
    ],
)
def test_web_apps_error_answer_table(error: do.DigitalOceanError, status: int) -> None:
    answered, headers, body = RECIPES["error_answer"](error)
    assert answered == status
    assert headers == {}
    assert body["request_id"] == "-"  # outside a request


def test_web_apps_rate_limit_without_retry_after_asks_for_a_minute() -> None:
    error = do.RateLimitError(0, "rate_limit_paused", "paused")
    assert RECIPES["error_answer"](error)[:2] == (503, {"Retry-After": "60"})


async def test_web_apps_trace_names_each_concurrent_request(fake: FakeDigitalOcean) -> None:
    projects = [fake.add_project(name=f"p{number}") for number in range(4)]
    fake.latency = 0.05  # the requests overlap in the client
    lines: list[str] = []
    trace = RECIPES["request_trace"](lines.append)
    async with await aiohttp_app(**client_options(fake, trace_configs=[trace])) as http:
        await wait_until(lambda: http.app[RECIPES["AUDIT"]].rounds >= 1)
        lines.clear()
        answers = await asyncio.gather(
            *(
                http.get(f"/projects/{project['id']}", headers={"X-Request-Id": f"r-{number}"})
                for number, project in enumerate(projects)
            )
        )
        assert [answer.status for answer in answers] == [200] * 4
    mine = [line for line in lines if not line.startswith("[audit]")]
    for number, project in enumerate(projects):
        [line] = [line for line in mine if project["id"] in line]
        assert line.startswith(f"[r-{number}] GET /v2/projects/{project['id']} 200 ")


async def test_web_apps_audit_runs_then_stops_with_the_app(fake: FakeDigitalOcean) -> None:
    web = fake.add_project(name="web")
    fake.add_resource(web["id"], "do:droplet:1001")
    fake.add_project(name="idle")
    async with await aiohttp_app(audit_every=0.01, **client_options(fake)) as http:
        audit = http.app[RECIPES["AUDIT"]]
        client = http.app[RECIPES["CLIENT"]]
        await wait_until(lambda: audit.rounds >= 3)
        report = await (await http.get("/audit")).json()
        assert report["empty"] == ["Default", "idle"]
        tasks = [task for task in asyncio.all_tasks() if task.get_name() == "project-audit"]
        assert len(tasks) == 1
    assert tasks[0].cancelled()
    assert client.is_closed
    rounds = fake.received("projects_list")
    await asyncio.sleep(0.05)
    assert fake.received("projects_list") == rounds  # nothing more after the app stopped


async def test_web_apps_audit_survives_a_failed_round(fake: FakeDigitalOcean) -> None:
    fake.script("projects_list", 404)
    async with await aiohttp_app(audit_every=0.01, **client_options(fake)) as http:
        audit = http.app[RECIPES["AUDIT"]]
        await wait_until(lambda: audit.rounds >= 1)
        assert audit.failures == 1


async def test_web_apps_running_leaves_the_callers_cancellation_alone(
    fake: FakeDigitalOcean,
) -> None:
    async with do.Client(**client_options(fake)) as client:
        audit = RECIPES["ProjectAudit"](client, every=3600.0)

        async def serve() -> None:
            async with RECIPES["running"](audit):
                await asyncio.sleep(3600)

        outer = asyncio.create_task(serve())
        await wait_until(lambda: audit.rounds >= 1)
        outer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await outer
        assert outer.cancelled()


async def test_web_apps_fastapi_serves_with_its_lifespan_and_dependency(
    fake: FakeDigitalOcean,
) -> None:
    project = fake.add_project(name="api")
    app = RECIPES["create_fastapi_app"](audit_every=0.01, **client_options(fake))
    async with RECIPES["serving"](app) as url, aiohttp.ClientSession(url) as http:
        async with http.get(f"/projects/{project['id']}", headers={"X-Request-Id": "f-1"}) as ok:
            assert ok.status == 200
            assert (await ok.json())["name"] == "api"
            assert ok.headers["X-Request-Id"] == "f-1"
        async with http.get(f"/projects/{MISSING}", headers={"X-Request-Id": "f-2"}) as missing:
            assert missing.status == 404
            assert await missing.json() == {"error": "Not Found", "request_id": "f-2"}
        async with http.get("/audit") as audit:
            assert (await audit.json())["empty"] == ["Default", "api"]
    sent = [seen.headers.get("X-Request-Id") for seen in operation_requests(fake, "projects_get")]
    assert sent == ["f-1", "f-2"]
    audits = fake.received("projects_list")
    await asyncio.sleep(0.05)
    assert fake.received("projects_list") == audits  # the lifespan stopped the audit


async def test_web_apps_fastapi_budget_passes_answers_504(fake: FakeDigitalOcean) -> None:
    project = fake.add_project(name="api")
    fake.script("projects_get", Fault.hang())
    app = RECIPES["create_fastapi_app"](budget=0.3, **client_options(fake, timeout=300.0))
    async with (
        RECIPES["serving"](app) as url,
        aiohttp.ClientSession(url) as http,
        http.get(f"/projects/{project['id']}") as late,
    ):
        assert late.status == 504


async def test_web_apps_fastapi_rate_limit_answers_503(fake: FakeDigitalOcean) -> None:
    project = fake.add_project(name="api")
    fake.script("projects_get", ScriptedResponse(429, headers={"Retry-After": "90"}))
    app = RECIPES["create_fastapi_app"](**client_options(fake))
    async with (
        RECIPES["serving"](app) as url,
        aiohttp.ClientSession(url) as http,
        http.get(f"/projects/{project['id']}") as busy,
    ):
        assert busy.status == 503
        assert busy.headers["Retry-After"] == "90"


async def test_web_apps_serving_says_why_a_lifespan_failed(fake: FakeDigitalOcean) -> None:
    app = RECIPES["create_fastapi_app"](token=fake.token, base_url="ftp://nowhere")
    with pytest.raises(RuntimeError, match="lifespan failed to start"):
        async with RECIPES["serving"](app):
            pass  # pragma: no cover - the server never starts
