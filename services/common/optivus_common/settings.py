"""Settings every service reads. Each service subclasses CommonSettings and
adds its own fields; every field names its environment variable in full
(validation_alias), so the README and the code say the same names."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated


def env(name: str, *more: str):
    """validation_alias for a field read from `name` (or older names)."""
    return AliasChoices(name, *more) if more else name


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    data_dir: Path = Field(Path("data"), validation_alias=env("OPTIVUS_DATA_DIR"))
    # The seed's variables: where downloaded videos and generated audio go.
    path_video: Path = Field(Path("data/videos"), validation_alias=env("PATH_VIDEO"))
    fs_path: Path = Field(Path("data/fs_audio"), validation_alias=env("FS_PATH"))
    # Extra folders clients may name in `file` / MediaRef.path, separated by
    # ":" or ",". The data dir, PATH_VIDEO and FS_PATH are always included.
    media_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, validation_alias=env("OPTIVUS_MEDIA_ROOTS")
    )
    model_cache: Path = Field(Path("data/models"), validation_alias=env("OPTIVUS_MODEL_CACHE"))
    nats_url: str = Field("", validation_alias=env("OPTIVUS_NATS_URL"))
    # NATS credentials (the chart takes them from a Secret); empty: none.
    nats_user: str = Field("", validation_alias=env("OPTIVUS_NATS_USER"))
    nats_password: SecretStr = Field(SecretStr(""), validation_alias=env("OPTIVUS_NATS_PASSWORD"))
    blob_bucket: str = Field("optivus-media", validation_alias=env("OPTIVUS_BLOB_BUCKET"))
    # The bucket's limits (0: none): objects expire after the TTL, and puts
    # that would take it over the size are refused.
    blob_ttl_hours: float = Field(24.0, ge=0, validation_alias=env("OPTIVUS_BLOB_TTL_HOURS"))
    blob_max_mb: float = Field(10240.0, ge=0, validation_alias=env("OPTIVUS_BLOB_MAX_MB"))
    grpc_max_message_mb: int = Field(64, validation_alias=env("OPTIVUS_GRPC_MAX_MESSAGE_MB"))
    # Calls one process serves at once; more are refused with
    # RESOURCE_EXHAUSTED instead of queueing without bound. 0: no cap.
    grpc_max_concurrent_rpcs: int = Field(64, ge=0, validation_alias=env("OPTIVUS_GRPC_MAX_CONCURRENT_RPCS"))
    shutdown_grace_s: float = Field(20.0, validation_alias=env("OPTIVUS_SHUTDOWN_GRACE_S"))
    # Pipeline work (with OPTIVUS_NATS_URL): a stage not heard from for this
    # long is given to another worker; a stage is tried at most this often.
    work_ack_wait_s: float = Field(30.0, gt=0, validation_alias=env("OPTIVUS_WORK_ACK_WAIT_S"))
    work_max_deliver: int = Field(5, ge=1, validation_alias=env("OPTIVUS_WORK_MAX_DELIVER"))
    log_level: str = Field("INFO", validation_alias=env("OPTIVUS_LOG_LEVEL"))
    # Prometheus metrics (GET /metrics) on this port, on the service's own
    # host; 0: none. `optivus run` gives each process a port of its own.
    metrics_port: int = Field(9464, ge=0, le=65535, validation_alias=env("OPTIVUS_METRICS_PORT"))
    service_name: str = "optivus"

    @field_validator("media_roots", mode="before")
    @classmethod
    def _split_roots(cls, value):
        if isinstance(value, str):
            return [p for p in value.replace(",", ":").split(":") if p.strip()]
        return value

    @property
    def allowed_roots(self) -> list[Path]:
        """Folders a client may name, resolved (symlinks followed)."""
        roots = [self.data_dir, self.path_video, self.fs_path, *self.media_roots]
        seen: list[Path] = []
        for root in roots:
            resolved = root.expanduser().resolve()
            if resolved not in seen:
                seen.append(resolved)
        return seen

    @property
    def grpc_options(self) -> list[tuple[str, int]]:
        size = self.grpc_max_message_mb * 1024 * 1024
        return [
            ("grpc.max_send_message_length", size),
            ("grpc.max_receive_message_length", size),
        ]
