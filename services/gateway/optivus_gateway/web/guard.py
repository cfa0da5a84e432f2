"""API key and per-key limits for HTTP routes. A browser request from an
origin the gateway does not allow (the same policy as socket.io's,
origins.py) is refused with 403 before anything runs: without it any web
page could make a browser post uploads or speech requests to a local,
open gateway, even though it could not read the answers. Then the key,
`Authorization: Bearer <key>` (401 without a valid one when keys are
configured), then one of
the key's request slots for the whole response, streamed bodies included
(429 with Retry-After when over a limit). Errors the route raises become
OpenAI-shaped error responses."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from ..access import Access, LimitReached, Principal, Unauthorized, bearer
from .errors import ApiError, api_error, error_response

log = logging.getLogger(__name__)

Route = Callable[[Request, Principal], Awaitable[Response]]


class _Releasing:
    """The route's response, sent; the key's slot is released when sending
    ends, however it ends (a streamed body that is never started, because
    the client went away first, included)."""

    def __init__(self, response: Response, slot: contextlib.ExitStack) -> None:
        self._response = response
        self._slot = slot

    async def __call__(self, scope, receive, send) -> None:
        try:
            await self._response(scope, receive, send)
        finally:
            self._slot.close()


def guarded(access: Access, origins, service: str = "gateway"):
    """`origins`: origins.origin_policy(...) ("*" or a callable)."""
    def wrap(route: Route):
        @functools.wraps(route)
        async def endpoint(request: Request) -> Response:
            origin = request.headers.get("origin")
            if origin is not None and origins != "*" and not origins(origin, {"HTTP_HOST": request.headers.get(
                    "host", "")}):
                return error_response(ApiError(403, "requests from this page's origin are not allowed "
                                                    "(OPTIVUS_GATEWAY_CORS_ORIGINS)", "origin_not_allowed"))
            try:
                principal = access.identify(bearer(request.headers.get("authorization")))
            except Unauthorized as exc:
                return error_response(ApiError(401, exc.message, "invalid_api_key",
                                               headers={"WWW-Authenticate": "Bearer"}))
            slot = contextlib.ExitStack()
            try:
                slot.enter_context(access.hold(principal))
            except LimitReached as exc:
                return error_response(ApiError(429, exc.message, "rate_limit_exceeded",
                                               headers={"Retry-After": str(exc.retry_after_s)}))
            try:
                response = await route(request, principal)
            except Exception as exc:  # noqa: BLE001 - every failure becomes an error response
                slot.close()
                error = api_error(exc, service)
                if error.status >= 500 and not isinstance(exc, ApiError):
                    log.error("%s failed", request.url.path, exc_info=exc)
                return error_response(error)
            return _Releasing(response, slot)
        return endpoint
    return wrap
