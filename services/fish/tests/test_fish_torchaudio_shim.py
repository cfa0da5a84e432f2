"""The import-only torchaudio stand-in: importable the ways fish_speech
and descript-audiotools import it, and loud when anything is called."""

from __future__ import annotations

import subprocess
import sys

import pytest

from optivus_fish import torchaudio_shim


def test_any_call_raises_and_is_recorded():
    torchaudio_shim.install()
    import torchaudio
    from torchaudio.functional import resample
    from torchaudio.transforms import MelScale

    before = len(torchaudio.attempts)
    with pytest.raises(torchaudio.TorchaudioNotAvailable, match="stand-in"):
        torchaudio.load("x.wav")
    with pytest.raises(torchaudio.TorchaudioNotAvailable):
        resample(None, 1, 2)
    with pytest.raises(torchaudio.TorchaudioNotAvailable):
        MelScale(n_mels=4)
    assert torchaudio.attempts[before:] == ["torchaudio.load", "torchaudio.functional.resample",
                                            "torchaudio.transforms.MelScale"]
    del torchaudio.attempts[before:]


@pytest.mark.slow  # imports the real fish_speech package: about 20 s
def test_fish_speech_imports_with_the_stand_in_in_a_fresh_process():
    code = ("from optivus_fish import torchaudio_shim; torchaudio_shim.install();"
            "import fish_speech.inference_engine, fish_speech.models.dac.modded_dac, audiotools, dac;"
            "import torchaudio; assert torchaudio.OPTIVUS_SHIM and torchaudio.attempts == [];"
            "import sys; assert 'tools' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
