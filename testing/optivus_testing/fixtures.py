"""The pytest fixtures every test folder shares (a plugin: the root
conftest.py loads it). Heavy things are built once per session."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from . import media, processes
from . import speech as corpus

_counter = itertools.count()


@pytest.fixture(scope="session")
def wer():
    return corpus.word_error_rate


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """The data folder (a media root) every service under test uses."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def piper_voice():
    return corpus.piper_voice()


@pytest.fixture(scope="session")
def speech(media_dir, piper_voice) -> list[tuple[Path, str]]:
    """One WAV per sentence of the corpus, spoken by Piper, inside the media folder."""
    folder = media_dir / "speech"
    folder.mkdir(exist_ok=True)
    return [(corpus.speak(piper_voice, text, folder / f"s{i}.wav"), text) for i, text in enumerate(corpus.SENTENCES)]


@pytest.fixture(scope="session")
def speech_mp3(speech, media_dir) -> tuple[Path, str]:
    """All sentences in one mp3, for the container round trip."""
    out = media.concat_mp3([p for p, _ in speech], media_dir / "speech" / "all.mp3")
    return out, " ".join(text for _, text in speech)


@pytest.fixture(scope="session")
def speech_minute(speech, media_dir) -> tuple[Path, str]:
    """The corpus read three times over in one WAV (about a minute: several
    pieces for batched decoding)."""
    from .whisper import concat_wav

    parts = [p for p, _ in speech] * 3
    return concat_wav(parts, media_dir / "speech" / "minute.wav"), " ".join(t for _, t in speech * 3)


@pytest.fixture(scope="session")
def bad_media(media_dir, speech) -> dict[str, Path]:
    return media.bad_media(media_dir, speech[0][0])


@pytest.fixture(scope="session")
def vision_media(media_dir) -> dict[str, Path]:
    return media.vision_media(media_dir)


@pytest.fixture(scope="session")
def service_env(media_dir, model_cache) -> dict[str, str]:
    return {"OPTIVUS_DATA_DIR": str(media_dir), "PATH_VIDEO": str(media_dir / "videos"),
            "FS_PATH": str(media_dir / "fs_audio"), "OPTIVUS_MODEL_CACHE": str(model_cache),
            "OPTIVUS_LOG_LEVEL": "INFO", "OPTIVUS_SHUTDOWN_GRACE_S": "5"}


@pytest.fixture(scope="session")
def whisper_address(service_env, log_dir) -> str:
    """A real Whisper service process (packaged base model) on loopback."""
    with processes.running_service("whisper", {**service_env, "AI_WHISPER_BATCH_WORKER": "2"}, log_dir,
                                   120) as address:
        yield address


@pytest.fixture(scope="session")
def gateway_url(service_env, whisper_address, log_dir) -> str:
    """The real gateway process, wired to the real Whisper service only."""
    with processes.running_gateway(service_env, {"whisper": whisper_address}, log_dir) as url:
        yield url


@pytest.fixture(scope="session")
def nats_urls(tmp_path_factory):
    """(nats://..., http://monitor) of a session-wide real nats-server."""
    with processes.running_nats(tmp_path_factory.mktemp("nats")) as urls:
        yield urls


@pytest.fixture
async def nc(nats_urls):
    """A connection to the session's nats-server, with the pipeline's
    streams and buckets removed first, so a test sees only its own jobs."""
    import contextlib

    import nats

    from optivus_common.jobs import names

    conn = await nats.connect(nats_urls[0])
    js = conn.jetstream()
    for stream in (names.WORK_STREAM, names.EVENTS_STREAM, "KV_" + names.JOBS_BUCKET, "OBJ_" + names.RESULTS_BUCKET):
        with contextlib.suppress(Exception):
            await js.delete_stream(stream)
    yield conn
    await conn.close()


@pytest.fixture(scope="session")
def tiny_florence(tmp_path_factory) -> Path:
    """A tiny Florence-2 saved with save_pretrained: random weights fitted
    to a few known answers (optivus_testing.florence)."""
    from .florence import build_tiny_florence

    return build_tiny_florence(tmp_path_factory.mktemp("tiny-florence2"))


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A tiny random OpenAudio S1 checkpoint (optivus_testing.fish)."""
    from .fish import build

    return build(tmp_path_factory.mktemp("fish") / "tiny-openaudio-s1", seed=0)


@pytest.fixture(scope="module")
def fish_settings(media_dir, model_cache, tiny_checkpoint):
    from .fish import settings_for

    return settings_for(media_dir, model_cache, str(tiny_checkpoint))


@pytest.fixture(scope="module")
def engines(fish_settings):
    from .fish import loaded_engines

    return loaded_engines(fish_settings)


# The dlp tests' local media site.

@pytest.fixture(scope="session")
def site_root(tmp_path_factory) -> Path:
    from .dlp_site import make_media

    return make_media(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def site(site_root):
    from .dlp_site import MediaSite

    with MediaSite(site_root) as running:
        yield running


@pytest.fixture
def dlp_settings(tmp_path):
    """Settings factory: a fresh data folder per test, 127.0.0.1 allowed."""
    from optivus_dlp.config import DlpSettings

    def make(**overrides) -> DlpSettings:
        data = tmp_path / f"data{next(_counter)}"
        values = {"data_dir": data, "path_video": data / "videos", "fs_path": data / "fs_audio",
                  "allowed_networks": "127.0.0.1/32", "progress_interval_s": 0.0, "socket_timeout_s": 60}
        values.update(overrides)
        return DlpSettings(**values)

    return make


@pytest.fixture
def engine_for(dlp_settings):
    from optivus_dlp.engine import DlpEngine

    def make(**overrides) -> DlpEngine:
        engine = DlpEngine(dlp_settings(**overrides))
        engine.prepare()
        return engine

    return make


# Spans of in-process code (the pipeline runtime, the gateway in-process).

@pytest.fixture(scope="session")
def _memory_exporter():
    from .tracing import install_memory_exporter

    return install_memory_exporter()


@pytest.fixture
def span_exporter(_memory_exporter):
    """Every span this process ends from now on (an InMemorySpanExporter
    behind the global tracer provider), emptied for each test."""
    _memory_exporter.clear()
    yield _memory_exporter
    _memory_exporter.clear()
