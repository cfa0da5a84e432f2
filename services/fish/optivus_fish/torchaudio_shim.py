"""Puts the import-only torchaudio stand-in first on sys.path.

PyPI's last torchaudio (2.11) does not load beside torch 2.13, and
fish_speech / descript-audiotools import it at module level without
calling it on our inference path. Call install() before importing
fish_speech; it is a no-op when the stand-in is already in place."""

from __future__ import annotations

import sys
from pathlib import Path

SHIM_DIR = Path(__file__).resolve().parent / "shim"


class TorchaudioConflict(RuntimeError):
    pass


def install() -> None:
    loaded = sys.modules.get("torchaudio")
    if loaded is not None:
        if getattr(loaded, "OPTIVUS_SHIM", False):
            return
        raise TorchaudioConflict("a real torchaudio is already imported in this process; "
                                 "the fish engine must import its stand-in first")
    if str(SHIM_DIR) not in sys.path:
        sys.path.insert(0, str(SHIM_DIR))
    import torchaudio

    if not getattr(torchaudio, "OPTIVUS_SHIM", False):
        raise TorchaudioConflict(f"torchaudio resolved to {torchaudio.__file__}, not the stand-in")


def attempts() -> list[str]:
    """The torchaudio functions something tried to call in this process."""
    import torchaudio

    return list(torchaudio.attempts)
