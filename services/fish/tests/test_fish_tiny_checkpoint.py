"""The real Fish Speech code path end to end (DualAR text-to-semantic model
and modded DAC codec) on a tiny random OpenAudio S1 checkpoint that the
test builds, loaded through the service's own loading code."""

from __future__ import annotations

import json
import sys
import threading

import numpy as np
import pytest

from optivus_fish import audio, torchaudio_shim
from optivus_fish.speech_engine import Params, ReferenceClip
from optivus_testing.fish import TINY_TOKENS

pytestmark = pytest.mark.slow

FRAME = 2048  # samples per semantic frame of the codec (hop 512 x 4)


def speak(engine, pieces, refs=(), **params):
    return list(engine.speak(pieces, list(refs), Params(**{"max_new_tokens": TINY_TOKENS, "seed": 11, **params}),
                             threading.Event()))


def test_checkpoint_has_the_openaudio_s1_layout(tiny_checkpoint):
    for name in ("config.json", "model.pth", "tokenizer.tiktoken", "special_tokens.json", "codec.pth"):
        assert (tiny_checkpoint / name).is_file(), name
    config = json.loads((tiny_checkpoint / "config.json").read_text())
    special = json.loads((tiny_checkpoint / "special_tokens.json").read_text())
    assert config["model_type"] == "dual_ar"
    assert sum(t.startswith("<|semantic:") for t in special) == 4096  # the codec's semantic codebook
    assert config["max_seq_len"] > 2048 + 100


def test_engines_load_fish_from_the_folder(engines, tiny_checkpoint):
    assert engines.fish is not None, engines.fish_error
    assert engines.fish.folder == tiny_checkpoint.resolve()
    assert engines.fish.sample_rate == 44100
    assert type(engines.fish._inference).__mro__[1].__module__ == "fish_speech.inference_engine"


def test_speaks_each_sentence_with_plausible_length(engines):
    pieces = speak(engines.fish, ["Hello there.", "A second sentence."])
    assert [p.index for p in pieces] == [0, 1]
    for piece in pieces:
        # A random model seldom ends early: about max_new_tokens frames per sentence.
        assert 1 * FRAME <= piece.samples.size <= (TINY_TOKENS + 1) * FRAME
        assert piece.samples.dtype == np.float32 and np.isfinite(piece.samples).all()
        assert np.abs(piece.samples).max() > 0
    assert 0.5 < sum(p.samples.size for p in pieces) / 44100 < 3.0


def test_seed_makes_it_reproducible_and_fewer_tokens_make_it_shorter(engines):
    a = speak(engines.fish, ["Same words."])[0].samples
    b = speak(engines.fish, ["Same words."])[0].samples
    short = speak(engines.fish, ["Same words."], max_new_tokens=5)[0].samples
    assert np.array_equal(a, b)
    assert short.size <= 5 * FRAME < a.size


def test_reference_is_encoded_once_then_cached(engines, speech):
    path, text = speech[2]
    wav, _ = audio.reference_clip(path.read_bytes(), 60)
    clip = ReferenceClip(wav, text)
    before = engines.fish.encode_count
    first = speak(engines.fish, ["In the reference voice."], [clip])[0].samples
    second = speak(engines.fish, ["In the reference voice."], [clip])[0].samples
    assert engines.fish.encode_count == before + 1
    assert np.array_equal(first, second) and first.size > FRAME


def test_torchaudio_is_the_stand_in_and_was_never_called(engines, speech):
    speak(engines.fish, ["One more sentence."], [ReferenceClip(audio.reference_clip(speech[3][0].read_bytes(), 60)[0],
                                                               speech[3][1])])
    assert sys.modules["torchaudio"].OPTIVUS_SHIM is True
    assert torchaudio_shim.attempts() == []


def test_close_stops_the_generation_worker(tiny_checkpoint, engines):
    from optivus_fish.fish_speech_engine import FishEngine

    before = set(threading.enumerate())
    engine = FishEngine(tiny_checkpoint, max_new_tokens=4)
    engine.load()
    workers = [t for t in set(threading.enumerate()) - before if t.name == "fish-text2semantic"]
    assert len(workers) == 1
    assert speak(engine, ["Short."], max_new_tokens=4)[0].samples.size <= 4 * FRAME
    engine.close()  # puts None on the request queue
    workers[0].join(10)
    assert not workers[0].is_alive()
