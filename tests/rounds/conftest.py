"""The web fixtures of tests/web (an app over the shared runtime, signed-in clients)."""

from web.conftest import app, web  # noqa: F401  (fixtures)
