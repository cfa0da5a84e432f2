"""Which browser origins may open a socket.io connection to the gateway.

By default only the gateway's own origin and pages served from this
machine (localhost, 127.0.0.1, [::1]) may: a web page on another site that
a developer happens to open must not be able to drive a local gateway.
OPTIVUS_GATEWAY_CORS_ORIGINS adds origins ("https://app.example.com,
https://other.example"), or "*" allows any. Programs that send no Origin
header (python-socketio, grpcurl-like tools) are not concerned."""

from __future__ import annotations

import urllib.parse

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _normal(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def origin_policy(setting: str):
    """cors_allowed_origins for python-socketio: "*" or a callable."""
    if setting.strip() == "*":
        return "*"
    extra = {_normal(o) for o in setting.split(",") if o.strip()}

    def allowed(origin: str | None, environ: dict | None = None) -> bool:
        if not origin:
            return False
        normal = _normal(origin)
        if normal in extra:
            return True
        try:
            parts = urllib.parse.urlsplit(normal)
            host = parts.hostname
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not host:
            return False
        if host in LOCAL_HOSTS:
            return True
        if environ is not None:  # the gateway's own origin, as the browser reached it
            own = environ.get("HTTP_HOST", "").lower()
            return bool(own) and parts.netloc == own
        return False

    return allowed
