"""Finds Florence-2 weights without hanging: a local folder, the model
cache, or (when allowed) a download. When none works, ModelUnavailable says
why, and the service starts without Florence-2 instead of failing."""

from __future__ import annotations

import os
import re
from pathlib import Path

# What from_pretrained reads; skips e.g. the remote-code .py files and
# duplicate .bin weights when safetensors exist.
_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.bin"]
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# The seed used Microsoft's remote-code repositories; transformers' native
# Florence2 classes read their official conversions.
_SEED_IDS = re.compile(r"^microsoft/(Florence-2-(?:base|large)(?:-ft)?)$")
_TRUE = {"1", "true", "yes", "on"}


class ModelUnavailable(Exception):
    """Florence-2 weights cannot be had; the message says why and what to set."""


def native_repo_id(spec: str) -> str:
    match = _SEED_IDS.match(spec)
    return f"florence-community/{match.group(1)}" if match else spec


def hub_offline() -> bool:
    from huggingface_hub import constants

    env = (os.environ.get("HF_HUB_OFFLINE", ""), os.environ.get("TRANSFORMERS_OFFLINE", ""))
    return bool(constants.HF_HUB_OFFLINE) or any(v.strip().lower() in _TRUE for v in env)


def resolve_model(spec: str, cache: Path, download: bool) -> Path:
    """The local folder to load AI_FLORENCE_MODEL from."""
    spec = spec.strip()
    if not spec:
        raise ModelUnavailable("AI_FLORENCE_MODEL is empty")
    local = Path(spec).expanduser()
    if local.is_dir():
        if not (local / "config.json").is_file():
            raise ModelUnavailable(f"{spec} has no config.json: not a folder saved with save_pretrained")
        return local
    if spec.startswith(("/", ".", "~")) or not _REPO_ID.match(spec):
        raise ModelUnavailable(f"AI_FLORENCE_MODEL={spec!r} is neither an existing folder nor a hub id")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    repo = native_repo_id(spec)
    hub_cache = cache / "hub"
    try:
        return Path(snapshot_download(repo, cache_dir=hub_cache, allow_patterns=_PATTERNS, local_files_only=True))
    except LocalEntryNotFoundError:
        pass
    if hub_offline() or not download:
        why = "HF_HUB_OFFLINE is set" if hub_offline() else "OPTIVUS_FLORENCE_DOWNLOAD is off"
        raise ModelUnavailable(f"{repo} is not in the model cache ({hub_cache}) and {why}")
    try:
        return Path(snapshot_download(repo, cache_dir=hub_cache, allow_patterns=_PATTERNS))
    except Exception as exc:  # noqa: BLE001 - any hub failure means "no weights"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelUnavailable(f"could not download {repo}: {first_line[:200]}") from None
