"""aiodo_projects: the asyncio-native client for the DigitalOcean Projects API.

>>> import aiodo_projects as do
>>> async with do.Client() as client:  # doctest: +SKIP
...     async for project in client.projects.iter_all():
...         print(project.name, project.environment)
"""

from aiodo_projects._client import Client
from aiodo_projects._limiter import Limiter, TokenBucketLimiter, WaitTooLong
from aiodo_projects._options import RateLimits, Timeout
from aiodo_projects._pagination import PageIterator, Paginator
from aiodo_projects._projects import ProjectFields, Projects
from aiodo_projects._ratelimit import RateLimit
from aiodo_projects._retry import RetryEvent, RetryPolicy, WaitEvent
from aiodo_projects._table import table
from aiodo_projects._version import __version__
from aiodo_projects.errors import (
    AmbiguousWriteError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    DecodeError,
    DigitalOceanError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
    ValidationError,
)
from aiodo_projects.models import (
    Environment,
    Page,
    PageLinks,
    Project,
    Resource,
    ResourceLinks,
    ResourceStatus,
)

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousWriteError",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ClientClosedError",
    "ConflictError",
    "DecodeError",
    "DigitalOceanError",
    "Environment",
    "Limiter",
    "NotFoundError",
    "Page",
    "PageIterator",
    "PageLinks",
    "Paginator",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "Project",
    "ProjectFields",
    "Projects",
    "RateLimit",
    "RateLimitError",
    "RateLimits",
    "Resource",
    "ResourceLinks",
    "ResourceStatus",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "Timeout",
    "TokenBucketLimiter",
    "UnprocessableEntityError",
    "ValidationError",
    "WaitEvent",
    "WaitTooLong",
    "__version__",
    "table",
]
