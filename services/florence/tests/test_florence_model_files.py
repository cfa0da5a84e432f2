"""Where Florence-2 weights come from: a local folder, the model cache
(found offline), or nowhere, said quickly and with a reason."""

from __future__ import annotations

import socket

import pytest

from optivus_florence.model_files import ModelUnavailable, native_repo_id, resolve_model


def saved_folder(path):
    path.mkdir(parents=True)
    (path / "config.json").write_text('{"model_type": "florence2"}')
    return path


def test_local_folder_is_used_as_is(tmp_path):
    folder = saved_folder(tmp_path / "mine")
    assert resolve_model(str(folder), tmp_path / "cache", download=True) == folder


def test_folder_without_config_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelUnavailable, match="no config.json"):
        resolve_model(str(tmp_path / "empty"), tmp_path / "cache", download=True)


@pytest.mark.parametrize("spec", ["/no/such/folder", "./missing", "not a repo id", "a/b/c", ""])
def test_missing_folders_and_bad_ids_are_refused(tmp_path, spec):
    with pytest.raises(ModelUnavailable):
        resolve_model(spec, tmp_path / "cache", download=True)


def test_seed_ids_map_to_the_native_conversions():
    assert native_repo_id("microsoft/Florence-2-base") == "florence-community/Florence-2-base"
    assert native_repo_id("microsoft/Florence-2-large-ft") == "florence-community/Florence-2-large-ft"
    assert native_repo_id("someone/florence-tuned") == "someone/florence-tuned"


def test_hub_id_in_the_cache_resolves_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    revision = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "cache" / "hub" / "models--florence-community--Florence-2-base"
    snapshot = saved_folder(repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    assert resolve_model("microsoft/Florence-2-base", tmp_path / "cache", download=True) == snapshot


def test_offline_without_cache_fails_fast_and_says_why(tmp_path, monkeypatch):
    import huggingface_hub

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    lookups = []
    real_snapshot_download = huggingface_hub.snapshot_download

    def spy(*args, **kwargs):
        lookups.append(kwargs.get("local_files_only", False))
        return real_snapshot_download(*args, **kwargs)

    connects = []

    def no_network(sock, address):
        connects.append(address)
        raise OSError("network used in an offline test")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", spy)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    with pytest.raises(ModelUnavailable, match="HF_HUB_OFFLINE"):
        resolve_model("microsoft/Florence-2-base", tmp_path / "cache", download=True)
    # The cache only: no download attempt, no connection, so nothing to wait for.
    assert lookups == [True] and connects == []


def test_downloads_off_says_which_setting(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # read once, at import
    with pytest.raises(ModelUnavailable, match="OPTIVUS_FLORENCE_DOWNLOAD"):
        resolve_model("florence-community/Florence-2-large", tmp_path / "cache", download=False)
