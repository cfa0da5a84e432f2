"""VideoRagService: proto -> plain types, the application layer, plain types -> proto."""

from __future__ import annotations

from optivus.videorag.v1 import videorag_service_pb2 as pb
from optivus.videorag.v1 import videorag_service_pb2_grpc as pb_grpc
from optivus_common.convert import media_source, seconds

from .app import AnswerDelta, Citations, Retrieved, VideoRagApp, require_ready
from .convert import capabilities_to_proto, citation_to_proto, video_to_proto


class VideoRagServicer(pb_grpc.VideoRagServiceServicer):
    def __init__(self, app: VideoRagApp | None = None) -> None:
        # None while the models load: every call answers UNAVAILABLE until then.
        self.app = app

    async def IndexVideo(self, request: pb.IndexVideoRequest, context):
        started = await require_ready(self.app).start_indexing(
            media_source(request.video), request.collection, seconds(request.clip_length), request.title)
        return pb.IndexVideoResponse(video_id=started.video_id, job_id=started.job_id, existing=started.existing)

    async def GetVideo(self, request: pb.GetVideoRequest, context):
        return pb.GetVideoResponse(video=video_to_proto(await require_ready(self.app).get_video(request.video_id)))

    async def ListVideos(self, request: pb.ListVideosRequest, context):
        rows, token = await require_ready(self.app).list_videos(request.collection, request.page_size,
                                                               request.page_token)
        return pb.ListVideosResponse(videos=[video_to_proto(r) for r in rows], next_page_token=token)

    async def DeleteVideo(self, request: pb.DeleteVideoRequest, context):
        return pb.DeleteVideoResponse(removed_rows=await require_ready(self.app).delete_video(request.video_id))

    async def ListCollections(self, request: pb.ListCollectionsRequest, context):
        found = await require_ready(self.app).list_libraries()
        return pb.ListCollectionsResponse(collections=[pb.Collection(name=n, video_count=c) for n, c in found])

    async def QueryVideos(self, request: pb.QueryVideosRequest, context):
        app = require_ready(self.app)
        async for item in app.query(request.question, request.collection, request.top_k, list(request.video_ids)):
            if isinstance(item, Retrieved):
                yield pb.QueryVideosResponse(retrieved=citation_to_proto(item.hit))
            elif isinstance(item, AnswerDelta):
                yield pb.QueryVideosResponse(answer_delta=item.text)
            elif isinstance(item, Citations):
                yield pb.QueryVideosResponse(citations=pb.CitationList(
                    citations=[citation_to_proto(hit, n) for n, hit in item.hits]))

    async def GetCapabilities(self, request: pb.GetCapabilitiesRequest, context):
        return capabilities_to_proto(require_ready(self.app).capabilities())
