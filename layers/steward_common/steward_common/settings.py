"""Reading configuration from the environment: typed, and failing fast with the name.

Each function declares a frozen dataclass with a `from_env()` built from these readers, so a
misconfigured deployment fails at the first invocation with the variable it lacks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from steward_common.errors import ConfigurationError

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def env_str(name: str, default: str | None = None, env: Mapping[str, str] | None = None) -> str:
    value = _env(env).get(name, default)
    if value is None:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def env_int(
    name: str,
    default: int | None = None,
    *,
    minimum: int | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    raw = _env(env).get(name)
    if raw is None or raw == "":
        if default is None:
            raise ConfigurationError(f"environment variable {name} is not set")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name}={value} is below the minimum {minimum}")
    return value


def env_bool(name: str, default: bool = False, env: Mapping[str, str] | None = None) -> bool:
    raw = _env(env).get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not true or false")


def env_list(name: str, env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """A comma-separated variable as a tuple, blanks dropped (an empty value is empty)."""
    raw = _env(env).get(name, "")
    return tuple(item.strip() for item in raw.split(",") if item.strip())
