"""POST /v1/media (an upload: the raw body, with ?filename=, or a
multipart form whose `file` field is the file), GET /v1/media/{id} (what
is known of one of your uploads) and DELETE /v1/media/{id}."""

from __future__ import annotations

from datetime import datetime, timezone

from google.protobuf.json_format import MessageToDict
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..access import Principal
from ..uploads import UploadRecord, Uploads
from .errors import ApiError
from .forms import read_form


def declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    if not value.isdigit():
        raise ApiError(400, "Content-Length must be a whole number", "invalid_content_length")
    return int(value)


def view(record: UploadRecord, uploads: Uploads) -> dict:
    expires = datetime.fromtimestamp(record.created + uploads.ttl_s, timezone.utc)
    return {"media_id": record.media_id, "file": record.media_id,
            "media": MessageToDict(uploads.ref(record), preserving_proto_field_name=True),
            "size_bytes": record.size_bytes, "sha256": record.sha256, "filename": record.filename,
            "mime_type": record.mime_type, "expires_at": expires.isoformat().replace("+00:00", "Z")}


def uploads_of(gateway) -> Uploads:
    if gateway.uploads is None:
        raise ApiError(503, "uploads are not available yet: the gateway is starting", "starting")
    return gateway.uploads


def routes(gateway):
    async def upload(request: Request, principal: Principal) -> JSONResponse:
        uploads = uploads_of(gateway)
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            form = await read_form(request, "file", lambda name, kind: uploads.receiver(principal, name, kind))
            record = await form.receiver.finish()
        else:
            name = request.query_params.get("filename", "")
            record = await uploads.receive(principal, request.stream(), name, content_type, declared_length(request))
        return JSONResponse(view(record, uploads), status_code=201)

    async def show(request: Request, principal: Principal) -> JSONResponse:
        uploads = uploads_of(gateway)
        return JSONResponse(view(await uploads.get(request.path_params["media_id"], principal), uploads))

    async def delete(request: Request, principal: Principal) -> JSONResponse:
        uploads = uploads_of(gateway)
        record = await uploads.get(request.path_params["media_id"], principal)
        await uploads.delete(record)
        return JSONResponse({"media_id": record.media_id, "deleted": True})

    return upload, show, delete
