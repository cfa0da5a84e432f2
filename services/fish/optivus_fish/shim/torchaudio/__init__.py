"""Import-only stand-in for torchaudio, on sys.path in the fish service only.

fish_speech and descript-audiotools import torchaudio at module level, but
the inference path Optivus runs never calls it (reference audio is read
with soundfile + librosa). Any call raises TorchaudioNotAvailable and is
recorded in `attempts`."""

from ._missing import Missing, TorchaudioNotAvailable, attempts, module_getattr

__version__ = "0.0.0+optivus.shim"
OPTIVUS_SHIM = True
__all__ = ["Missing", "TorchaudioNotAvailable", "attempts"]
__getattr__ = module_getattr("torchaudio")
