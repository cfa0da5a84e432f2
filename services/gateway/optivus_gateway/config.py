from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, create_model

from optivus_common.registry import GATEWAY, SERVICES
from optivus_common.settings import CommonSettings


class _GatewayBase(CommonSettings):
    service_name: str = "optivus-gateway"
    host: str = Field("127.0.0.1", validation_alias="OPTIVUS_GATEWAY_HOST")
    port: int = Field(GATEWAY.default_port, validation_alias="OPTIVUS_GATEWAY_PORT")
    # gRPC (JobService, health, reflection); served only with OPTIVUS_NATS_URL set.
    grpc_port: int = Field(50051, validation_alias="OPTIVUS_GATEWAY_GRPC_PORT")
    # Inputs (URLs or files) one job may have.
    max_job_inputs: int = Field(32, ge=1, validation_alias="OPTIVUS_GATEWAY_MAX_JOB_INPUTS")
    # While relaying a job's events, how often a silent job's record is
    # looked at (so a watch of a job whose events expired still ends).
    job_idle_check_s: float = Field(30.0, gt=0, validation_alias="OPTIVUS_GATEWAY_JOB_IDLE_CHECK_S")
    # Longest a single request may take end to end.
    request_timeout_s: float = Field(3600.0, gt=0, validation_alias="OPTIVUS_GATEWAY_REQUEST_TIMEOUT_S")
    # Items of one batch request (`data: [...]`) processed at once, and the
    # most items one batch may hold (larger batches are refused whole).
    batch_concurrency: int = Field(4, ge=1, validation_alias="OPTIVUS_GATEWAY_BATCH_CONCURRENCY")
    max_batch_items: int = Field(100, ge=1, validation_alias="OPTIVUS_GATEWAY_MAX_BATCH_ITEMS")
    # Requests one socket.io connection may have in flight; more are
    # answered "429" at once.
    max_inflight_per_connection: int = Field(8, ge=1, validation_alias="OPTIVUS_GATEWAY_MAX_INFLIGHT_PER_CONNECTION")
    # Browser origins allowed besides the gateway's own and localhost, comma
    # separated; "*" allows any (see origins.py).
    cors_allowed_origins: str = Field("", validation_alias="OPTIVUS_GATEWAY_CORS_ORIGINS")
    # Largest socket.io message accepted, in MB (its binary attachments
    # included), and the most binary attachments one message may carry.
    max_message_mb: int = Field(16, ge=1, validation_alias="OPTIVUS_GATEWAY_MAX_MESSAGE_MB")
    max_attachments: int = Field(16, ge=0, validation_alias="OPTIVUS_GATEWAY_MAX_ATTACHMENTS")
    # `fish` replies carry the samples (audio_data) up to this many seconds
    # of audio; longer audio is only in the WAV named by `fish`. 15 s at
    # 44.1 kHz is already 660k floats (about 5 MB of JSON) in one message.
    fish_audio_data_max_s: float = Field(15.0, ge=0, validation_alias="OPTIVUS_GATEWAY_FISH_AUDIO_DATA_MAX_S")
    # API keys (access.py): comma separated in the setting, and/or one per
    # line in a mounted file. None at all: the gateway is open (local use).
    api_keys: SecretStr = Field(SecretStr(""), validation_alias="OPTIVUS_GATEWAY_API_KEYS")
    api_keys_file: Path | None = Field(None, validation_alias="OPTIVUS_GATEWAY_API_KEYS_FILE")
    # Per key (or, when open, for all callers together): requests in flight
    # over socket.io, HTTP and gRPC together, and requests started per
    # minute (0: no rate limit).
    key_max_concurrent: int = Field(64, ge=1, validation_alias="OPTIVUS_GATEWAY_KEY_MAX_CONCURRENT")
    key_rate_per_minute: int = Field(600, ge=0, validation_alias="OPTIVUS_GATEWAY_KEY_RATE_PER_MINUTE")
    # Uploads (POST /v1/media, UploadService, the OpenAI API's files):
    # largest file, how long an upload lives, and the most the local
    # upload folder may hold (without NATS; the blob bucket has its own).
    upload_max_mb: float = Field(512.0, gt=0, validation_alias="OPTIVUS_GATEWAY_UPLOAD_MAX_MB")
    upload_ttl_hours: float = Field(24.0, gt=0, validation_alias="OPTIVUS_GATEWAY_UPLOAD_TTL_HOURS")
    uploads_max_mb: float = Field(10240.0, gt=0, validation_alias="OPTIVUS_GATEWAY_UPLOADS_MAX_MB")

    @property
    def uploads_dir(self) -> Path:
        """The gateway's own upload folder, under the data folder (a media
        root), so the services read uploads by path."""
        return self.data_dir / "uploads"

    def address(self, service: str) -> str:
        return getattr(self, f"{service}_addr")


# gRPC address of each service (OPTIVUS_GATEWAY_<NAME>_ADDR), one per
# registry entry: a built service defaults to its port on loopback, one
# not built yet to empty. Empty means not deployed: its message types
# answer 503. In Kubernetes: dns:///<service>:<port> with a headless Service.
GatewaySettings = create_model(
    "GatewaySettings",
    __base__=_GatewayBase,
    __module__=__name__,
    **{f"{spec.name}_addr": (str, Field(f"127.0.0.1:{spec.default_port}" if spec.built else "",
                                        validation_alias=spec.gateway_addr_env))
       for spec in SERVICES},
)
