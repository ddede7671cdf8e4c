"""Shared pieces of the image tests: settings that allow only the 127.0.0.1 test server, a
quick fetch policy, and a spy that counts object-store PUTs while letting them through."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from briskk_pipeline.images.fetch import FetchPolicy
from briskk_pipeline.resources import IngestSettings, ObjectStore

# Short timeouts and backoff so failure cases finish quickly; the limits stay the real code.
QUICK = FetchPolicy(connect_timeout=2.0, read_timeout=0.5, retries=1, backoff=0.01)


def make_settings(tmp_path: Path, **overrides: object) -> IngestSettings:
    values: dict[str, object] = {
        "home": str(tmp_path / "home"),
        "inbox": str(tmp_path / "inbox"),
        "allowed_image_hosts": "127.0.0.1",
    }
    values.update(overrides)
    return IngestSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def image_settings(tmp_path: Path) -> IngestSettings:
    """Allows the 127.0.0.1 test server; 127.0.0.2 stays forbidden."""
    return make_settings(tmp_path)


@pytest.fixture
def count_puts(monkeypatch: pytest.MonkeyPatch) -> Callable[[ObjectStore], list[str]]:
    """`puts = count_puts(store)`: the keys PUT to stores of that class from now on."""

    def spy(store: ObjectStore) -> list[str]:
        keys: list[str] = []
        cls = type(store)
        real_put = cls.put

        def put(self: ObjectStore, key: str, data: bytes, content_type: str) -> str:
            keys.append(key)
            return real_put(self, key, data, content_type)

        monkeypatch.setattr(cls, "put", put)
        return keys

    return spy
