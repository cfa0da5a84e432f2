"""Proto <-> plain types for the VideoRAG servicer."""

from __future__ import annotations

from datetime import datetime, timezone

from optivus.videorag.v1 import videorag_service_pb2 as pb
from optivus_common.convert import duration, timestamp

from .app import Capabilities
from .retrieve import ClipHit
from .store import VideoRow

STATES = {"queued": pb.INDEX_STATE_QUEUED, "running": pb.INDEX_STATE_RUNNING, "ready": pb.INDEX_STATE_READY,
          "failed": pb.INDEX_STATE_FAILED}


def video_to_proto(row: VideoRow) -> pb.Video:
    return pb.Video(video_id=row.video_id, collection=row.library, title=row.title,
                    state=STATES.get(row.state, pb.INDEX_STATE_UNSPECIFIED), duration=duration(row.duration),
                    clip_count=row.clip_count, create_time=timestamp(datetime.fromtimestamp(row.create_time,
                                                                                            timezone.utc)),
                    error=row.error, job_id=row.job_id, chunk_count=row.chunk_count,
                    entity_count=row.entity_count, relation_count=row.relation_count)


def citation_to_proto(hit: ClipHit, number: int = 0) -> pb.Citation:
    return pb.Citation(video_id=hit.video_id, start=duration(hit.start), end=duration(hit.end), text=hit.text,
                       score=hit.score, number=number, title=hit.title, sources=hit.sources)


def capabilities_to_proto(c: Capabilities) -> pb.GetCapabilitiesResponse:
    return pb.GetCapabilitiesResponse(
        embedding_model=c.embedding_model, embedding_dim=c.embedding_dim, keyword_search=c.keyword_search,
        visual_search=c.visual_search, visual_model=c.visual_model,
        visual_unavailable_reason=c.visual_unavailable_reason, entity_extractor=c.entity_extractor,
        answer_engine=c.answer_engine, milvus=c.milvus)
