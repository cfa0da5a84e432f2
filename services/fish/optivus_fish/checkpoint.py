"""Finds and checks a Fish Speech checkpoint. fish-speech 0.1.0 runs the
OpenAudio S1 layout only (e.g. fishaudio/openaudio-s1-mini); a
fish-speech-1.5 folder (firefly-gan-vq decoder) is answered with an error
that says so."""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)

S1_FILES = ("config.json", "model.pth", "tokenizer.tiktoken", "special_tokens.json", "codec.pth")
# Optional: the codec's hydra config, when it is not OpenAudio S1's own
# (the packaged fish_speech/configs/modded_dac_vq.yaml).
CODEC_CONFIG = "codec.yaml"
DEFAULT_MODEL = "fishaudio/openaudio-s1-mini"


class CheckpointError(RuntimeError):
    pass


def _is_v15(folder: Path) -> bool:
    return any(folder.glob("firefly-gan-vq*.pth")) or (
        (folder / "tokenizer.json").is_file() and not (folder / "tokenizer.tiktoken").is_file())


def check_layout(folder: Path) -> Path:
    if _is_v15(folder):
        raise CheckpointError(
            f"{folder} is a fish-speech 1.5 checkpoint (firefly-gan-vq decoder). The fish-speech package "
            f"this server runs loads only the OpenAudio S1 layout ({', '.join(S1_FILES)}), e.g. "
            f"{DEFAULT_MODEL}: point AI_FISH_MODEL at such a folder.")
    missing = [name for name in S1_FILES if not (folder / name).is_file()]
    if missing:
        raise CheckpointError(f"{folder} is not an OpenAudio S1 checkpoint: missing {', '.join(missing)}")
    try:
        model_type = json.loads((folder / "config.json").read_text()).get("model_type")
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{folder}/config.json cannot be read: {exc}") from None
    if model_type != "dual_ar":
        raise CheckpointError(f"{folder}/config.json has model_type {model_type!r}; expected 'dual_ar'")
    return folder


def _looks_like_path(spec: str) -> bool:
    return spec.startswith(("/", ".", "~")) or spec.count("/") != 1


def resolve(spec: str, cache: Path, download: bool) -> Path:
    """The local checkpoint folder for AI_FISH_MODEL: the folder itself, a
    folder named after the hub id in the model cache, or a hub snapshot
    (downloaded when `download`)."""
    spec = spec.strip()
    if not spec:
        raise CheckpointError("AI_FISH_MODEL is empty: the Fish engine is off")
    local = Path(spec).expanduser()
    if local.is_dir():
        return check_layout(local.resolve())
    if _looks_like_path(spec):
        raise CheckpointError(f"AI_FISH_MODEL={spec!r} is not a folder and not a hub id")
    cached = cache / spec.split("/")[-1]
    if cached.is_dir():
        return check_layout(cached.resolve())
    try:
        from huggingface_hub import snapshot_download

        folder = snapshot_download(spec, cache_dir=str(cache / "huggingface"), local_files_only=not download)
    except Exception as exc:  # noqa: BLE001 - any hub failure means "not here"
        raise CheckpointError(
            f"the Fish checkpoint {spec!r} is not on this machine and could not be fetched "
            f"({type(exc).__name__}); put an OpenAudio S1 folder at {cached} or set AI_FISH_MODEL to one") from None
    return check_layout(Path(folder))


def codec_config(folder: Path):
    """The codec's OmegaConf config: codec.yaml in the checkpoint, else the
    packaged OpenAudio S1 modded_dac_vq.yaml."""
    from omegaconf import OmegaConf

    own = folder / CODEC_CONFIG
    if own.is_file():
        return OmegaConf.load(own)
    packaged = resources.files("fish_speech") / "configs" / "modded_dac_vq.yaml"
    return OmegaConf.create(packaged.read_text())
