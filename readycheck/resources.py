"""Where the shipped rule packs and templates are, installed or in a source checkout.

setup.cfg maps the top-level `rules/` and `templates/` folders into the
package as `readycheck.rules` and `readycheck.templates`, so an installed
readycheck finds them through importlib.resources. Run from a checkout
(`python -m readycheck` in the repository), those subpackages do not exist
under `readycheck/`, and the top-level folders are used directly.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any


def folder(name: str) -> Any:
    """The `rules` or `templates` folder as a Traversable (a Path in a checkout)."""
    try:
        return resources.files(f"readycheck.{name}")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / name
