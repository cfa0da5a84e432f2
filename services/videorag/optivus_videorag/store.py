"""Milvus: the video registry, and per library the collections of clips,
text chunks (dense vectors, and BM25 where the Milvus has it), entity
mentions, relations and (with a visual model) frames. Every row carries
its video id and time span, so a video is deleted by one filter per
collection. Milvus Lite (a local folder; pymilvus starts it in this
process) or any Milvus server, through the same pymilvus calls.

Only ids and names this service checked (32 hex characters, library
names of [a-z0-9_]) ever appear in a filter expression."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from optivus_common.errors import FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted

log = logging.getLogger(__name__)

VIDEO_ID = re.compile(r"[0-9a-f]{32}")
LIBRARY = re.compile(r"[a-z0-9_]{1,48}")
DEFAULT_LIBRARY = "default"
KINDS = ("chunks", "clips", "entities", "relations", "frames")
PLACEHOLDER_DIM = 2  # Milvus wants a vector in every collection; these rows are looked up by filter
MAX_TEXT = 8192
MAX_CLIP_TEXT = 16384
MAX_IDS = 4096
QUERY_LIMIT = 16384
SCALAR_INDEXED = {"entities": ("key",), "relations": ("source", "target")}
# IVF_FLAT on Milvus Lite: lists, and lists searched per query.
IVF_LISTS = 1024
IVF_PROBES = 16


def check_video_id(raw: str) -> str:
    if not isinstance(raw, str) or not VIDEO_ID.fullmatch(raw):
        raise InvalidArgument("a video id is the 32 hex characters IndexVideo returned", reason="INVALID_VIDEO_ID")
    return raw


def check_library(raw: str) -> str:
    name = (raw or DEFAULT_LIBRARY).lower()
    if not LIBRARY.fullmatch(name):
        raise InvalidArgument("a library (collection) name is 1 to 48 letters, digits or \"_\"",
                              reason="INVALID_COLLECTION")
    return name


def _quoted(values: Iterable[str]) -> str:
    return "[" + ",".join(f'"{v}"' for v in values) + "]"


def _safe(value: str) -> str:
    """A value we made (keys of entities) inside a filter string."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _clip(text: str, limit: int) -> str:
    data = text.encode()
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


@dataclass
class VideoRow:
    video_id: str
    library: str
    title: str
    state: str  # queued, running, ready, failed
    source: str = ""
    job_id: str = ""
    duration: float = 0.0
    clip_length: float = 0.0
    clip_count: int = 0
    chunk_count: int = 0
    entity_count: int = 0
    relation_count: int = 0
    create_time: float = 0.0
    error: str = ""


@dataclass
class Hit:
    """A row found by a search, best first within its route."""

    id: str
    video_id: str
    score: float
    fields: dict = field(default_factory=dict)


