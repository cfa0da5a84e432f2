"""The fish_speech inference adapter: the package's TTSInferenceEngine,
with reference audio read by soundfile + librosa (the package's loader
calls torchaudio.list_audio_backends() and torchaudio.load, gone from the
torchaudio releases PyPI has) and a bounded cache of encoded references.
Import only after torchaudio_shim.install()."""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict

import torch
from fish_speech.inference_engine import TTSInferenceEngine

from optivus_common.errors import InvalidArgument

from . import audio

log = logging.getLogger(__name__)


class _LruCache(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class OptivusTTSInference(TTSInferenceEngine):
    def __init__(self, llama_queue, decoder_model, precision: torch.dtype, compile: bool, cache_size: int) -> None:
        # Not super().__init__(): ReferenceLoader.__init__ asks torchaudio for its backends.
        self.llama_queue = llama_queue
        self.decoder_model = decoder_model
        self.precision = precision
        self.compile = compile
        self.ref_by_id = {}
        self.ref_by_hash = {}
        self._encoded = _LruCache(cache_size)
        self.encode_count = 0  # references run through the codec's encoder

    def load_by_id(self, id, use_cache):
        # The package reads ./references/<id> relative to the working
        # directory; saved references reach us as inline clips instead.
        raise InvalidArgument("reference ids are resolved by the service", reason="INVALID_REFERENCE_ID")

    def load_by_hash(self, references, use_cache):
        tokens, texts = [], []
        for ref in references:
            key = hashlib.sha256(ref.audio).hexdigest()
            cached = self._encoded.get(key) if use_cache == "on" else None
            if cached is None:
                cached = self.encode_reference(reference_audio=ref.audio, enable_reference_audio=True)
                self.encode_count += 1
                if self._encoded.size:
                    self._encoded[key] = cached
            else:
                self._encoded.move_to_end(key)
            tokens.append(cached)
            texts.append(ref.text)
        return tokens, texts

    def load_audio(self, reference_audio, sr):
        if not isinstance(reference_audio, (bytes, bytearray)):
            raise InvalidArgument("reference audio must be bytes", reason="REFERENCE_UNDECODABLE")
        samples, rate = audio.decode(bytes(reference_audio))
        return audio.resample(samples, rate, sr)
