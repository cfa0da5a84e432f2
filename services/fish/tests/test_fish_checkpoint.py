"""Finding the Fish checkpoint: S1 folders load, 1.5-style folders and
missing pieces get errors that say what to do."""

from __future__ import annotations

import json

import pytest

from optivus_fish.checkpoint import S1_FILES, CheckpointError, check_layout, resolve
from optivus_fish.config import FishSettings
from optivus_fish.engine_choice import Engines


def s1_folder(tmp_path, model_type="dual_ar"):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    for name in S1_FILES:
        (folder / name).write_bytes(b"x")
    (folder / "config.json").write_text(json.dumps({"model_type": model_type}))
    return folder


def test_an_s1_folder_resolves(tmp_path):
    folder = s1_folder(tmp_path)
    assert resolve(str(folder), tmp_path / "cache", download=False) == folder.resolve()


def test_a_fish_speech_15_folder_says_so(tmp_path):
    folder = tmp_path / "fish-speech-1.5"
    folder.mkdir()
    for name in ("model.pth", "tokenizer.json", "config.json",
                 "firefly-gan-vq-fsq-8x1024-21hz-generator.pth", "special_tokens.json"):
        (folder / name).write_bytes(b"x")
    with pytest.raises(CheckpointError, match="fish-speech 1.5 checkpoint") as err:
        resolve(str(folder), tmp_path, download=False)
    assert "OpenAudio S1" in str(err.value) and "openaudio-s1-mini" in str(err.value)


def test_missing_files_are_named(tmp_path):
    folder = s1_folder(tmp_path)
    (folder / "codec.pth").unlink()
    with pytest.raises(CheckpointError, match="missing codec.pth"):
        check_layout(folder)


def test_wrong_model_type(tmp_path):
    with pytest.raises(CheckpointError, match="model_type 'naive'"):
        check_layout(s1_folder(tmp_path, "naive"))


def test_a_hub_id_in_the_model_cache_resolves(tmp_path):
    cache = tmp_path / "models"
    cache.mkdir()
    (s1_folder(tmp_path)).rename(cache / "openaudio-s1-mini")
    assert resolve("fishaudio/openaudio-s1-mini", cache, download=False) == (cache / "openaudio-s1-mini").resolve()


def test_an_absent_hub_id_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="not on this machine"):
        resolve("fishaudio/openaudio-s1-mini", tmp_path, download=False)


@pytest.mark.parametrize("spec", ["", "/no/such/folder", "./nope", "a/b/c"])
def test_bad_specs(tmp_path, spec):
    with pytest.raises(CheckpointError):
        resolve(spec, tmp_path, download=False)


def test_auto_falls_back_when_the_default_hub_id_is_absent(tmp_path):
    settings = FishSettings(model_cache=tmp_path, download=False, piper_voice=str(tmp_path / "none.onnx"))
    engines = Engines(settings)
    engines.load()
    assert engines.fish is None and "not on this machine" in engines.fish_error


def test_an_explicit_bad_folder_stops_the_service(tmp_path):
    folder = tmp_path / "v15"
    folder.mkdir()
    (folder / "firefly-gan-vq-fsq-8x1024-21hz-generator.pth").write_bytes(b"x")
    with pytest.raises(CheckpointError, match="1.5"):
        Engines(FishSettings(model=str(folder), model_cache=tmp_path)).load()


def test_engine_fish_without_a_checkpoint_stops_the_service(tmp_path):
    with pytest.raises(CheckpointError):
        Engines(FishSettings(model="fishaudio/openaudio-s1-mini", engine="fish", model_cache=tmp_path,
                             download=False)).load()


def test_without_any_engine_requests_get_failed_precondition(tmp_path, monkeypatch):
    import sys

    from optivus_common.errors import FailedPrecondition

    monkeypatch.setitem(sys.modules, "piper", None)  # piper-tts not installed
    engines = Engines(FishSettings(model="", model_cache=tmp_path))
    engines.load()
    assert engines.fish is None and engines.piper is None and "not installed" in engines.piper_error
    with pytest.raises(FailedPrecondition, match="no speech engine is available") as err:
        engines.pick(None, clones=False)
    assert err.value.reason == "NO_TTS_ENGINE"
    with pytest.raises(FailedPrecondition, match="voice cloning needs the fish engine"):
        engines.pick(None, clones=True)
    with pytest.raises(FailedPrecondition, match="piper engine is not available"):
        engines.pick("piper", clones=False)
    with pytest.raises(FailedPrecondition, match="fish engine is not available: AI_FISH_MODEL is empty"):
        engines.pick("fish", clones=False)
