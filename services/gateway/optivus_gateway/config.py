from __future__ import annotations

from pydantic import Field

from optivus_common.settings import CommonSettings


class GatewaySettings(CommonSettings):
    service_name: str = "optivus-gateway"
    host: str = Field("0.0.0.0", validation_alias="OPTIVUS_GATEWAY_HOST")
    port: int = Field(5000, validation_alias="OPTIVUS_GATEWAY_PORT")
    # gRPC addresses of the services; an empty address means the service is
    # not deployed and its message type answers 503. In Kubernetes use
    # dns:///<service>:<port> with a headless Service.
    whisper_addr: str = Field("127.0.0.1:50052", validation_alias="OPTIVUS_GATEWAY_WHISPER_ADDR")
    florence_addr: str = Field("", validation_alias="OPTIVUS_GATEWAY_FLORENCE_ADDR")
    fish_addr: str = Field("", validation_alias="OPTIVUS_GATEWAY_FISH_ADDR")
    dlp_addr: str = Field("", validation_alias="OPTIVUS_GATEWAY_DLP_ADDR")
    videorag_addr: str = Field("", validation_alias="OPTIVUS_GATEWAY_VIDEORAG_ADDR")
    # Longest a single request may take end to end.
    request_timeout_s: float = Field(3600.0, gt=0, validation_alias="OPTIVUS_GATEWAY_REQUEST_TIMEOUT_S")
    # Items of one batch request (`data: [...]`) processed at once.
    batch_concurrency: int = Field(4, ge=1, validation_alias="OPTIVUS_GATEWAY_BATCH_CONCURRENCY")
    cors_allowed_origins: str = Field("*", validation_alias="OPTIVUS_GATEWAY_CORS_ORIGINS")
    # Largest socket.io message accepted, in MB.
    max_message_mb: int = Field(16, ge=1, validation_alias="OPTIVUS_GATEWAY_MAX_MESSAGE_MB")
    # `fish` replies carry the samples (audio_data) up to this many seconds
    # of audio; longer audio is only in the WAV named by `fish`. 15 s at
    # 44.1 kHz is already 660k floats (about 5 MB of JSON) in one message.
    fish_audio_data_max_s: float = Field(15.0, ge=0, validation_alias="OPTIVUS_GATEWAY_FISH_AUDIO_DATA_MAX_S")
