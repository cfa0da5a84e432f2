"""Prometheus metrics every service shares, and the HTTP server that
exposes them (GET /metrics on OPTIVUS_METRICS_PORT, a port of its own so
that the gateway's public port never serves them).

What is here is recorded by shared code: gRPC calls (grpc_metrics), the
pipeline's stage workers (jobs.stage_worker), jobs, model loading
(server.serve) and GPU memory. Services add what only they know (media
seconds, frames) through observe_media() and FRAMES. Names and labels are
the dashboard's (deploy/helm/optivus/dashboards/optivus.json; a test checks
that every metric it queries exists)."""

from __future__ import annotations

import logging
import sys

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

# Seconds: from a health-check-sized call to an hour-long video.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
# Wall seconds per second of media: below 1 is faster than real time.
REALTIME_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5, 10)

# gRPC servers (grpc_metrics.MetricsInterceptor). Health and reflection are not counted.
GRPC_LABELS = ["grpc_service", "grpc_method"]
GRPC_STARTED = Counter("optivus_grpc_server_started", "gRPC calls started", GRPC_LABELS)
GRPC_HANDLED = Counter("optivus_grpc_server_handled", "gRPC calls ended, by canonical code",
                       [*GRPC_LABELS, "grpc_code"])
GRPC_ERRORS = Counter("optivus_grpc_server_errors", "gRPC calls that ended with an error, by code and "
                      "ErrorInfo reason", [*GRPC_LABELS, "grpc_code", "reason"])
GRPC_SECONDS = Histogram("optivus_grpc_server_handling_seconds", "gRPC call duration, until the last "
                         "streamed response", GRPC_LABELS, buckets=LATENCY_BUCKETS)
GRPC_IN_FLIGHT = Gauge("optivus_grpc_server_in_flight", "gRPC calls being served", GRPC_LABELS)

# Pipeline stages (jobs.stage_worker), per stage: download, transcribe, describe, index.
STAGE_DELIVERIES = Counter("optivus_stage_deliveries", "Stage work messages received (redeliveries included)",
                           ["stage"])
STAGE_REDELIVERIES = Counter("optivus_stage_redeliveries", "Stage work messages received again (a retry, or "
                             "a worker that stopped before acknowledging)", ["stage"])
STAGE_OUTCOMES = Counter("optivus_stage_outcomes", "How handled stage work ended: succeeded, failed, retried, "
                         "cancelled, handed_back (shutdown), duplicate (already ended) or dropped", ["stage", "outcome"])
STAGE_ERRORS = Counter("optivus_stage_errors", "Stage failures and retries, by ErrorInfo reason",
                       ["stage", "reason"])
STAGE_SECONDS = Histogram("optivus_stage_seconds", "Time a stage's handler ran", ["stage"], buckets=LATENCY_BUCKETS)
STAGE_QUEUE_WAIT = Histogram("optivus_stage_queue_wait_seconds", "Time from publishing a stage's work to its "
                             "first delivery", ["stage"], buckets=LATENCY_BUCKETS)
STAGE_IN_FLIGHT = Gauge("optivus_stage_in_flight", "Stage work running in this process", ["stage"])
CONSUMER_PENDING = Gauge("optivus_stage_consumer_pending", "Work on the stage's durable consumer not yet "
                         "delivered (the lag KEDA scales on)", ["stage"])
CONSUMER_ACK_PENDING = Gauge("optivus_stage_consumer_ack_pending", "Work delivered to some worker and not yet "
                             "acknowledged", ["stage"])
CONSUMER_REDELIVERED = Gauge("optivus_stage_consumer_redelivered", "Work the consumer is redelivering", ["stage"])

JOBS_SUBMITTED = Counter("optivus_jobs_submitted", "Pipeline jobs created")
JOBS_FINISHED = Counter("optivus_jobs_finished", "Pipeline jobs ended, by state", ["state"])

# Work only the services know: seconds of audio or video processed and the
# wall time it took (their ratio is the real-time factor), and video frames.
MEDIA_SECONDS = Counter("optivus_media_seconds", "Seconds of media processed", ["operation"])
PROCESSING_SECONDS = Counter("optivus_processing_seconds", "Wall seconds spent processing media", ["operation"])
REALTIME_FACTOR = Histogram("optivus_realtime_factor", "Wall seconds per second of media, per request (below "
                            "1: faster than real time)", ["operation"], buckets=REALTIME_BUCKETS)
