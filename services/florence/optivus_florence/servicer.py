"""VisionService, the gRPC adapter: proto -> plain types, the application
layer, plain types -> proto. Nothing else."""

from __future__ import annotations

from contextlib import aclosing

from optivus.vision.v1 import vision_service_pb2 as pb
from optivus.vision.v1 import vision_service_pb2_grpc as pb_grpc
from optivus_common.convert import media_source
from optivus_common.errors import OptivusError
from optivus_common.registry import FLORENCE
from optivus_common.statuses import status_of

from .app import ImageOutcome, ImageRequest, VisionApp
from .convert import (capabilities_to_proto, image_request_from_proto, result_to_proto, video_item_to_proto,
                      video_options_from_proto)


def _image_item(request: pb.DescribeImageRequest) -> ImageRequest | OptivusError:
    """One image of a batch, or the error that makes it unreadable (its own answer)."""
    try:
        return image_request_from_proto(request)
    except OptivusError as exc:
        return exc


def _outcome_to_proto(outcome: ImageOutcome) -> pb.BatchDescribeImagesResponse:
    if outcome.error is not None:
        return pb.BatchDescribeImagesResponse(request_index=outcome.index,
                                              error=status_of(outcome.error, FLORENCE.domain, "BatchDescribeImages"))
    return pb.BatchDescribeImagesResponse(request_index=outcome.index, result=result_to_proto(outcome.result))


class VisionServicer(pb_grpc.VisionServiceServicer):
    def __init__(self, app: VisionApp) -> None:
        self._app = app

    async def DescribeImage(self, request: pb.DescribeImageRequest, context):
        result = await self._app.describe_image(image_request_from_proto(request))
        return pb.DescribeImageResponse(result=result_to_proto(result))

    async def BatchDescribeImages(self, request: pb.BatchDescribeImagesRequest, context):
        items = [_image_item(r) for r in request.requests]
        async with aclosing(self._app.describe_images(items)) as outcomes:
            async for outcome in outcomes:
                yield _outcome_to_proto(outcome)

    async def DescribeVideo(self, request: pb.DescribeVideoRequest, context):
        items = self._app.describe_video(media_source(request.video), video_options_from_proto(request))
        async with aclosing(items):
            async for item in items:
                yield video_item_to_proto(item)

    async def GetCapabilities(self, request: pb.GetCapabilitiesRequest, context):
        return capabilities_to_proto(self._app.capabilities())
