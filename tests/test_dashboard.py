"""The Grafana dashboard in the chart (deploy/helm/optivus/dashboards)
queries only metrics the code exposes, with the labels they have, and is a
dashboard Grafana loads: unique panel ids, a Prometheus datasource
variable every query uses, and the service variable it groups by."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

import optivus_common.metrics as common_metrics
import optivus_gateway.observability  # noqa: F401 - registers the gateway's metrics

DASHBOARD = Path(__file__).resolve().parents[1] / "deploy" / "helm" / "optivus" / "dashboards" / "optivus.json"
METRIC = re.compile(r"\b(optivus_[a-z0-9_]+)\b")
BY = re.compile(r"by \(([^)]*)\)")
# Labels Prometheus adds at scrape time (the ServiceMonitor: job is the component).
SCRAPE_LABELS = {"job", "pod", "instance", "namespace", "le"}


def exposed() -> dict[str, set[str]]:
    """Every sample name the code exposes, with its labels."""
    common_metrics.register_gpu_collector()
    names: dict[str, set[str]] = {}
    for family in REGISTRY.collect():
        # The labels of its samples, or those a custom collector declared (GPU memory has no samples without a GPU).
        labels = {key for sample in family.samples for key in sample.labels} | set(getattr(family, "_labelnames", ()))
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"], "gauge": [""]}
        for suffix in suffixes.get(family.type, [""]):
            names[family.name + suffix] = labels
    for metric in REGISTRY._names_to_collectors.values():  # labels of metrics not yet observed
        if getattr(metric, "_labelnames", None):
            for name in REGISTRY._collector_to_names[metric]:
                names.setdefault(name, set()).update(metric._labelnames)
    return names


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def queries(dashboard) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_every_query_names_metrics_and_labels_the_code_exposes(dashboard):
    names = exposed()
    for expr in queries(dashboard):
        used = METRIC.findall(expr)
        assert used, expr
        for metric in used:
            assert metric in names, f"{metric} (in {expr}) is not exposed by the code"
        labels = set().union(*(names[m] for m in used)) | SCRAPE_LABELS
        for group in BY.findall(expr):
            for label in (part.strip() for part in group.split(",")):
                assert label in labels, f"{label} is not a label of {used} ({expr})"


def test_it_loads_in_grafana(dashboard):
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert METRIC.search(variables["job"]["definition"]).group(1) in exposed()
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"] and all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"])
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
    # Throughput, latency, errors and lag per service.
    titles = " ".join(panel["title"] for panel in dashboard["panels"]).lower()
    for topic in ("requests / s", "errors", "latency", "lag"):
        assert topic in titles
