"""The Helm chart (deploy/helm/optivus) lints, renders and validates.

Everything runs in-process and offline: helm-python-sdk binds Helm 4's Go
SDK (no helm binary, no cluster) and kubernetes-validate carries the
Kubernetes OpenAPI schemas. The nats and milvus subcharts are declared in
Chart.yaml but not vendored (they need `helm dependency update`, i.e. the
network), so renders here switch them off and point at external servers.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "optivus"
OVERLAYS = sorted((CHART / "ci").glob("*.yaml"))
RELEASE = "optivus"
NAMESPACE = "media"
KUBE_VERSION = "1.34.0"

GRPC_SERVICES = {"whisper": 50052, "florence": 50053, "fish": 50054, "dlp": 50055, "videorag": 50056}
GPU_SERVICES = {"whisper", "florence", "fish"}
GATEWAY_HTTP_PORT = 5000
# Custom resources whose schemas kubernetes-validate cannot know; every other
# kind must validate.
CRD_API_GROUPS = {"keda.sh"}

EXTERNAL = {
    "nats": {"enabled": False},
    "milvus": {"enabled": False},
    "externalNats": {
        "url": "nats://nats.nats.svc.cluster.local:4222",
        "monitoringEndpoint": "nats-headless.nats.svc.cluster.local:8222",
    },
    "externalMilvus": {"uri": "http://milvus.milvus.svc.cluster.local:19530"},
}


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def overlay(path: Path) -> dict:
    return helm.values_from_yaml(path.read_text())


def value_sets() -> list[tuple[str, dict]]:
    """The default values and every ci/ overlay, with the subcharts off."""
    sets = [("default", copy.deepcopy(EXTERNAL))]
    for path in OVERLAYS:
        sets.append((path.name, deep_merge(overlay(path), EXTERNAL)))
    return sets


VALUE_SETS = value_sets()
VALUE_IDS = [name for name, _ in VALUE_SETS]


@pytest.fixture(scope="module")
def chart():
    with helm.Chart.load(CHART) as loaded:
        yield loaded


def render(chart, values: dict) -> list[dict]:
    """Renders the chart and returns every manifest as a dict."""
    manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    docs: list[dict] = []
    for path, text in sorted(manifests.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                assert isinstance(doc, dict), f"{path}: not a mapping"
                docs.append(doc)
    return docs


def of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def component(doc: dict) -> str | None:
    return doc["metadata"].get("labels", {}).get("app.kubernetes.io/component")


def container(deployment: dict) -> dict:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env_of(deployment: dict) -> dict[str, str | None]:
    return {e["name"]: e.get("value") for e in container(deployment).get("env", [])}


def merged_values(chart, values: dict) -> dict:
    return chart.merge_values(values)


# --- Chart.yaml and lint -----------------------------------------------------


def test_chart_declares_nats_and_milvus_dependencies(chart):
    deps = {d["name"]: d for d in chart.metadata["dependencies"]}
    assert deps["nats"]["condition"] == "nats.enabled"
    assert "nats-io" in deps["nats"]["repository"]
    assert deps["milvus"]["condition"] == "milvus.enabled"
    assert "zilliztech" in deps["milvus"]["repository"]
    # In-cluster NATS and Milvus are the defaults.
    assert chart.values["nats"]["enabled"] is True
    assert chart.values["milvus"]["enabled"] is True
    assert chart.values["nats"]["config"]["jetstream"]["enabled"] is True
    assert chart.values["milvus"]["cluster"]["enabled"] is False


MISSING_DEPS = re.compile(r"chart directory is missing these dependencies: (.+)")


def lint_problems(report: dict) -> list[str]:
    """Warnings and errors of a lint report (severity 2 and 3)."""
    return [m["error"] for m in report["messages"] if m["severity"] >= 2] + [
        e for e in report["errors"] if e not in {m["error"] for m in report["messages"]}
    ]


LINT_SETS = [("chart-defaults", None), *VALUE_SETS]


@pytest.mark.parametrize(("name", "values"), LINT_SETS, ids=[name for name, _ in LINT_SETS])
def test_lint_strict(name, values, tmp_path):
    # The chart as it is: the only finding may be the subcharts that are
    # declared but not downloaded (that needs `helm dependency update`).
    report = helm.lint(CHART, values, strict=True, kube_version=f"v{KUBE_VERSION}")
    for problem in lint_problems(report):
        missing = MISSING_DEPS.fullmatch(problem)
        assert missing, f"helm lint --strict ({name}): {problem}"
        assert set(missing.group(1).split(",")) <= {"nats", "milvus"}

    # The same chart without the dependency declarations lints clean.
    copy_dir = tmp_path / "optivus"
    shutil.copytree(CHART, copy_dir)
    meta = yaml.safe_load((copy_dir / "Chart.yaml").read_text())
    meta.pop("dependencies")
    (copy_dir / "Chart.yaml").write_text(yaml.safe_dump(meta))
    report = helm.lint(copy_dir, values, strict=True, kube_version=f"v{KUBE_VERSION}")
    assert lint_problems(report) == [], report
    assert report["total_charts_linted"] == 1


# --- Rendered manifests --------------------------------------------------------


@pytest.mark.parametrize(("name", "values"), VALUE_SETS, ids=VALUE_IDS)
def test_every_manifest_validates_against_kubernetes(chart, name, values):
    docs = render(chart, values)
    assert docs
    validated = 0
    for doc in docs:
        group = doc["apiVersion"].split("/")[0] if "/" in doc["apiVersion"] else ""
        if group in CRD_API_GROUPS:
            continue
        try:
            kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{name}: {doc['kind']}/{doc['metadata']['name']}: {path}: {exc.message}")
        validated += 1
    assert validated >= 12  # ServiceAccount + Deployment + Service per service at least


@pytest.mark.parametrize(("name", "values"), VALUE_SETS, ids=VALUE_IDS)
def test_pods_are_hardened(chart, name, values):
    docs = render(chart, values)
    merged = merged_values(chart, values)
    deployments = of_kind(docs, "Deployment")
    assert deployments
    for dep_name, dep in deployments.items():
        pod = dep["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, dep_name
        assert pod["securityContext"]["runAsUser"] == 1000, dep_name
        assert pod["automountServiceAccountToken"] is False, dep_name
        assert pod["serviceAccountName"] == dep_name
        c = container(dep)
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, dep_name
        assert sc["allowPrivilegeEscalation"] is False, dep_name
        assert sc["runAsNonRoot"] is True, dep_name
        assert sc["capabilities"]["drop"] == ["ALL"], dep_name
        # The writable places of a read-only root.
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        assert {"/tmp", "/data", "/models"} <= set(mounts), dep_name
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], dep_name
        # SIGTERM grace outlasts the service's own shutdown grace.
        env = env_of(dep)
        grace = float(env["OPTIVUS_SHUTDOWN_GRACE_S"])
        assert grace == merged["global"]["shutdownGraceSeconds"]
        assert pod["terminationGracePeriodSeconds"] > grace, dep_name
        assert env["OPTIVUS_DATA_DIR"] == "/data"
        assert env["OPTIVUS_MODEL_CACHE"] == "/models"
        assert env["OTEL_SERVICE_NAME"] == f"optivus-{component(dep)}"
        assert c["image"].endswith(f"optivus-{component(dep)}:0.1.0")


@pytest.mark.parametrize(("name", "values"), VALUE_SETS, ids=VALUE_IDS)
def test_grpc_services_use_native_grpc_probes_and_headless_services(chart, name, values):
    docs = render(chart, values)
    merged = merged_values(chart, values)
    deployments = of_kind(docs, "Deployment")
    services = of_kind(docs, "Service")
    for svc, port in GRPC_SERVICES.items():
        obj = f"{RELEASE}-{svc}"
        if not merged[svc]["enabled"]:
            continue
        c = container(deployments[obj])
        assert c["ports"] == [{"name": "grpc", "containerPort": port, "protocol": "TCP"}]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert c[probe]["grpc"] == {"port": port}, (obj, probe)
        # The startup probe gives the model time to load.
        startup = c["startupProbe"]
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 120, obj
        assert env_of(deployments[obj])[f"OPTIVUS_{svc.upper()}_PORT"] == str(port)
        service = services[obj]
        assert service["spec"]["clusterIP"] == "None", obj
        assert service["spec"]["ports"][0]["port"] == port
        assert service["spec"]["selector"] == deployments[obj]["spec"]["selector"]["matchLabels"]

    gateway = container(deployments[f"{RELEASE}-gateway"])
    assert gateway["startupProbe"]["httpGet"] == {"path": "/healthz", "port": GATEWAY_HTTP_PORT}
    assert gateway["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": GATEWAY_HTTP_PORT}
    assert gateway["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": GATEWAY_HTTP_PORT}
    gateway_service = services[f"{RELEASE}-gateway"]
    assert gateway_service["spec"].get("clusterIP") != "None"
    assert {p["port"] for p in gateway_service["spec"]["ports"]} == {GATEWAY_HTTP_PORT, 50051}


@pytest.mark.parametrize(("name", "values"), VALUE_SETS, ids=VALUE_IDS)
def test_gateway_addresses_every_enabled_service(chart, name, values):
    docs = render(chart, values)
    merged = merged_values(chart, values)
    env = env_of(of_kind(docs, "Deployment")[f"{RELEASE}-gateway"])
    assert env["OPTIVUS_GATEWAY_PORT"] == str(GATEWAY_HTTP_PORT)
    for svc, port in GRPC_SERVICES.items():
        expected = f"dns:///{RELEASE}-{svc}:{port}" if merged[svc]["enabled"] else ""
        # Always set: an unset variable would fall back to the local default.
        assert env[f"OPTIVUS_GATEWAY_{svc.upper()}_ADDR"] == expected, svc


def test_disabled_services_render_nothing(chart):
    values = deep_merge(EXTERNAL, {"florence": {"enabled": False}, "fish": {"enabled": False,
                                   "hpa": {"enabled": True}, "keda": {"enabled": False}}})
    docs = render(chart, values)
    for doc in docs:
        assert component(doc) not in {"florence", "fish"}, doc["metadata"]["name"]
        assert "florence" not in doc["metadata"]["name"] and "fish" not in doc["metadata"]["name"]
    env = env_of(of_kind(docs, "Deployment")[f"{RELEASE}-gateway"])
    assert env["OPTIVUS_GATEWAY_FLORENCE_ADDR"] == ""
    assert env["OPTIVUS_GATEWAY_FISH_ADDR"] == ""
    assert env["OPTIVUS_GATEWAY_WHISPER_ADDR"] == f"dns:///{RELEASE}-whisper:50052"

    everything_off = deep_merge(EXTERNAL, {svc: {"enabled": False} for svc in [*GRPC_SERVICES, "gateway"]})
    assert render(chart, everything_off) == []


def test_gpu_services_request_gpus_and_gpu_nodes(chart):
    docs = render(chart, EXTERNAL)
    for name, dep in of_kind(docs, "Deployment").items():
        pod = dep["spec"]["template"]["spec"]
        limits = container(dep).get("resources", {}).get("limits", {})
        if component(dep) in GPU_SERVICES:
            assert limits["nvidia.com/gpu"] == 1, name
            assert pod["nodeSelector"]["nvidia.com/gpu.present"] == "true", name
            assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
            # No surge pod waiting for a GPU that is not there.
            assert dep["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0
        else:
            assert "nvidia.com/gpu" not in limits, name
            assert "nodeSelector" not in pod, name


def test_cpu_only_overlay_asks_for_no_gpu(chart):
    values = deep_merge(overlay(CHART / "ci" / "cpu-only-values.yaml"), EXTERNAL)
    text = "\n".join(chart.render(values, name=RELEASE, namespace=NAMESPACE).values())
    assert "nvidia.com/gpu" not in text
    docs = render(chart, values)
    assert f"{RELEASE}-fish" not in of_kind(docs, "Deployment")
    whisper = env_of(of_kind(docs, "Deployment")[f"{RELEASE}-whisper"])
    assert whisper["AI_WHISPER_MODEL"] == "tiny.en"
    assert whisper["OPTIVUS_WHISPER_DEVICE"] == "cpu"
    assert whisper["OPTIVUS_NATS_URL"] == "nats://nats.nats.svc.cluster.local:4222"


def test_nats_and_milvus_addresses(chart):
    # In-cluster subcharts (the defaults): the Services they create.
    docs = render(chart, {})
    deployments = of_kind(docs, "Deployment")
    for dep in deployments.values():
        assert env_of(dep)["OPTIVUS_NATS_URL"] == f"nats://{RELEASE}-nats.{NAMESPACE}.svc.cluster.local:4222"
    videorag = env_of(deployments[f"{RELEASE}-videorag"])
    assert videorag["OPTIVUS_VIDEORAG_MILVUS_URI"] == f"http://{RELEASE}-milvus.{NAMESPACE}.svc.cluster.local:19530"
    # External servers.
    docs = render(chart, EXTERNAL)
    deployments = of_kind(docs, "Deployment")
    assert env_of(deployments[f"{RELEASE}-dlp"])["OPTIVUS_NATS_URL"] == EXTERNAL["externalNats"]["url"]
    videorag = env_of(deployments[f"{RELEASE}-videorag"])
    assert videorag["OPTIVUS_VIDEORAG_MILVUS_URI"] == EXTERNAL["externalMilvus"]["uri"]
    # Neither: Milvus Lite inside videorag, no URI set.
    lite = deep_merge(EXTERNAL, {"externalMilvus": {"uri": ""}})
    videorag = env_of(of_kind(render(chart, lite), "Deployment")[f"{RELEASE}-videorag"])
    assert "OPTIVUS_VIDEORAG_MILVUS_URI" not in videorag


def test_gpu_overlay_autoscaling_and_storage(chart):
    values = deep_merge(overlay(CHART / "ci" / "gpu-values.yaml"), EXTERNAL)
    merged = merged_values(chart, values)
    docs = render(chart, values)
    deployments = of_kind(docs, "Deployment")
    scaled = of_kind(docs, "ScaledObject")
    hpas = of_kind(docs, "HorizontalPodAutoscaler")

    keda_services = {svc for svc in GRPC_SERVICES if merged[svc]["keda"]["enabled"]}
    assert keda_services == {"whisper", "florence", "dlp"}
    assert set(scaled) == {f"{RELEASE}-{svc}" for svc in keda_services}
    for svc in keda_services:
        obj = scaled[f"{RELEASE}-{svc}"]
        assert obj["apiVersion"] == "keda.sh/v1alpha1"
        assert obj["spec"]["scaleTargetRef"]["name"] == f"{RELEASE}-{svc}"
        (trigger,) = obj["spec"]["triggers"]
        assert trigger["type"] == "nats-jetstream"
        meta = trigger["metadata"]
        assert meta["natsServerMonitoringEndpoint"] == EXTERNAL["externalNats"]["monitoringEndpoint"]
        assert meta["stream"] == merged[svc]["keda"]["stream"]
        assert meta["consumer"] == merged[svc]["keda"]["consumer"]
        assert meta["lagThreshold"] == str(merged[svc]["keda"]["lagThreshold"])
        assert all(isinstance(v, str) for v in meta.values())
        # The autoscaler owns the replica count.
        assert "replicas" not in deployments[f"{RELEASE}-{svc}"]["spec"]
    assert set(hpas) == {f"{RELEASE}-fish"}
    assert hpas[f"{RELEASE}-fish"]["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
    assert "replicas" not in deployments[f"{RELEASE}-fish"]["spec"]
    assert deployments[f"{RELEASE}-gateway"]["spec"]["replicas"] == 2

    # Shared media on one ReadWriteMany claim; model caches on their own claims.
    claims = of_kind(docs, "PersistentVolumeClaim")
    assert claims[f"{RELEASE}-media"]["spec"]["accessModes"] == ["ReadWriteMany"]
    for name, dep in deployments.items():
        volumes = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
        assert volumes["data"]["persistentVolumeClaim"]["claimName"] == f"{RELEASE}-media", name
        if component(dep) in GPU_SERVICES:
            assert volumes["models"]["persistentVolumeClaim"]["claimName"] == f"{name}-models"
            assert f"{name}-models" in claims
            assert dep["spec"]["template"]["spec"]["runtimeClassName"] == "nvidia"


def test_keda_monitoring_endpoint_of_the_nats_subchart(chart):
    docs = render(chart, {"whisper": {"keda": {"enabled": True}}})
    (obj,) = of_kind(docs, "ScaledObject").values()
    endpoint = obj["spec"]["triggers"][0]["metadata"]["natsServerMonitoringEndpoint"]
    assert endpoint == f"{RELEASE}-nats-headless.{NAMESPACE}.svc.cluster.local:8222"


def test_hpa_and_keda_together_are_refused(chart):
    values = deep_merge(EXTERNAL, {"whisper": {"hpa": {"enabled": True}, "keda": {"enabled": True}}})
    with pytest.raises(helm.HelmError, match="exclusive"):
        chart.render(values, name=RELEASE, namespace=NAMESPACE)


def test_keda_without_a_monitoring_endpoint_is_refused(chart):
    values = deep_merge(EXTERNAL, {"externalNats": {"monitoringEndpoint": ""}, "dlp": {"keda": {"enabled": True}}})
    with pytest.raises(helm.HelmError, match="monitoringEndpoint"):
        chart.render(values, name=RELEASE, namespace=NAMESPACE)


# --- Dockerfiles agree with the chart -------------------------------------------


@pytest.mark.parametrize("svc", [*GRPC_SERVICES, "gateway"])
def test_dockerfile_matches_the_chart(chart, svc):
    text = (ROOT / "services" / svc / "Dockerfile").read_text()
    values = chart.values[svc]
    assert re.search(r"^USER 1000$", text, re.M)
    assert re.search(r"^ENV .*PYTHONUNBUFFERED=1", text, re.M | re.S)
    assert f'ENTRYPOINT ["python", "-m", "optivus_{svc}"]' in text
    assert f'pip install ".[{svc}]"' in text
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2  # multi-stage
    exposed = {int(p) for line in re.findall(r"^EXPOSE (.+)$", text, re.M) for p in line.split()}
    assert values["port"] in exposed
    if svc == "gateway":
        assert values["grpcPort"] in exposed
    base = re.search(r"^ARG \w+_IMAGE=(\S+)$", text, re.M).group(1)
    if svc in GPU_SERVICES:
        assert base.startswith("nvidia/cuda:") and "runtime" in base
    else:
        assert base.startswith("python:3.11-slim")
