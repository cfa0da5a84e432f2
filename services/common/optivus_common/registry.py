"""The one list of Optivus components. The gateway (which services it
calls), the local launcher (what `optivus run` starts), the tests and the
Helm chart's test all read it: adding a service is one entry here, plus
its package, its extra and its chart block."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    # Short name: the folder services/<name>, the chart's values block, the
    # gateway's OPTIVUS_GATEWAY_<NAME>_ADDR, `optivus run`'s logs.
    name: str
    # The Python package; `python -m <package>` runs it.
    package: str
    # pyproject.toml extra its container installs.
    extra: str
    default_port: int
    # Full gRPC service name, for health and reflection ("" for the gateway).
    grpc_service: str = ""
    # ErrorInfo domain of its errors (AIP-193).
    domain: str = ""
    # False: designed (protos, chart block) but not implemented; it is off
    # in the chart, not started by `optivus run` and answers 503.
    built: bool = True
    # Seconds `optivus run` and the tests wait for it to report SERVING
    # (model loading included).
    startup_timeout_s: float = 300.0
    # The pipeline stage its JetStream worker serves ("" for none): it pulls
    # optivus.work.<stage> through the durable consumer named after the
    # service (optivus_common.jobs.names), which KEDA scales on.
    stage: str = ""

    @property
    def settings_prefix(self) -> str:
        """Prefix of its own settings, e.g. OPTIVUS_WHISPER_ (HOST, PORT, ...)."""
        return f"OPTIVUS_{self.name.upper()}_"

    @property
    def gateway_addr_env(self) -> str:
        """The gateway setting holding this service's gRPC address."""
        return f"OPTIVUS_GATEWAY_{self.name.upper()}_ADDR"


WHISPER = ServiceSpec("whisper", "optivus_whisper", "whisper", 50052,
                      "optivus.speech.v1.SpeechService", "speech.optivus", stage="transcribe")
FLORENCE = ServiceSpec("florence", "optivus_florence", "florence", 50053,
                       "optivus.vision.v1.VisionService", "vision.optivus", stage="describe")
FISH = ServiceSpec("fish", "optivus_fish", "fish", 50054, "optivus.tts.v1.TtsService", "tts.optivus")
DLP = ServiceSpec("dlp", "optivus_dlp", "dlp", 50055, "optivus.media.v1.MediaService", "media.optivus",
                  startup_timeout_s=60.0, stage="download")
VIDEORAG = ServiceSpec("videorag", "optivus_videorag", "videorag", 50056,
                       "optivus.videorag.v1.VideoRagService", "videorag.optivus", stage="index")
# The gateway: socket.io and HTTP on its port; JobService on OPTIVUS_GATEWAY_GRPC_PORT.
GATEWAY = ServiceSpec("gateway", "optivus_gateway", "gateway", 5000, "optivus.gateway.v1.JobService",
                      domain="gateway.optivus", startup_timeout_s=60.0)

# The gRPC services behind the gateway, in start order.
SERVICES: tuple[ServiceSpec, ...] = (WHISPER, FLORENCE, FISH, DLP, VIDEORAG)


def service(name: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown service {name!r}; known: {', '.join(s.name for s in SERVICES)}")


def stage_service(stage: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.stage == stage:
            return spec
    raise KeyError(f"no service serves the {stage!r} stage")


def built_services() -> list[ServiceSpec]:
    return [spec for spec in SERVICES if spec.built]
