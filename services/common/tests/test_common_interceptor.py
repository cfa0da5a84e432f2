"""ErrorInterceptor on a real grpc.aio server: domain errors keep their code
and reason, unexpected errors become a bare INTERNAL."""

import asyncio

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc
from optivus_common import errors
from optivus_common.server import Registration, start_server
from optivus_common.settings import CommonSettings

RAISES = {
    "invalid": errors.InvalidArgument("bad audio", reason="AUDIO_BAD", size=3),
    "missing": errors.NotFound("no such thing"),
    "denied": errors.PermissionDenied("no"),
    "precondition": errors.FailedPrecondition("not yet", reason="NOT_INDEXED"),
    "exhausted": errors.ResourceExhausted("too long", reason="AUDIO_TOO_LONG"),
    "unavailable": errors.Unavailable("loading", reason="MODEL_NOT_LOADED"),
    "timeout": asyncio.TimeoutError(),
    "bug": ZeroDivisionError("secret detail /etc/shadow"),
}


class Raising(pb_grpc.SpeechServiceServicer):
    async def Transcribe(self, request, context):
        yield pb.TranscribeResponse(segment=pb.Segment(text="first"))
        raise RAISES[request.config.language_code]


@pytest.fixture
async def stub():
    running = await start_server(CommonSettings(), [Registration(
        pb_grpc.add_SpeechServiceServicer_to_server, Raising(), "optivus.speech.v1.SpeechService")],
        domain="test.optivus", address="127.0.0.1:0")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield pb_grpc.SpeechServiceStub(channel)
    await running.stop(None)


def details(err):
    for key, value in err.trailing_metadata():
        if key == rpc_status.GRPC_DETAILS_METADATA_KEY:
            return status_pb2.Status.FromString(value)
    return None


@pytest.mark.parametrize("kind, code, reason", [
    ("invalid", grpc.StatusCode.INVALID_ARGUMENT, "AUDIO_BAD"),
    ("missing", grpc.StatusCode.NOT_FOUND, "NOT_FOUND"),
    ("denied", grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED"),
    ("precondition", grpc.StatusCode.FAILED_PRECONDITION, "NOT_INDEXED"),
    ("exhausted", grpc.StatusCode.RESOURCE_EXHAUSTED, "AUDIO_TOO_LONG"),
    ("unavailable", grpc.StatusCode.UNAVAILABLE, "MODEL_NOT_LOADED"),
    ("timeout", grpc.StatusCode.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"),
    ("bug", grpc.StatusCode.INTERNAL, "INTERNAL"),
])
async def test_codes_and_error_info(stub, kind, code, reason):
    call = stub.Transcribe(pb.TranscribeRequest(config=pb.RecognitionConfig(language_code=kind)))
    first = await call.read()
    assert first.segment.text == "first"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call.read()
    assert err.value.code() == code
    status = details(err.value)
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    assert (info.reason, info.domain) == (reason, "test.optivus")
    if kind == "invalid":
        assert dict(info.metadata) == {"size": "3"}
        assert err.value.details() == "bad audio"
    if kind == "bug":
        assert err.value.details() == "internal error"


async def test_unimplemented_methods_say_so(stub):
    async def requests():
        yield pb.StreamingTranscribeRequest()

    with pytest.raises(grpc.aio.AioRpcError) as err:
        [r async for r in stub.StreamingTranscribe(requests())]
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
