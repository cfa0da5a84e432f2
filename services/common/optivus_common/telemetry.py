"""OpenTelemetry wiring. Spans are created by the gRPC interceptors, the
gateway, the pipeline's NATS hop (jobs.tracing) and the services' engine
work (work_span), and exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set
(the OTel SDK reads that, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
itself)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator

from opentelemetry import trace
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor, filters
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_configured = False
tracer = trace.get_tracer("optivus")


def configure_tracing(service_name: str) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or service_name})
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


def attributes(**values) -> dict:
    """Span attributes named optivus.<key>, without the empty ones."""
    return {f"optivus.{key}": value for key, value in values.items() if value is not None and value != ""}


@contextlib.contextmanager
def work_span(name: str, **values) -> Iterator[trace.Span]:
    """A span for a piece of engine work (model, media seconds, frames...),
    a child of the current span. It is not made current, so it is safe
    around the yields of an async generator; set more attributes on it as
    they are known (span.set_attributes(attributes(...)))."""
    span = tracer.start_span(name, attributes=attributes(**values))
    try:
        yield span
    except (GeneratorExit, asyncio.CancelledError):
        span.set_attribute("optivus.cancelled", True)
        raise
    except BaseException as exc:
        span.record_exception(exc)
        span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
        raise
    finally:
        span.end()
