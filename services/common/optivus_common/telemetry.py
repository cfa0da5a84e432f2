"""OpenTelemetry wiring. Spans are created by the gRPC interceptors and
exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set (the OTel SDK reads
that and OTEL_SERVICE_NAME itself)."""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor, filters
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_configured = False


def configure_tracing(service_name: str) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)})
    provider = TracerProvider(resource=resource)
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def _not_health():
    return filters.negate(filters.health_check())


def server_interceptor():
    return aio_server_interceptor(filter_=_not_health())


def client_interceptors():
    return aio_client_interceptors(filter_=_not_health())