FRAMES = Counter("optivus_frames", "Video frames decoded, sampled for scene changes, and described by the model",
                 ["operation", "kind"])

MODEL_LOAD_SECONDS = Gauge("optivus_model_load_seconds", "How long loading the service's model took at start")


def observe_media(operation: str, media_seconds: float, wall_seconds: float) -> None:
    """One request's media time and wall time (e.g. "transcribe", 60 s of
    audio in 6 s: a real-time factor of 0.1)."""
    if media_seconds <= 0:
        return
    MEDIA_SECONDS.labels(operation).inc(media_seconds)
    PROCESSING_SECONDS.labels(operation).inc(max(0.0, wall_seconds))
    REALTIME_FACTOR.labels(operation).observe(max(0.0, wall_seconds) / media_seconds)


class GpuMemoryCollector:
    """GPU memory when a GPU is present: each visible device's used and total
    memory from NVML (any framework: CTranslate2, torch, ONNX Runtime), and
    torch's own allocator when this process has initialised CUDA. Reports
    nothing on a machine without an NVIDIA driver."""

    def __init__(self) -> None:
        self._nvml = None  # the pynvml module once initialised; False when it cannot be

    def _nvml_module(self):
        if self._nvml is None:
            try:
                import pynvml

                pynvml.nvmlInit()
                self._nvml = pynvml
            except Exception:  # noqa: BLE001 - no driver, no GPU: nothing to report, ever
                self._nvml = False
        return self._nvml or None

    def collect(self):
        used = GaugeMetricFamily("optivus_gpu_memory_used_bytes", "GPU memory in use on the device (NVML)",
                                 labels=["gpu"])
        total = GaugeMetricFamily("optivus_gpu_memory_total_bytes", "GPU memory of the device (NVML)",
                                  labels=["gpu"])
        nvml = self._nvml_module()
        if nvml is not None:
            try:
                for index in range(nvml.nvmlDeviceGetCount()):
                    info = nvml.nvmlDeviceGetMemoryInfo(nvml.nvmlDeviceGetHandleByIndex(index))
                    used.add_metric([str(index)], float(info.used))
                    total.add_metric([str(index)], float(info.total))
            except Exception:  # noqa: BLE001 - a scrape never fails for the GPU's sake
                log.debug("NVML query failed", exc_info=True)
        yield used
        yield total
        allocated = GaugeMetricFamily("optivus_torch_cuda_allocated_bytes", "Memory held by torch tensors on the "
                                      "device", labels=["gpu"])
        reserved = GaugeMetricFamily("optivus_torch_cuda_reserved_bytes", "Memory torch's caching allocator "
                                     "holds on the device", labels=["gpu"])
        torch = sys.modules.get("torch")  # never imported for this: only when the service uses it
        if torch is not None:
            try:
                if torch.cuda.is_initialized():
                    for index in range(torch.cuda.device_count()):
                        allocated.add_metric([str(index)], float(torch.cuda.memory_allocated(index)))
                        reserved.add_metric([str(index)], float(torch.cuda.memory_reserved(index)))
            except Exception:  # noqa: BLE001
                log.debug("torch CUDA query failed", exc_info=True)
        yield allocated
        yield reserved


_gpu_collector: GpuMemoryCollector | None = None


def register_gpu_collector() -> None:
    global _gpu_collector
    if _gpu_collector is None:
        _gpu_collector = GpuMemoryCollector()
        REGISTRY.register(_gpu_collector)


class MetricsServer:
    def __init__(self, server, thread) -> None:
        self._server, self._thread = server, thread
        self.port = server.server_address[1]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve_metrics(host: str, port: int) -> MetricsServer | None:
    """Serves GET /metrics on host:port in a thread of its own (it answers
    even while the event loop is busy). Port 0: no metrics server. A port
    that cannot be bound is logged and the service runs without metrics."""
    if not port:
        return None
    register_gpu_collector()
    try:
        server, thread = start_http_server(port, addr=host or "0.0.0.0")
    except OSError as exc:
        log.error("metrics not served: cannot listen on %s:%s (%s); set OPTIVUS_METRICS_PORT to a free port, "
                  "or 0 for none", host, port, exc)
        return None
    log.info("metrics served", extra={"url": f"http://{host}:{port}/metrics"})
    return MetricsServer(server, thread)
