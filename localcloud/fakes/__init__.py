"""Loopback stand-ins for third-party services the automations talk to (dev only)."""