class MilvusStore:
    def __init__(self, uri: str, token: str, prefix: str, dim: int, hybrid: bool, visual_dim: int = 0,
                 max_libraries: int = 100) -> None:
        from pymilvus import MilvusClient

        if uri.endswith(".db"):
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        self._client = MilvusClient(uri=uri, token=token) if token else MilvusClient(uri=uri)
        self.lite = uri.endswith(".db")
        self._prefix = prefix
        self.dim = dim
        self.visual_dim = visual_dim
        self.max_libraries = max_libraries
        self._lock = threading.Lock()
        self._ready: set[str] = set()
        self.keyword = hybrid and self._has_bm25()
        self._ensure_videos()

    # --- names and schemas ---------------------------------------------------

    def name(self, library: str, kind: str) -> str:
        return f"{self._prefix}_{library}_{kind}"

    @property
    def videos_name(self) -> str:
        return f"{self._prefix}__videos"

    def _has_bm25(self) -> bool:
        try:
            from pymilvus import Function, FunctionType  # noqa: F401
        except ImportError:
            return False
        return True

    def _schema(self, kind: str):
        from pymilvus import DataType, Function, FunctionType

        s = self._client.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=256)
        s.add_field("video_id", DataType.VARCHAR, max_length=32)
        indexes = self._client.prepare_index_params()
        metric = "IP"
        if kind in ("chunks", "clips", "frames"):
            s.add_field("clip_index", DataType.INT32)
            s.add_field("start", DataType.FLOAT)
            s.add_field("end", DataType.FLOAT)
        if kind == "chunks":
            s.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT, enable_analyzer=self.keyword)
            s.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
            if self.keyword:
                s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
                s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                        output_field_names=["sparse"]))
                indexes.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        elif kind == "clips":
            s.add_field("text", DataType.VARCHAR, max_length=MAX_CLIP_TEXT)
            s.add_field("vector", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
        elif kind == "frames":
            s.add_field("vector", DataType.FLOAT_VECTOR, dim=self.visual_dim)
        elif kind == "entities":
            s.add_field("key", DataType.VARCHAR, max_length=256)
            s.add_field("name", DataType.VARCHAR, max_length=512)
            s.add_field("mentions", DataType.INT32)
            s.add_field("chunk_ids", DataType.VARCHAR, max_length=MAX_IDS)
            s.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        elif kind == "relations":
            s.add_field("source", DataType.VARCHAR, max_length=256)
            s.add_field("target", DataType.VARCHAR, max_length=256)
            s.add_field("weight", DataType.FLOAT)
            s.add_field("description", DataType.VARCHAR, max_length=1024)
            s.add_field("chunk_ids", DataType.VARCHAR, max_length=MAX_IDS)
            s.add_field("vector", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
        indexes.add_index("vector", index_type=self._vector_index(kind), metric_type=metric,
                          **self._index_params(kind))
        # Scalar indexes for the filters: a video's rows, the graph's keys.
        for name in ("video_id", *SCALAR_INDEXED.get(kind, ())):
            indexes.add_index(name, index_type="INVERTED")
        return s, indexes

    def _vector_index(self, kind: str) -> str:
        if kind in ("clips", "relations"):
            return "FLAT"
        return "IVF_FLAT" if self.lite else "HNSW"

    def _index_params(self, kind: str) -> dict:
        if kind in ("clips", "relations"):
            return {}
        return {"params": {"nlist": IVF_LISTS}} if self.lite else {"params": {"M": 16, "efConstruction": 200}}

    def _search_params(self) -> dict:
        return {"metric_type": "IP", "params": {"nprobe": IVF_PROBES} if self.lite else {"ef": 64}}

    def _ensure_videos(self) -> None:
        from pymilvus import DataType

        name = self.videos_name
        if not self._client.has_collection(name):
            s = self._client.create_schema(auto_id=False, enable_dynamic_field=False)
            s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=32)
            s.add_field("library", DataType.VARCHAR, max_length=64)
            s.add_field("title", DataType.VARCHAR, max_length=1024)
            s.add_field("state", DataType.VARCHAR, max_length=16)
            s.add_field("source", DataType.VARCHAR, max_length=2048)
            s.add_field("job_id", DataType.VARCHAR, max_length=64)
            s.add_field("error", DataType.VARCHAR, max_length=2048)
            for number in ("duration", "clip_length", "create_time"):
                s.add_field(number, DataType.DOUBLE)
            for count in ("clip_count", "chunk_count", "entity_count", "relation_count"):
                s.add_field(count, DataType.INT32)
            s.add_field("vector", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
            indexes = self._client.prepare_index_params()
            indexes.add_index("vector", index_type="FLAT", metric_type="L2")
            self._client.create_collection(name, schema=s, index_params=indexes)
        self._client.load_collection(name)

    # --- libraries ---------------------------------------------------------------

    def libraries(self) -> list[str]:
        head, tail = f"{self._prefix}_", "_chunks"
        return sorted(n[len(head):-len(tail)] for n in self._client.list_collections()
                      if n.startswith(head) and n.endswith(tail) and LIBRARY.fullmatch(n[len(head):-len(tail)]))

    def library_exists(self, library: str) -> bool:
        return self._open(library, create=False)

    def require_library(self, library: str) -> None:
        if not self._open(library, create=False):
            raise NotFound(f"there is no library {library!r}: index a video into it first",
                           reason="COLLECTION_NOT_FOUND", collection=library)

    def create_library(self, library: str) -> None:
        self._open(library, create=True)

    def _kinds(self) -> tuple[str, ...]:
        return KINDS if self.visual_dim else KINDS[:4]

    def _open(self, library: str, create: bool) -> bool:
        """Loads (or makes) the library's collections; False when it has none."""
        with self._lock:
            if library in self._ready:
                return True
            exists = self._client.has_collection(self.name(library, "chunks"))
            if not exists and not create:
                return False
            if not exists and len(self.libraries()) >= self.max_libraries:
                raise ResourceExhausted(f"this server holds at most {self.max_libraries} libraries "
                                        "(OPTIVUS_VIDEORAG_MAX_COLLECTIONS)", reason="TOO_MANY_COLLECTIONS",
                                        limit=self.max_libraries)
            for kind in self._kinds():
                name = self.name(library, kind)
                if not self._client.has_collection(name):
                    schema, indexes = self._schema(kind)
                    self._client.create_collection(name, schema=schema, index_params=indexes)
                self._check_dim(name, kind)
                self._client.load_collection(name)
            self._ready.add(library)
            return True

    def _check_dim(self, name: str, kind: str) -> None:
        if kind not in ("chunks", "entities", "frames"):
            return
        want = self.visual_dim if kind == "frames" else self.dim
        for f in self._client.describe_collection(name).get("fields", []):
            if f.get("name") == "vector":
                have = int((f.get("params") or {}).get("dim", want))
                if have != want:
                    raise FailedPrecondition(
                        f"{name} holds {have}-dimensional vectors but the model in use makes {want}: it was "
                        "indexed with another model; delete and index its videos again",
                        reason="EMBEDDING_DIM_MISMATCH")

    # --- the registry -------------------------------------------------------------

    def put_video(self, row: VideoRow) -> None:
        data = {"id": row.video_id, "library": row.library, "title": _clip(row.title, 1000),
                "state": row.state, "source": _clip(row.source, 2000), "job_id": row.job_id,
                "error": _clip(row.error, 2000), "duration": float(row.duration),
                "clip_length": float(row.clip_length), "create_time": float(row.create_time),
                "clip_count": row.clip_count, "chunk_count": row.chunk_count, "entity_count": row.entity_count,
                "relation_count": row.relation_count, "vector": [0.0] * PLACEHOLDER_DIM}
        self._client.upsert(self.videos_name, [data])

    def get_video(self, video_id: str) -> VideoRow | None:
        rows = self._client.query(self.videos_name, filter=f'id == "{check_video_id(video_id)}"',
                                  output_fields=["*"], limit=1, consistency_level="Strong")
        return _video(rows[0]) if rows else None

    def videos(self, library: str) -> list[VideoRow]:
        rows = self._client.query(self.videos_name, filter=f'library == "{library}"', output_fields=["*"],
                                  limit=QUERY_LIMIT, consistency_level="Strong")
        return sorted((_video(r) for r in rows), key=lambda v: (v.create_time, v.video_id))

    def drop_video_row(self, video_id: str) -> None:
        self._client.delete(self.videos_name, filter=f'id == "{check_video_id(video_id)}"')

    # --- a video's rows -------------------------------------------------------------

    def insert(self, library: str, kind: str, rows: Sequence[dict], batch: int = 512) -> None:
        name = self.name(library, kind)
        for start in range(0, len(rows), batch):
            self._client.insert(name, list(rows[start:start + batch]))

    def seal(self, library: str) -> None:
        """Flushes the library's new rows into indexed segments (Milvus Lite
        searches unflushed rows by brute force, in Python)."""
        for kind in self._kinds():
            self._client.flush(self.name(library, kind))

    def delete_video_rows(self, library: str, video_id: str) -> int:
        """Removes every row of the video in the library; how many."""
        check_video_id(video_id)
        if not self._open(library, create=False):
            return 0
        removed = 0
        for kind in self._kinds():
            result = self._client.delete(self.name(library, kind), filter=f'video_id == "{video_id}"')
            removed += _count(result)
        return removed

    # --- search -----------------------------------------------------------------------

    def _filter(self, video_ids: Sequence[str]) -> str:
        return f"video_id in {_quoted(check_video_id(v) for v in video_ids)}" if video_ids else ""

    def search(self, library: str, kind: str, vector: np.ndarray, limit: int, video_ids: Sequence[str] = (),
               fields: Sequence[str] = ()) -> list[Hit]:
        result = self._client.search(self.name(library, kind), data=[vector.tolist()], anns_field="vector",
                                     limit=limit, filter=self._filter(video_ids),
                                     output_fields=["video_id", *fields], search_params=self._search_params())
        return [Hit(h["id"], h["entity"]["video_id"], float(h["distance"]), h["entity"]) for h in result[0]]

    def keyword_search(self, library: str, text: str, limit: int, video_ids: Sequence[str] = ()) -> list[Hit]:
        if not self.keyword:
            return []
        result = self._client.search(self.name(library, "chunks"), data=[text], anns_field="sparse", limit=limit,
                                     filter=self._filter(video_ids), output_fields=["video_id"],
                                     search_params={"metric_type": "BM25"})
        # Milvus Lite reports BM25 as a distance (negated); the order is best first either way.
        return [Hit(h["id"], h["entity"]["video_id"], abs(float(h["distance"])), h["entity"]) for h in result[0]]

    def get(self, library: str, kind: str, ids: Sequence[str], fields: Sequence[str]) -> list[dict]:
        if not ids:
            return []
        return self._client.query(self.name(library, kind), filter=f"id in {_quoted(_safe(i) for i in ids)}",
                                  output_fields=["id", "video_id", *fields], limit=len(ids))

    def entities_by_key(self, library: str, keys: Sequence[str], video_ids: Sequence[str] = (),
                        limit: int = 200) -> list[dict]:
        if not keys:
            return []
        where = f"key in {_quoted(_safe(k) for k in keys)}"
        if video_ids:
            where += " and " + self._filter(video_ids)
        return self._client.query(self.name(library, "entities"), filter=where,
                                  output_fields=["key", "name", "video_id", "chunk_ids", "mentions"], limit=limit)

    def relations_of(self, library: str, keys: Sequence[str], video_ids: Sequence[str] = (),
                     limit: int = 200) -> list[dict]:
        if not keys:
            return []
        listed = _quoted(_safe(k) for k in keys)
        where = f"(source in {listed} or target in {listed})"
        if video_ids:
            where += " and " + self._filter(video_ids)
        return self._client.query(self.name(library, "relations"), filter=where,
                                  output_fields=["source", "target", "weight", "chunk_ids", "video_id"], limit=limit)

    def close(self) -> None:
        self._client.close()


def _count(result) -> int:
    if isinstance(result, dict):
        return int(result.get("delete_count", 0))
    try:
        return len(result)
    except TypeError:
        return int(getattr(result, "delete_count", 0) or 0)


def _video(row: dict) -> VideoRow:
    return VideoRow(video_id=row["id"], library=row["library"], title=row["title"], state=row["state"],
                    source=row["source"], job_id=row["job_id"], duration=row["duration"],
                    clip_length=row["clip_length"], clip_count=row["clip_count"], chunk_count=row["chunk_count"],
                    entity_count=row["entity_count"], relation_count=row["relation_count"],
                    create_time=row["create_time"], error=row["error"])
