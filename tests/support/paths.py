"""The repository's folders, and the account moto serves (never written as a literal)."""

from __future__ import annotations

from pathlib import Path

from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT_ID

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
TEMPLATE = ROOT / "template.yaml"
LOCALCLOUD_TEMPLATES = ROOT / "tests" / "localcloud" / "templates"

__all__ = ["ACCOUNT_ID", "EVENTS", "LOCALCLOUD_TEMPLATES", "ROOT", "TEMPLATE"]
