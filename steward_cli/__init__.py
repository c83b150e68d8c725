"""The `steward` command: demo, invoke and the local cloud server (development only)."""
