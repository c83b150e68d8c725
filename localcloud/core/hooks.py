"""Where the local cloud replaces a piece of moto, and the guard that moto is the one it knows.

Every hook names an attribute of moto that exists today. A moto release can rename or remove
one; a hook that then *added* the attribute instead of replacing it would do nothing, silently
(a Wait state that suddenly takes real time, a rotation that never runs). So `Hooks.replace`
refuses an attribute the owner does not have, naming it, and the local cloud refuses to start
on a moto other than the one pinned in requirements/constraints.txt: `make lock` moves the pin
and runs the local cloud's own tests in the same change.
"""

from __future__ import annotations

import re
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

from localcloud.errors import LocalCloudError

CONSTRAINTS = Path(__file__).resolve().parents[2] / "requirements" / "constraints.txt"
_MISSING = object()


class MotoChangedError(LocalCloudError):
    """moto is not what the local cloud's hooks were written against."""


def _name(owner: Any) -> str:
    module = getattr(owner, "__module__", None)
    qualname = getattr(owner, "__qualname__", None) or getattr(owner, "__name__", repr(owner))
    if isinstance(owner, type(re)):  # a module
        return str(owner.__name__)
    return f"{module}.{qualname}" if module else str(qualname)


class Hooks:
    """Replaces attributes of moto's classes and modules, and puts every one back on `remove`."""

    def __init__(self) -> None:
        self._saved: list[tuple[Any, str, Any]] = []
        self._lock = threading.Lock()

    def original(self, owner: Any, name: str) -> Any:
        """The attribute as moto defines it (checked to exist, as `replace` does)."""
        if not hasattr(owner, name):
            raise MotoChangedError(
                f"moto changed: {_name(owner)} has no attribute {name!r}, which the local cloud "
                "hooks; update the hook in localcloud/services/ for the moto version installed"
            )
        return getattr(owner, name)

    def replace(self, owner: Any, name: str, value: Any) -> None:
        self.original(owner, name)
        with self._lock:
            # Only the owner's own attribute is put back; an inherited one is deleted again.
            self._saved.append((owner, name, vars(owner).get(name, _MISSING)))
            setattr(owner, name, value)

    def add(self, owner: Any, name: str, value: Any) -> None:
        """Give moto an attribute it does not define; refused once moto defines its own."""
        if name in vars(owner):
            raise MotoChangedError(
                f"moto changed: {_name(owner)} now defines {name!r}, which the local cloud "
                "adds; check whether moto's own one makes the hook unnecessary"
            )
        with self._lock:
            self._saved.append((owner, name, _MISSING))
            setattr(owner, name, value)

    def remove(self) -> None:
        with self._lock:
            while self._saved:
                owner, name, value = self._saved.pop()
                if value is _MISSING:
                    delattr(owner, name)
                else:
                    setattr(owner, name, value)

    def __len__(self) -> int:
        return len(self._saved)


def pinned_version(package: str, constraints: Path = CONSTRAINTS) -> str:
    """The version requirements/constraints.txt pins `package` to."""
    try:
        text = constraints.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MotoChangedError(
            f"{constraints} does not exist: cannot tell which moto is pinned"
        ) from None
    wanted = re.sub(r"[-_.]+", "-", package).lower()
    for line in text.splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep and re.sub(r"[-_.]+", "-", name).lower().split("[")[0] == wanted:
            return version.strip()
    raise MotoChangedError(f"{constraints} does not pin {package}")


def check_moto_version(installed: str | None = None, constraints: Path = CONSTRAINTS) -> None:
    """Refuse a moto other than the pinned one: the hooks are written against its internals."""
    installed = installed or metadata.version("moto")
    pinned = pinned_version("moto", constraints)
    if installed != pinned:
        raise MotoChangedError(
            f"moto {installed} is installed but {constraints.name} pins {pinned}: the local "
            "cloud hooks into moto's internals and runs only on the pinned version "
            "(`make bootstrap` installs it; `make lock` moves the pin and tests the hooks)"
        )
