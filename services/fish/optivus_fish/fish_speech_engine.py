"""The Fish Speech engine: fish_speech's DualAR text-to-semantic model and
modded DAC codec, from an OpenAudio S1 checkpoint folder."""

from __future__ import annotations

import logging
import os
import queue
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from optivus_common.devices import pick_device
from optivus_common.errors import InvalidArgument

from . import torchaudio_shim
from .checkpoint import CheckpointError, codec_config
from .speech_engine import Params, ReferenceClip, SpokenPiece

log = logging.getLogger(__name__)

DEFAULTS = {"temperature": 0.8, "top_p": 0.8, "repetition_penalty": 1.1}


def _precision(choice: str, device: str):
    import torch

    if choice == "auto":
        return torch.bfloat16 if device == "cuda" else torch.float32
    return getattr(torch, choice)


def load_codec(folder: Path, device: str):
    """The modded DAC codec, built with hydra from its config (as
    fish_speech.models.dac.inference.load_model does, without importing that
    module, which needs a .project-root marker above it)."""
    import torch
    from hydra.utils import instantiate

    codec = instantiate(codec_config(folder))
    state = torch.load(folder / "codec.pth", map_location=device, mmap=True, weights_only=True)
    if "state_dict" in state:
        state = state["state_dict"]
    if any("generator" in k for k in state):
        state = {k.replace("generator.", ""): v for k, v in state.items() if "generator." in k}
    try:
        result = codec.load_state_dict(state, strict=False, assign=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{folder}/codec.pth does not fit the codec config: {str(exc)[:300]}") from None
    params = dict(codec.named_parameters())
    missing = [k for k in result.missing_keys if k in params]
    if len(missing) > len(params) // 2:
        raise CheckpointError(f"{folder}/codec.pth lacks {len(missing)} of the codec's {len(params)} weights")
    if missing:
        log.warning("codec weights missing", extra={"count": len(missing)})
    return codec.eval().to(device)


def start_generation_worker(model, decode_one_token) -> queue.Queue:
    """fish_speech's generation loop (launch_thread_safe_queue's worker) on
    an already loaded model: the package's launcher loads the model inside
    its thread and waits forever if that fails. put(None) stops it."""
    from fish_speech.models.text2semantic.inference import WrappedGenerateResponse, generate_long

    requests: queue.Queue = queue.Queue()

    def worker() -> None:
        while (item := requests.get()) is not None:
            try:
                for chunk in generate_long(model=model, decode_one_token=decode_one_token, **item.request):
                    item.response_queue.put(WrappedGenerateResponse(status="success", response=chunk))
            except Exception as exc:  # noqa: BLE001 - handed to the waiting request
                item.response_queue.put(WrappedGenerateResponse(status="error", response=exc))

    threading.Thread(target=worker, name="fish-text2semantic", daemon=True).start()
    return requests


class FishEngine:
    name = "fish"
    clones_voices = True

    def __init__(self, folder: Path, *, device: str = "auto", precision: str = "auto", compile: bool = False,
                 max_new_tokens: int = 1024, cache_size: int = 32) -> None:
        self.folder = folder
        self.description = f"fish:{folder.name}"
        self._device_choice, self._precision_choice, self._compile = device, precision, compile
        self._max_new_tokens = max_new_tokens
        self._cache_size = cache_size
        self._queue: queue.Queue | None = None
        self._inference = None
        self.sample_rate = 0

    def load(self) -> None:
        torchaudio_shim.install()
        os.environ.setdefault("TQDM_DISABLE", "1")
        # fish_speech's known, harmless warnings (tensor copies, CPU autocast
        # to float32, deprecated weight_norm) would repeat for every sentence.
        for message in ("To copy construct from a tensor", "In CPU autocast", ".*weight_norm.* is deprecated",
                        "Support for class-based `config`"):
            warnings.filterwarnings("ignore", message=message)
        from loguru import logger as loguru_logger

        # fish_speech logs the text it speaks; keep user text out of the logs.
        loguru_logger.disable("fish_speech")
        from fish_speech.models.text2semantic.inference import init_model

        from .fish_speech_inference import OptivusTTSInference

        device = pick_device(self._device_choice)
        precision = _precision(self._precision_choice, device)
        codec = load_codec(self.folder, device)
        try:
            model, decode_one_token = init_model(str(self.folder), device, precision, compile=self._compile)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError(f"cannot load the text-to-semantic model from {self.folder}: {exc}") from exc
        self._queue = start_generation_worker(model, decode_one_token)
        self._inference = OptivusTTSInference(self._queue, codec, precision, self._compile, self._cache_size)
        self.sample_rate = int(codec.sample_rate)
        log.info("fish model loaded", extra={"model": self.description, "device": device, "precision": str(precision),
                                             "sample_rate": self.sample_rate})

    @property
    def encode_count(self) -> int:
        return self._inference.encode_count if self._inference else 0

    def _request(self, text: str, references: Sequence[ReferenceClip], params: Params):
        from fish_speech.utils.schema import ServeReferenceAudio, ServeTTSRequest

        return ServeTTSRequest(
            text=text,
            references=[ServeReferenceAudio(audio=r.wav, text=r.text) for r in references],
            seed=params.seed,
            use_memory_cache="on",
            max_new_tokens=params.max_new_tokens or self._max_new_tokens,
            # chunk_length is used by the service to cut the text; the package's
            # generate_long speaks each piece whole.
            chunk_length=params.chunk_length or 200,
            temperature=DEFAULTS["temperature"] if params.temperature is None else params.temperature,
            top_p=DEFAULTS["top_p"] if params.top_p is None else params.top_p,
            repetition_penalty=(DEFAULTS["repetition_penalty"] if params.repetition_penalty is None
                                else params.repetition_penalty),
        )

    def speak(self, pieces: Sequence[str], references: Sequence[ReferenceClip], params: Params,
              stop: threading.Event) -> Iterator[SpokenPiece]:
        for index, piece in enumerate(pieces):
            if stop.is_set():
                return
            yield SpokenPiece(index, self._speak_one(piece, references, params))

    def _speak_one(self, text: str, references: Sequence[ReferenceClip], params: Params) -> np.ndarray:
        for result in self._inference.inference(self._request(text, references, params)):
            if result.code == "error":
                message = str(result.error)
                if "Prompt is too long" in message:
                    raise InvalidArgument("the references and the text are too long for this model: "
                                          "use shorter or fewer references", reason="PROMPT_TOO_LONG")
                raise RuntimeError(f"fish generation failed: {message}") from result.error
            if result.code == "final":
                return np.asarray(result.audio[1], dtype=np.float32).reshape(-1)
        raise RuntimeError("fish generation ended without audio")

    def close(self) -> None:
        if self._queue is not None:
            self._queue.put(None)
            self._queue = None
