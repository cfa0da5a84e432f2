"""Media ids in socket.io requests. Before a message is handled, every
media id it names (`file`, `files`, `data[].file`, `reference_audio`,
`references[].audio`) is looked up for the caller (404 when it is not
theirs or has expired); handlers then build each MediaRef with
`file_ref(value)`, which gives the upload's blob key or path for a media
id and a plain path for anything else. The lookups are kept in a context
variable for the message's task (and the tasks it starts, e.g. a batch's
items), so a handler needs no extra argument."""

from __future__ import annotations

import contextvars

from optivus.media.v1 import media_ref_pb2
from optivus_common.errors import Unavailable

from ..access import Principal
from .records import is_media_id
from .store import Uploads

_resolved: contextvars.ContextVar[dict[str, media_ref_pb2.MediaRef]] = contextvars.ContextVar("media", default={})
MAX_IDS = 256


def _named(request: dict) -> list[str]:
    found = []

    def take(value) -> None:
        if is_media_id(value):
            found.append(value)

    for key in ("file", "reference_audio"):
        take(request.get(key))
    files = request.get("files")
    if isinstance(files, list):
        for value in files:
            take(value)
    for key, field in (("data", "file"), ("references", "audio")):
        items = request.get(key)
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict):
                    take(item.get(field))
    return found


async def resolve_media(request: object, uploads: Uploads | None, principal: Principal) -> None:
    """Looks up the media ids `request` names (raises NotFound,
    InvalidArgument) and makes them what file_ref returns."""
    if not isinstance(request, dict):
        return
    ids = list(dict.fromkeys(_named(request)))[:MAX_IDS]
    if not ids:
        return
    if uploads is None:
        raise Unavailable("uploads are not available on this server", reason="UPLOADS_UNAVAILABLE")
    refs = {}
    for media_id in ids:
        refs[media_id] = uploads.ref(await uploads.get(media_id, principal))
    _resolved.set(refs)


def file_ref(value: str) -> media_ref_pb2.MediaRef:
    """The MediaRef for a request's `file` (a media id or a server path)."""
    ref = _resolved.get().get(value)
    if ref is not None:
        out = media_ref_pb2.MediaRef()
        out.CopyFrom(ref)
        return out
    return media_ref_pb2.MediaRef(path=value)
