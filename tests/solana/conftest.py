"""aioresponses 0.7.9 builds ``ClientResponse`` without the ``stream_writer`` argument that
aiohttp 3.14 requires; give it a response class that accepts the old call (tests only)."""

from __future__ import annotations

import aioresponses.core
import pytest
from unittest.mock import Mock

from aiohttp import ClientResponse


class CompatResponse(ClientResponse):
    def __init__(self, method, url, **kwargs):
        kwargs.setdefault("stream_writer", Mock(output_size=0))
        super().__init__(method, url, **kwargs)


@pytest.fixture(autouse=True)
def _aioresponses_compat(monkeypatch):
    monkeypatch.setattr(aioresponses.core, "ClientResponse", CompatResponse)
