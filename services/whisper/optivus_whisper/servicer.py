"""SpeechService: the gRPC adapter. Proto -> plain types, the application
layer, plain types -> proto; nothing else."""

from __future__ import annotations

from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc
from optivus_common.convert import media_source

from .app import WhisperApp
from .convert import (
    audio_chunk,
    known_speaker_to_proto,
    live_config_from_proto,
    live_update_to_proto,
    options_from_proto,
    output_format,
    segment_to_proto,
    to_samples,
    transcript_to_proto,
)
from .transcript import Segment


class SpeechServicer(pb_grpc.SpeechServiceServicer):
    def __init__(self, app: WhisperApp) -> None:
        self._app = app

    async def Transcribe(self, request: pb.TranscribeRequest, context):
        items = self._app.transcribe(media_source(request.audio), options_from_proto(request.config),
                                     output_format(request.config))
        async for item in items:
            if isinstance(item, Segment):
                yield pb.TranscribeResponse(segment=segment_to_proto(item))
            else:
                yield pb.TranscribeResponse(result=transcript_to_proto(item))

    async def StreamingTranscribe(self, request_iterator, context):
        self._app.require_loaded()
        requests = aiter(request_iterator)
        config, encoding = live_config_from_proto(await anext(requests, None))
        samples = (to_samples(audio_chunk(request), encoding) async for request in requests)
        async for update in self._app.live(config, samples):
            yield live_update_to_proto(update)

    async def EnrollSpeaker(self, request: pb.EnrollSpeakerRequest, context) -> pb.EnrollSpeakerResponse:
        speaker = await self._app.enroll_speaker(media_source(request.audio), request.name)
        return pb.EnrollSpeakerResponse(speaker=known_speaker_to_proto(speaker))

    async def ListSpeakers(self, request: pb.ListSpeakersRequest, context) -> pb.ListSpeakersResponse:
        return pb.ListSpeakersResponse(speakers=[known_speaker_to_proto(s) for s in await self._app.list_speakers()])

    async def DeleteSpeaker(self, request: pb.DeleteSpeakerRequest, context) -> pb.DeleteSpeakerResponse:
        await self._app.delete_speaker(request.speaker_id)
        return pb.DeleteSpeakerResponse()
