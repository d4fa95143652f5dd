"""Fixtures shared by the unit tests."""

from __future__ import annotations

import httpx2
import pytest
from huggingface_hub import constants
from huggingface_hub.utils import _http, set_client_factory

from tests.fixtures.http_replay import Replay, load


@pytest.fixture
def hub(monkeypatch):
    """Install a replaying transport; return ``(install, sleeps)``. Restores the factory afterwards."""
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    # Constants are read at import time: set them too.
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", True)
    sleeps: list[float] = []
    # http_backoff does `import time` ... `time.sleep(...)` in huggingface_hub.utils._http.
    monkeypatch.setattr(_http.time, "sleep", sleeps.append)
    previous = _http._GLOBAL_CLIENT_FACTORY

    def install(*names: str | list[dict]) -> Replay:
        interactions: list[dict] = []
        for name in names:  # earlier files win for the same request (fault injection)
            interactions.extend(load(name) if isinstance(name, str) else name)  # a file, or recordings
        replay = Replay(interactions, host="huggingface.co")
        set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(replay)))
        return replay

    yield install, sleeps
    set_client_factory(previous)  # normally huggingface_hub.utils._http.default_client_factory
