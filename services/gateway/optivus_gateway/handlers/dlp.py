"""`dlp`: media metadata and downloads through the DLP service.

Request: {"type": "dlp", "urls": [...], "data_type": "info" | "file"},
optional "format" (a yt-dlp format selector) and "progress": true.
Reply: data echoes the request, with data.data one item per URL in
order: the metadata keys the first server returned (missing ones null)
plus "file" (the server path, null for info) and "url" (and "warning"
when the file could not be stored as asked), or
{"error", "url"} for a URL that failed. With "progress": true, download
progress arrives first as extra `message` events with status "102"."""

from __future__ import annotations

import logging

from google.rpc import status_pb2

from optivus.media.v1 import media_ref_pb2
from optivus.media.v1 import media_service_pb2 as pb
from optivus.media.v1 import media_service_pb2_grpc as pb_grpc

from ..envelope import RequestError, describe_failure, envelope
from .context import Context

log = logging.getLogger(__name__)

DATA_TYPES = ("info", "file")
_SCALARS = ("uploader", "duration", "view_count", "like_count", "dislike_count", "repost_count",
            "average_rating", "comment_count", "age_limit", "media_type", "fulltitle")


def _seconds(d) -> float:
    return round(d.seconds + d.nanos / 1e9, 3)


def metadata(info: pb.MediaInfo) -> dict:
    """MediaInfo as the first server's keys, in its order; unset is None."""
    out = {}
    for name in _SCALARS:
        if not info.HasField(name):
            out[name] = None
        elif name == "duration":
            out[name] = _seconds(info.duration)
        else:
            out[name] = getattr(info, name)
    out["tags"] = list(info.tags) or None
    out["categories"] = list(info.categories) or None
    out["description"] = info.description if info.HasField("description") else None
    return out


def parse(request: dict) -> tuple[list[str], str, bool, str]:
    urls = request.get("urls")
    if urls is None:
        raise RequestError("`urls` is missing: give a list of http(s) URLs")
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise RequestError("`urls` must be a list of strings (http or https URLs)")
    if not urls:
        raise RequestError("`urls` is an empty list: send at least one URL")
    data_type = request.get("data_type")
    if data_type not in DATA_TYPES:
        raise RequestError("`data_type` must be \"info\" (metadata only) or \"file\" (download)")
    progress = request.get("progress", False)
    if not isinstance(progress, bool):
        raise RequestError("`progress` must be true or false")
    fmt = request.get("format", "")
    if not isinstance(fmt, str):
        raise RequestError("`format` must be a string (a yt-dlp format selector)")
    return urls, data_type, progress, fmt


def _sources(urls: list[str]) -> list[media_ref_pb2.MediaRef]:
    return [media_ref_pb2.MediaRef(url=url) for url in urls]


def _error(status: status_pb2.Status, url: str) -> dict:
    return {"error": status.message or "failed", "url": url}


async def _info(ctx: Context, urls: list[str]) -> list[dict]:
    stub = pb_grpc.MediaServiceStub(ctx.backends.channel("dlp"))
    results: list[dict | None] = [None] * len(urls)
    async for reply in stub.GetInfo(pb.GetInfoRequest(sources=_sources(urls)), timeout=ctx.settings.request_timeout_s):
        url = urls[reply.source_index]
        results[reply.source_index] = (_error(reply.error, url) if reply.HasField("error")
                                    else {**metadata(reply.info), "file": None, "url": url})
    return [r or {"error": "no answer for this URL", "url": u} for r, u in zip(results, urls)]


async def _download(ctx: Context, request: dict, urls: list[str], fmt: str, progress: bool) -> list[dict]:
    stub = pb_grpc.MediaServiceStub(ctx.backends.channel("dlp"))
    echo = {k: request[k] for k in ("type", "id") if k in request}
    results: list[dict | None] = [None] * len(urls)
    call = stub.Download(pb.DownloadRequest(sources=_sources(urls), format=fmt),
                         timeout=ctx.settings.request_timeout_s)
    async for reply in call:
        index = reply.source_index
        url = urls[index]
        event = reply.WhichOneof("response")
        if event == "progress":
            if progress:
                p = reply.progress
                await ctx.emit(envelope("102", {**echo, "url": url, "url_index": index,
                                                "downloaded_bytes": p.downloaded_bytes,
                                                "total_bytes": p.total_bytes or None,
                                                "speed": round(p.bytes_per_second, 1) or None,
                                                "eta": _seconds(p.eta) if p.HasField("eta") else None}))
        elif event == "file":
            results[index] = {**metadata(reply.file.info), "file": reply.file.path, "url": url}
            if reply.file.warning:  # e.g. kept on disk because the object store refused it
                results[index]["warning"] = reply.file.warning
        elif event == "error":
            results[index] = _error(reply.error, url)
    return [r or {"error": "no answer for this URL", "url": u} for r, u in zip(results, urls)]


async def handle(request: dict, ctx: Context) -> dict:
    urls, data_type, progress, fmt = parse(request)
    try:
        if data_type == "info":
            results = await _info(ctx, urls)
        else:
            results = await _download(ctx, request, urls, fmt, progress)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a reply
        status, message = describe_failure(exc, "dlp")
        if status == "500":
            log.error("dlp failed", exc_info=exc)
        return envelope(status, {**request, "error": message})
    return envelope("200", {**request, "data": results})
