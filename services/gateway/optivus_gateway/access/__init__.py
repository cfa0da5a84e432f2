"""Who may call the gateway (API keys) and how much (per-key limits), the
same for socket.io, HTTP and gRPC."""

from __future__ import annotations

from ..config import GatewaySettings
from .keys import ApiKeys, Principal, Unauthorized, bearer
from .limits import LimitReached, Limits

__all__ = ["Access", "LimitReached", "Principal", "Unauthorized", "bearer"]


class Access:
    def __init__(self, settings: GatewaySettings) -> None:
        self.keys = ApiKeys.load(settings.api_keys.get_secret_value(), settings.api_keys_file,
                                 settings.key_max_concurrent, settings.key_rate_per_minute)
        self.limits = Limits()

    def identify(self, token: str | None) -> Principal:
        return self.keys.identify(token)

    def hold(self, principal: Principal):
        return self.limits.hold(principal)
