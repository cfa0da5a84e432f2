"""Visual retrieval, as VideoRAG does with ImageBind: frames of each clip
embedded by an image-text model (CLIP or SigLIP through transformers),
searched with the question's text embedding from the same model. Frames
are read once, at index time; the video is not needed afterwards."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from optivus_common.errors import FailedPrecondition, InvalidArgument
from optivus_common.safe_av import open_container

MAX_FRAME_PIXELS = 8192 * 8192


class VisualEmbedder:
    def __init__(self, folder: str, device: str) -> None:
        import torch
        from transformers import AutoModel, AutoProcessor

        path = Path(folder)
        if not path.is_dir():
            raise FailedPrecondition(f"OPTIVUS_VIDEORAG_VISUAL_MODEL {folder!r} is not a folder",
                                     reason="VISUAL_MODEL_MISSING")
        self._model = AutoModel.from_pretrained(str(path), local_files_only=True).to(device).eval()
        self._processor = AutoProcessor.from_pretrained(str(path), local_files_only=True)
        if not hasattr(self._model, "get_image_features") or not hasattr(self._model, "get_text_features"):
            raise FailedPrecondition(f"{folder} is not an image-text model (CLIP or SigLIP)",
                                     reason="VISUAL_MODEL_MISSING")
        self._device = device
        self._torch = torch
        self._lock = threading.Lock()
        self.name = path.name
        config = self._model.config
        self.dim = int(getattr(config, "projection_dim", 0) or config.text_config.hidden_size)

    @staticmethod
    def _tensor(output):
        """get_*_features returns a tensor, or (newer transformers) an output with pooler_output."""
        return output if hasattr(output, "detach") else output.pooler_output

    def embed_images(self, images: Sequence) -> np.ndarray:
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock, self._torch.inference_mode():
            inputs = self._processor(images=list(images), return_tensors="pt").to(self._device)
            features = self._tensor(self._model.get_image_features(**inputs))
        return _normalise(features.float().cpu().numpy())

    def embed_text(self, text: str) -> np.ndarray:
        with self._lock, self._torch.inference_mode():
            inputs = self._processor(text=[text], return_tensors="pt", padding="max_length", truncation=True)
            inputs = {k: v.to(self._device) for k, v in inputs.items() if k in ("input_ids", "attention_mask")}
            features = self._tensor(self._model.get_text_features(**inputs))
        return _normalise(features.float().cpu().numpy())[0]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def frame_times(spans: Sequence[tuple[int, float, float]], per_clip: int) -> list[tuple[int, float]]:
    """(clip index, time) of the frames to embed: `per_clip` spread over each clip."""
    out = []
    for index, start, end in spans:
        for k in range(per_clip):
            out.append((index, start + (end - start) * (k + 0.5) / per_clip))
    return out


def read_frames(source: str, wanted: list[tuple[int, float]], stop: threading.Event | None = None):
    """The decoded frames nearest each wanted time, as PIL images, in order
    (one pass over the video; frames past the end are left out)."""
    import av

    try:
        container = open_container(source)
    except av.FFmpegError:
        raise InvalidArgument("the video cannot be decoded for frames", reason="MEDIA_UNDECODABLE") from None
    out: list[tuple[int, float, object]] = []
    with container:
        if not container.streams.video:
            return out
        stream = container.streams.video[0]
        if stream.codec_context.width * stream.codec_context.height > MAX_FRAME_PIXELS:
            raise InvalidArgument("the video's frames are too large", reason="IMAGE_TOO_LARGE")
        stream.thread_type = "AUTO"
        pending = sorted(wanted, key=lambda w: w[1])
        i = 0
        for frame in container.decode(stream):
            if stop is not None and stop.is_set():
                break
            if frame.time is None:
                continue
            while i < len(pending) and frame.time >= pending[i][1]:
                out.append((pending[i][0], frame.time, frame.to_image()))
                i += 1
            if i >= len(pending):
                break
    return out
