"""The embedded fake DigitalOcean Projects API, for testing code that calls it.

`FakeDigitalOcean` serves all 13 Projects operations from memory on a loopback port,
for one account or several (`FakeDigitalOcean.add_account`, a `FakeAccount` each),
with scripted failures (`Fault`, `ScriptedResponse`), optional rate-limit enforcement
(`LimitConfig`) and a log of what it received (`RecordedRequest`). `serve` runs one
until a signal; ``python -m aiodo_projects.testing`` does so from the command line; the
pytest plugin (`aiodo_projects.testing.pytest_plugin`) provides a ``fake_digitalocean``
fixture.

Choices where DigitalOcean's behaviour is not documented: a project created without an
``environment`` has no ``environment`` key; ``is_default`` is ignored on create and
``is_default: false`` is ignored on the default project (there is always one); deleting
the default project is a 412; a URN not shaped ``do:<type>:<id>`` is a 422; a wrong JSON
type is a 422 while a missing or unparsable body is a 400; invalid ``page``/``per_page``
values are a 400; a single page of results has ``"links": {}``; like DigitalOcean, a
DELETE whose ``Content-Type`` is not JSON is a 415. Text with no UTF-8 form (a lone
surrogate, which JSON can escape) is a 422 and a body that does not match its
``Content-Encoding`` a 400; a refused write stores nothing. Page links name the fake's own
address, never the request's ``Host``.
"""

from aiodo_projects.testing._account import FakeAccount
from aiodo_projects.testing._fake import FakeDigitalOcean
from aiodo_projects.testing._faults import Fault, ScriptedResponse
from aiodo_projects.testing._limits import LimitConfig
from aiodo_projects.testing._seed import SeededProjects
from aiodo_projects.testing._serve import serve
from aiodo_projects.testing._server import RecordedRequest

__all__ = [
    "FakeAccount",
    "FakeDigitalOcean",
    "Fault",
    "LimitConfig",
    "RecordedRequest",
    "ScriptedResponse",
    "SeededProjects",
    "serve",
]
