"""The chart's dlp options: the cookies Secret and the PO-token provider
(both off by default, so the chart's own tests never render them)."""

from __future__ import annotations

from pathlib import Path

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

CHART = Path(__file__).resolve().parents[3] / "deploy" / "helm" / "optivus"
KUBE_VERSION = "1.34.0"
EXTERNAL = {"nats": {"enabled": False}, "milvus": {"enabled": False},
            "externalNats": {"url": "nats://nats.nats.svc.cluster.local:4222"}}


@pytest.fixture(scope="module")
def chart():
    with helm.Chart.load(CHART) as loaded:
        yield loaded


def render(chart, dlp: dict) -> dict[tuple[str, str], dict]:
    manifests = chart.render({**EXTERNAL, "dlp": dlp}, name="optivus", namespace="media", is_install=True)
    docs = {}
    for path, text in manifests.items():
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
                docs[(doc["kind"], doc["metadata"]["name"])] = doc
    return docs


def env_of(deployment: dict) -> dict:
    return {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_by_default_no_cookies_and_no_provider(chart):
    docs = render(chart, {})
    dlp = docs[("Deployment", "optivus-dlp")]
    assert "OPTIVUS_DLP_COOKIES_FILE" not in env_of(dlp) and "OPTIVUS_DLP_POT_PROVIDER_URL" not in env_of(dlp)
    assert not any(name == "optivus-dlp-pot-provider" for _, name in docs)


def test_the_cookies_secret_is_mounted_read_only_and_named_to_the_service(chart):
    docs = render(chart, {"cookies": {"secretName": "dlp-cookies", "key": "yt.txt"}})
    dlp = docs[("Deployment", "optivus-dlp")]
    pod = dlp["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v["name"] == "cookies")
    assert volume["secret"] == {"secretName": "dlp-cookies", "defaultMode": 0o440,
                                "items": [{"key": "yt.txt", "path": "yt.txt"}]}
    mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
    assert mounts["/etc/optivus/cookies"] == {"name": "cookies", "mountPath": "/etc/optivus/cookies",
                                              "readOnly": True}
    assert {"/tmp", "/data", "/models"} <= set(mounts)  # the shared workload's mounts are all still there
    assert env_of(dlp)["OPTIVUS_DLP_COOKIES_FILE"] == "/etc/optivus/cookies/yt.txt"
    assert ("Service", "optivus-dlp") in docs and ("ServiceAccount", "optivus-dlp") in docs


def test_the_pot_provider_runs_beside_dlp_which_is_told_where(chart):
    docs = render(chart, {"potProvider": {"enabled": True}})
    provider = docs[("Deployment", "optivus-dlp-pot-provider")]
    service = docs[("Service", "optivus-dlp-pot-provider")]
    container = provider["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "brainicism/bgutil-ytdlp-pot-provider:2.0.2"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert provider["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert service["spec"]["ports"][0]["port"] == 4416
    assert env_of(docs[("Deployment", "optivus-dlp")])["OPTIVUS_DLP_POT_PROVIDER_URL"] == \
        "http://optivus-dlp-pot-provider:4416"
