"""The jinja2 environment for code generation.

Templates live in templates/ at the repository root and install as the package
``hwgen.templates`` (pyproject ``package-dir``), so a wheel and an editable install find them the same way.
"""
from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import jinja2

TEMPLATE_DIR = files("hwgen.templates")


@lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """StrictUndefined so a missing variable is an error, never an empty string in generated code."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
