"""JSON log lines carry the trace and span ids of the span they were
written in (the ids Jaeger or Tempo show), and none outside a span."""

from __future__ import annotations

import json
import logging

from opentelemetry import trace

from optivus_common.logs import JsonFormatter


def line(message: str, **extra) -> dict:
    record = logging.LogRecord("optivus.test", logging.INFO, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return json.loads(JsonFormatter().format(record))


def test_a_line_in_a_span_names_its_trace_and_span(span_exporter):
    with trace.get_tracer(__name__).start_as_current_span("work") as span:
        entry = line("inside", job_id="abc")
    context = span.get_span_context()
    assert entry["trace_id"] == format(context.trace_id, "032x")
    assert entry["span_id"] == format(context.span_id, "016x")
    assert entry["message"] == "inside" and entry["job_id"] == "abc" and entry["severity"] == "INFO"
    assert [s.name for s in span_exporter.get_finished_spans()] == ["work"]


def test_a_line_outside_spans_has_no_ids():
    entry = line("outside")
    assert "trace_id" not in entry and "span_id" not in entry
