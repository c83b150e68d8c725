"""Fakes of third-party services Steward talks to (the X OAuth2 provider), each a real HTTP
server on 127.0.0.1. Development only: used by tests and the demo, never deployed, and not
part of the local cloud, which emulates AWS."""
