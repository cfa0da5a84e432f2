"""The services `optivus run` starts, in start order. A new service adds a
line here (and its extra in pyproject.toml)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocalService:
    name: str
    module: str
    default_port: int
    # Seconds to wait for grpc.health SERVING (model loading included).
    startup_timeout: float = 300.0

    @property
    def env_prefix(self) -> str:
        return f"OPTIVUS_{self.name.upper()}_"

    @property
    def gateway_env(self) -> str:
        return f"OPTIVUS_GATEWAY_{self.name.upper()}_ADDR"


SERVICES: list[LocalService] = [
    LocalService("whisper", "optivus_whisper", 50052),
    LocalService("florence", "optivus_florence", 50053),
    LocalService("fish", "optivus_fish", 50054),
    LocalService("dlp", "optivus_dlp", 50055, startup_timeout=60.0),
]
