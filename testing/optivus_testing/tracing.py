"""Spans in memory, for tests of in-process code, and a real OTLP
collector for tests of processes."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

_exporter: InMemorySpanExporter | None = None


def install_memory_exporter() -> InMemorySpanExporter:
    """Sets (once per process) a global SDK tracer provider that keeps every
    ended span in memory. Spans of code that asked for its tracer earlier
    go there too: the API's proxy tracers follow the global provider."""
    global _exporter
    if _exporter is None:
        _exporter = InMemorySpanExporter()
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            provider = TracerProvider()
            trace.set_tracer_provider(provider)
        provider.add_span_processor(SimpleSpanProcessor(_exporter))
    return _exporter


class Collector:
    """A real OTLP/gRPC trace collector on a free loopback port, keeping
    every span it is sent as (service.name, span) with the span as OTLP's
    protobuf (ids are bytes)."""

    def __init__(self) -> None:
        from concurrent import futures

        import grpc
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

        collector = self

        class Servicer(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request, context):  # noqa: N802 - the generated name
                for resource_spans in request.resource_spans:
                    attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                    with collector._lock:
                        for scope in resource_spans.scope_spans:
                            collector._spans += [(attrs.get("service.name"), span) for span in scope.spans]
                return trace_service_pb2.ExportTraceServiceResponse()

        import threading

        self._lock = threading.Lock()
        self._spans: list = []
        self._server = grpc.server(futures.ThreadPoolExecutor(2))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Servicer(), self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self.endpoint = f"http://127.0.0.1:{port}"

    @property
    def spans(self) -> list:
        with self._lock:
            return list(self._spans)

    def __enter__(self) -> "Collector":
        self._server.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.stop(None)
