"""`whisp_speakers`: the whisper service's known speakers, the voices a
diarized transcript (`whisp` with `diarize`) labels by name.

{"type": "whisp_speakers"} or "action": "list" answers data.speakers,
oldest first: [{"speaker_id", "name", "duration"}].
{"action": "enroll", "name": "Alice", "file": path or media id, or
"audio": bytes} enrols 2 to 60 s of one voice (data.speaker).
{"action": "delete", "speaker_id": "<32 hex>"} deletes one (data.deleted
= true; "404" when there is none with that id)."""

from __future__ import annotations

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc

from ..envelope import RequestError, describe_failure, echo_of, envelope
from ..uploads import file_ref
from .context import Context
from .options import option

ACTIONS = ("list", "enroll", "delete")
MAX_NAME = 64


def speaker_view(speaker: pb.KnownSpeaker) -> dict:
    return {"speaker_id": speaker.speaker_id, "name": speaker.name,
            "duration": round(speaker.duration.seconds + speaker.duration.nanos / 1e9, 3)}


def _audio(request: dict) -> media_ref_pb2.MediaRef:
    audio, path = request.get("audio"), request.get("file")
    if audio is not None and path is not None:
        raise RequestError("give `file` or `audio`, not both")
    if isinstance(audio, (bytes, bytearray)) and audio:
        return media_ref_pb2.MediaRef(content=bytes(audio))
    if isinstance(path, str) and path:
        return file_ref(path)
    raise RequestError("`file` (a path on the server or a media id) or `audio` (the bytes) is missing: "
                       "2 to 60 s of the speaker alone")


async def handle(request: dict, ctx: Context) -> dict:
    echo = echo_of(request)
    timeout = ctx.settings.request_timeout_s
    try:
        stub = pb_grpc.SpeechServiceStub(ctx.backends.channel("whisper"))  # 503 when whisper is not deployed
        action = option(request, {}, "action", str) or "list"
        if action not in ACTIONS:
            raise RequestError("`action` must be \"list\", \"enroll\" or \"delete\"")
        if action == "list":
            reply = await stub.ListSpeakers(pb.ListSpeakersRequest(), timeout=timeout)
            return envelope("200", {**echo, "speakers": [speaker_view(s) for s in reply.speakers]})
        if action == "enroll":
            name = request.get("name")
            if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
                raise RequestError(f"`name` is missing or longer than {MAX_NAME} characters")
            reply = await stub.EnrollSpeaker(pb.EnrollSpeakerRequest(audio=_audio(request), name=name),
                                             timeout=timeout)
            return envelope("200", {**echo, "speaker": speaker_view(reply.speaker)})
        speaker_id = request.get("speaker_id")
        if not isinstance(speaker_id, str) or not speaker_id:
            raise RequestError("`speaker_id` is missing: the id of the speaker to delete")
        await stub.DeleteSpeaker(pb.DeleteSpeakerRequest(speaker_id=speaker_id), timeout=timeout)
        return envelope("200", {**echo, "deleted": True})
    except Exception as exc:  # noqa: BLE001 - every failure becomes a reply
        status, message = describe_failure(exc, "whisper")
        return envelope(status, {**echo, "error": message})
