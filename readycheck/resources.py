"""Where the shipped rule packs and templates are, installed or in a source checkout.

setup.cfg maps the top-level `rules/` and `templates/` folders into the
package as `readycheck.rules` and `readycheck.templates`, so an installed
readycheck has them as folders beside this file. Run from a checkout
(`python -m readycheck` in the repository, or an editable install), those
subpackages do not exist under `readycheck/`, and the top-level folders are
used directly. Only an install without plain folders (a zip) goes through
importlib.resources, which costs more to import than the rest of this lookup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent


def folder(name: str) -> Any:
    """The `rules` or `templates` folder as a Traversable (a Path when it is a plain folder)."""
    installed, checkout = PACKAGE / name, PACKAGE.parent / name
    if installed.is_dir():
        return installed
    if (PACKAGE.parent / "setup.cfg").is_file() and checkout.is_dir():
        return checkout
    from importlib import resources

    return resources.files(f"readycheck.{name}")
