"""The models this instance runs, loaded once at start from the settings:
the text embedder (required), the visual embedder and the LLM (optional;
why one is absent is kept for GetCapabilities), and the entity extractor."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from optivus_common.devices import pick_device

from . import entities
from .config import VideoRagSettings
from .embedding import EndpointEmbedder, LocalEmbedder
from .graph import Extractor, llm_extractor

log = logging.getLogger(__name__)

NO_VISUAL_MODEL = ("no image-text model is configured (OPTIVUS_VIDEORAG_VISUAL_MODEL): retrieval stands on "
                   "transcripts, scene descriptions and on-screen text")


@dataclass
class Models:
    embedder: object
    extractor: Extractor
    extractor_name: str
    visual: object | None = None
    visual_reason: str = ""
    llm: object | None = None

    @property
    def answer_engine(self) -> str:
        return f"llm:{self.llm.name}" if self.llm is not None else "extractive"


def load_models(settings: VideoRagSettings) -> Models:
    device = pick_device(settings.device)
    if settings.embedding_url:
        embedder = EndpointEmbedder(settings.embedding_url, settings.embedding_endpoint_model,
                                    settings.embedding_api_key.get_secret_value())
    else:
        embedder = LocalEmbedder(settings.embedding_model, device)
    visual, reason = None, ""
    if settings.visual_model:
        from .visual import VisualEmbedder

        visual = VisualEmbedder(settings.visual_model, device)
    else:
        reason = NO_VISUAL_MODEL
    llm = None
    if settings.llm_url:
        from .llm import EndpointLlm

        llm = EndpointLlm(settings.llm_url, settings.llm_model, settings.llm_api_key.get_secret_value(),
                          settings.llm_max_tokens, settings.llm_timeout_s)
    elif settings.llm_model:
        from .llm import LocalLlm

        llm = LocalLlm(settings.llm_model, device, settings.llm_max_tokens)
    if llm is not None and settings.llm_entities:
        extractor, name = llm_extractor(llm), f"llm:{llm.name}"
    else:
        extractor, name = entities.extract, "deterministic"
    log.info("videorag models loaded", extra={"embedding": embedder.name, "dim": embedder.dim,
                                              "visual": getattr(visual, "name", ""), "llm": getattr(llm, "name", ""),
                                              "extractor": name})
    return Models(embedder, extractor, name, visual, reason, llm)
