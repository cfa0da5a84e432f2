"""The browser page: GET / and its files under /static/ (plain HTML, one
script, one style sheet; no build step). They are public: the page asks
for an API key and sends it with each call."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

FILES = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
         "style.css": "text/css; charset=utf-8"}
# The page talks to this origin only (socket.io, uploads, the audio API).
CSP = ("default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob:; img-src 'self' blob: data:; "
       "style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'")


def _read(name: str) -> bytes:
    return resources.files("optivus_gateway").joinpath("static", name).read_bytes()


async def index(request: Request) -> Response:
    return _file("index.html")


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in FILES:  # a fixed list: no client text ever reaches a path
        return Response(b"not found", status_code=404, media_type="text/plain")
    return _file(name)


def _file(name: str) -> Response:
    return Response(_read(name), media_type=FILES[name],
                    headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                             "Cache-Control": "no-cache"})
