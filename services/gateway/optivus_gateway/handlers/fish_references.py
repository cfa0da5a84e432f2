"""`fish_references`: the fish service's saved voices (saving one is the
`fish` message with `reference_audio`).

{"type": "fish_references"} or "action": "list" answers data.references,
oldest first: [{"reference_id", "name", "text", "duration",
"created"}]. {"action": "delete", "reference_id": "<32 hex>"} deletes
one (data.deleted = true; "404" when there is none with that id)."""

from __future__ import annotations

from optivus.tts.v1 import tts_service_pb2 as pb
from optivus.tts.v1 import tts_service_pb2_grpc as pb_grpc

from ..envelope import RequestError, describe_failure, echo_of, envelope
from .context import Context
from .options import option

ACTIONS = ("list", "delete")


def reference_view(ref: pb.Reference) -> dict:
    return {"reference_id": ref.reference_id, "name": ref.display_name, "text": ref.text,
            "duration": round(ref.duration.seconds + ref.duration.nanos / 1e9, 3),
            "created": ref.create_time.ToDatetime().isoformat() + "Z" if ref.HasField("create_time") else None}


async def handle(request: dict, ctx: Context) -> dict:
    echo = echo_of(request)
    try:
        stub = pb_grpc.TtsServiceStub(ctx.backends.channel("fish"))  # 503 when fish is not deployed
        action = option(request, {}, "action", str) or "list"
        if action not in ACTIONS:
            raise RequestError("`action` must be \"list\" or \"delete\"")
        if action == "list":
            reply = await stub.ListReferences(pb.ListReferencesRequest(), timeout=ctx.settings.request_timeout_s)
            return envelope("200", {**echo, "references": [reference_view(r) for r in reply.references]})
        reference_id = request.get("reference_id")
        if not isinstance(reference_id, str) or not reference_id:
            raise RequestError("`reference_id` is missing: the id of the reference to delete")
        await stub.DeleteReference(pb.DeleteReferenceRequest(reference_id=reference_id),
                                   timeout=ctx.settings.request_timeout_s)
        return envelope("200", {**echo, "deleted": True})
    except Exception as exc:  # noqa: BLE001 - every failure becomes a reply
        status, message = describe_failure(exc, "fish")
        return envelope(status, {**echo, "error": message})
