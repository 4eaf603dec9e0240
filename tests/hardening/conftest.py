"""Hardening fixtures: the web app over the shared runtime (both databases), as in tests/web."""

from __future__ import annotations

import pytest
from web.conftest import Web, make_settings, signed_in

from webui import create_app

__all__ = ["Web", "signed_in"]


@pytest.fixture
def app(runtime, world, tmp_path):
    return create_app(make_settings(runtime, tmp_path), runtime=runtime, testing=True)


@pytest.fixture
def web(app) -> Web:
    return Web(app.test_client())
