"""Fixtures of the DLP tests: the test-owned media site on 127.0.0.1 and
service settings that allow exactly that address. Test modules import
them (`from dlp_fixtures import ...`): a conftest.py here would shadow the
root conftest that other test modules import by name. The media is made
once per process however many modules import the fixtures."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from dlp_site import MediaSite, make_media

from optivus_dlp.config import DlpSettings
from optivus_dlp.engine import DlpEngine

_counter = itertools.count()
_made: dict[str, Path] = {}


@pytest.fixture(scope="session")
def site_root(tmp_path_factory) -> Path:
    if "root" not in _made:
        _made["root"] = make_media(tmp_path_factory.mktemp("site"))
    return _made["root"]


@pytest.fixture(scope="session")
def site(site_root):
    with MediaSite(site_root) as running:
        yield running


@pytest.fixture
def dlp_settings(tmp_path):
    """Settings factory: a fresh data folder per test, 127.0.0.1 allowed."""

    def make(**overrides) -> DlpSettings:
        data = tmp_path / f"data{next(_counter)}"
        values = {"data_dir": data, "path_video": data / "videos", "fs_path": data / "fs_audio",
                  "allowed_networks": "127.0.0.1/32", "progress_interval_s": 0.0, "socket_timeout_s": 60}
        values.update(overrides)
        return DlpSettings(**values)

    return make


@pytest.fixture
def engine_for(dlp_settings):
    def make(**overrides) -> DlpEngine:
        engine = DlpEngine(dlp_settings(**overrides))
        engine.prepare()
        return engine

    return make
