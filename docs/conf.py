"""Sphinx configuration for the aiodo_projects documentation.

Sphinx rather than MkDocs: the docstrings and the README are already reStructuredText, which
autodoc reads as they are, and furo is a maintained, readable theme. MkDocs would need the
text converted to Markdown and mkdocstrings to read the docstrings.

Built by ``nox -s docs`` with warnings as errors and nitpicky references; no extension here
goes to the network (CI has none besides the package index), so there is no intersphinx.
"""

# ruff: noqa: INP001 -- Sphinx loads this file by path; docs/ is not a package

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import aiodo_projects

if TYPE_CHECKING:
    from docutils.nodes import Element
    from sphinx.addnodes import pending_xref
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

project = "aiodo_projects"
author = "aiodo_projects developers"
copyright = "aiodo_projects developers"  # noqa: A001 -- the name Sphinx reads
release = aiodo_projects.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "myst_parser",  # only to include benchmarks/RESULTS.md, which `nox -s bench` writes
]

source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build"]

html_theme = "furo"
html_title = f"aiodo_projects {release}"
html_static_path: list[str] = []

default_role = "any"  # docstrings write `Client` and `iter_all` and mean the objects

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_default_options = {"members": True}
autodoc_preserve_defaults = True

napoleon_google_docstring = False
napoleon_numpy_docstring = False

nitpicky = True
# Names outside this package that Sphinx cannot link without intersphinx (no network in CI).
# Anything of our own that does not resolve is still an error.
nitpick_ignore_regex = [
    ("py:class", r"(aiohttp|yarl|ssl|redis|attrs|datetime|collections|typing|enum)\..*"),
    ("py:class", r"(asyncio|types|logging|argparse|pathlib|contextlib)\..*"),
    ("py:exc", r"(aiohttp|asyncio|builtins)\..*"),
    ("py:class", r"builtins\..*|URL|Any|Self|Callable|Awaitable|AsyncIterator|Iterator|Sequence"),
    # The type variables of the generic models and iterators: nothing to link to.
    ("py:(class|obj)", r"aiodo_projects\.(_pagination|models)\.T"),
]

_PRIVATE_PATH = re.compile(r"(aiodo_projects(?:\.testing)?)\.(?:_\w+\.)+(\w+)")


def _by_public_name(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: Element
) -> Element | None:
    """Resolve a private path by the public name the object is documented under.

    A type hint names where a class is defined (``aiodo_projects._options.Timeout``); the
    reference documents it where users import it (``aiodo_projects.Timeout``). Anything else
    stays unresolved, and so an error.
    """
    match = _PRIVATE_PATH.fullmatch(node.get("reftarget", ""))
    if node.get("refdomain") != "py" or match is None:
        return None
    public = f"{match[1]}.{match[2]}"
    python = env.get_domain("py")
    return python.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], public, node, contnode
    )


def setup(app: Sphinx) -> None:
    """Sphinx's hook: register the private-path resolver."""
    app.connect("missing-reference", _by_public_name)
