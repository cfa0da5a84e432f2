"""TtsService: the gRPC adapter over the application layer (app.py):
proto in, plain types to the app, plain types back to proto."""

from __future__ import annotations

from optivus.tts.v1 import tts_service_pb2 as pb
from optivus.tts.v1 import tts_service_pb2_grpc as pb_grpc
from optivus_common.convert import media_source

from .app import TtsApp
from .convert import reference_to_proto, synthesis_request, synthesis_response


class TtsServicer(pb_grpc.TtsServiceServicer):
    def __init__(self, app: TtsApp) -> None:
        self._app = app

    async def Synthesize(self, request: pb.SynthesizeRequest, context):
        async for item in self._app.synthesize(synthesis_request(request)):
            yield synthesis_response(item)

    async def AddReference(self, request: pb.AddReferenceRequest, context):
        ref = await self._app.add_reference(media_source(request.reference.audio), request.reference.text,
                                            request.display_name)
        return pb.AddReferenceResponse(reference=reference_to_proto(ref))

    async def ListReferences(self, request: pb.ListReferencesRequest, context):
        page = await self._app.list_references(request.page_size, request.page_token)
        return pb.ListReferencesResponse(references=[reference_to_proto(r) for r in page.references],
                                         next_page_token=page.next_page_token)

    async def DeleteReference(self, request: pb.DeleteReferenceRequest, context):
        await self._app.delete_reference(request.reference_id)
        return pb.DeleteReferenceResponse()
