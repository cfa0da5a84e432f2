"""HTTP errors in the OpenAI error shape, {"error": {"message", "type",
"param", "code"}}, for every /v1 route, and how the gateway's other
errors (domain errors, failed service calls) become one."""

from __future__ import annotations

from starlette.responses import JSONResponse

from optivus_common.errors import OptivusError
from optivus_common.statuses import code_of

from ..envelope import describe_failure, status_for_code

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 413: "invalid_request_error", 429: "rate_limit_exceeded",
          503: "service_unavailable", 500: "server_error"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, param: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param
        self.headers = headers or {}


def error_response(exc: ApiError) -> JSONResponse:
    body = {"error": {"message": exc.message, "type": _TYPES.get(exc.status, "invalid_request_error"),
                      "param": exc.param, "code": exc.code}}
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


def api_error(exc: BaseException, service: str = "gateway") -> ApiError:
    """Any failure as an ApiError (the message never shows server paths
    or tracebacks: describe_failure says only what the service said)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, OptivusError):
        status = int(status_for_code(code_of(exc)))
        if exc.reason in ("UPLOAD_TOO_LARGE",):
            status = 413
        elif exc.reason == "UPLOADS_FULL":
            status = 507
        return ApiError(status, exc.message, exc.reason.lower())
    status, message = describe_failure(exc, service)
    return ApiError(int(status), message)
