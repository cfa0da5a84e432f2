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

from optivus_common import registry
from optivus_common.jobs import names


def dig(values: dict, *keys):
    for key in keys:
        values = values.get(key, {}) if isinstance(values, dict) else {}
    return values

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "optivus"
OVERLAYS = sorted((CHART / "ci").glob("*.yaml"))
RELEASE = "optivus"
NAMESPACE = "media"
KUBE_VERSION = "1.34.0"

# Every service of the registry, and the ones that run (the chart deploys those only).
ALL_SERVICES = {spec.name: spec.default_port for spec in registry.SERVICES}
GRPC_SERVICES = {spec.name: spec.default_port for spec in registry.built_services()}
GPU_SERVICES = {"whisper", "florence", "fish"}
GATEWAY_HTTP_PORT = registry.GATEWAY.default_port
GATEWAY_GRPC_PORT = 50051
# Custom resources whose schemas kubernetes-validate cannot know; every other
# kind must validate.
CRD_API_GROUPS = {"keda.sh", "monitoring.coreos.com"}
METRICS_PORT = 9464

EXTERNAL = {
    "nats": {"enabled": False},
    "milvus": {"enabled": False},
    "externalNats": {"url": "nats://nats.nats.svc.cluster.local:4222",
                     "monitoringEndpoint": "nats-headless.nats.svc.cluster.local:8222"},
    "natsAuth": {"secretName": "my-nats-credentials"},
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
    # In-cluster NATS and Milvus (for videorag) are the defaults.
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
        assert c["ports"] == [{"name": "grpc", "containerPort": port, "protocol": "TCP"},
                              {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}]
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
    assert {p["port"] for p in gateway_service["spec"]["ports"]} == {GATEWAY_HTTP_PORT, GATEWAY_GRPC_PORT}
    assert env_of(deployments[f"{RELEASE}-gateway"])["OPTIVUS_GATEWAY_GRPC_PORT"] == str(GATEWAY_GRPC_PORT)


@pytest.mark.parametrize(("name", "values"), VALUE_SETS, ids=VALUE_IDS)
def test_gateway_addresses_every_enabled_service(chart, name, values):
    docs = render(chart, values)
    merged = merged_values(chart, values)
    env = env_of(of_kind(docs, "Deployment")[f"{RELEASE}-gateway"])
    assert env["OPTIVUS_GATEWAY_PORT"] == str(GATEWAY_HTTP_PORT)
    for svc, port in ALL_SERVICES.items():
        expected = f"dns:///{RELEASE}-{svc}:{port}" if merged[svc]["enabled"] else ""
        # Always set: an unset variable would fall back to the local default.
        assert env[f"OPTIVUS_GATEWAY_{svc.upper()}_ADDR"] == expected, svc


def test_disabled_services_render_nothing(chart):
    values = deep_merge(EXTERNAL, {"florence": {"enabled": False}, "fish": {"enabled": False,
                                   "hpa": {"enabled": True}}})
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


def test_nats_addresses(chart):
    # The in-cluster subchart (the default): the Service it creates.
    for dep in of_kind(render(chart, {}), "Deployment").values():
        assert env_of(dep)["OPTIVUS_NATS_URL"] == f"nats://{RELEASE}-nats.{NAMESPACE}.svc.cluster.local:4222"
    # An external server.
    deployments = of_kind(render(chart, EXTERNAL), "Deployment")
    assert env_of(deployments[f"{RELEASE}-dlp"])["OPTIVUS_NATS_URL"] == EXTERNAL["externalNats"]["url"]


def test_the_chart_knows_every_registry_service_and_deploys_only_built_ones(chart):
    for spec in registry.SERVICES:
        block = chart.values[spec.name]
        assert block["port"] == spec.default_port, spec.name
        assert block["enabled"] is spec.built, spec.name
        assert block["image"]["repository"] == f"optivus-{spec.name}"
    assert chart.values["gateway"]["port"] == registry.GATEWAY.default_port


def test_gpu_overlay_autoscaling_and_storage(chart):
    values = deep_merge(overlay(CHART / "ci" / "gpu-values.yaml"), EXTERNAL)
    merged = merged_values(chart, values)
    docs = render(chart, values)
    deployments = of_kind(docs, "Deployment")
    scaled = of_kind(docs, "ScaledObject")
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    assert merged["videorag"]["enabled"]
    keda_services = {svc for svc in GRPC_SERVICES if dig(merged[svc], "keda", "enabled")}
    assert keda_services == {"whisper", "florence", "dlp"}
    assert set(scaled) == {f"{RELEASE}-{svc}" for svc in keda_services}
    for svc in keda_services:
        obj = scaled[f"{RELEASE}-{svc}"]
        assert obj["spec"]["scaleTargetRef"]["name"] == f"{RELEASE}-{svc}"
        (trigger,) = obj["spec"]["triggers"]
        meta = trigger["metadata"]
        assert trigger["type"] == "nats-jetstream"
        assert meta["natsServerMonitoringEndpoint"] == EXTERNAL["externalNats"]["monitoringEndpoint"]
        # The names the code creates: the work stream and the stage's durable consumer.
        spec = registry.service(svc)
        assert (meta["stream"], meta["consumer"]) == (names.WORK_STREAM, names.consumer_name(spec.stage))
        assert meta["lagThreshold"] == str(merged[svc]["keda"]["lagThreshold"])
        assert all(isinstance(v, str) for v in meta.values())
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


def test_network_policies_isolate_the_services(chart):
    docs = render(chart, {})
    policies = of_kind(docs, "NetworkPolicy")
    deployments = of_kind(docs, "Deployment")
    gateway_labels = deployments[f"{RELEASE}-gateway"]["spec"]["selector"]["matchLabels"]
    for svc, port in GRPC_SERVICES.items():
        policy = policies[f"{RELEASE}-{svc}"]["spec"]
        assert policy["podSelector"]["matchLabels"] == deployments[f"{RELEASE}-{svc}"]["spec"]["selector"]["matchLabels"]
        assert policy["policyTypes"] == ["Ingress"]
        rule, scrape = policy["ingress"]
        assert rule["from"] == [{"podSelector": {"matchLabels": gateway_labels}}]
        assert rule["ports"] == [{"port": port, "protocol": "TCP"}]
        assert scrape == PROMETHEUS_MAY_SCRAPE
    gateway = policies[f"{RELEASE}-gateway"]["spec"]
    assert gateway["ingress"] == [{"ports": [{"port": GATEWAY_HTTP_PORT, "protocol": "TCP"},
                                             {"port": GATEWAY_GRPC_PORT, "protocol": "TCP"}]}, PROMETHEUS_MAY_SCRAPE]
    nats = policies[f"{RELEASE}-nats"]["spec"]
    assert nats["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": RELEASE}
    release_only, keda = nats["ingress"]
    assert release_only == {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/instance": RELEASE}}}]}
    assert keda["ports"] == [{"port": 8222, "protocol": "TCP"}]
    limited = render(chart, {"networkPolicy": {"gatewayFrom": [{"namespaceSelector": {"matchLabels": {"x": "y"}}}]}})
    rule = of_kind(limited, "NetworkPolicy")[f"{RELEASE}-gateway"]["spec"]["ingress"][0]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"x": "y"}}}]
    assert not of_kind(render(chart, {"networkPolicy": {"enabled": False}}), "NetworkPolicy")


PROMETHEUS_MAY_SCRAPE = {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                         "ports": [{"port": METRICS_PORT, "protocol": "TCP"}]}


def test_every_pod_serves_metrics_on_its_own_port_behind_a_metrics_service(chart):
    docs = render(chart, EXTERNAL)
    deployments = of_kind(docs, "Deployment")
    services = of_kind(docs, "Service")
    assert len(deployments) == len(GRPC_SERVICES) + 1
    for name, dep in deployments.items():
        assert env_of(dep)["OPTIVUS_METRICS_PORT"] == str(METRICS_PORT), name
        assert {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"} in container(dep)["ports"]
        metrics = services[f"{name}-metrics"]
        assert metrics["metadata"]["labels"]["optivus/metrics"] == "true"
        assert metrics["spec"]["clusterIP"] == "None"
        assert metrics["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
        assert metrics["spec"]["ports"] == [{"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics",
                                             "protocol": "TCP", "appProtocol": "http"}]
    # The gateway's own (public) Service never carries the metrics port.
    assert METRICS_PORT not in {p["port"] for p in services[f"{RELEASE}-gateway"]["spec"]["ports"]}
    assert not of_kind(docs, "ServiceMonitor") and not of_kind(docs, "ConfigMap")  # both off by default

    off = render(chart, deep_merge(EXTERNAL, {"metrics": {"enabled": False}}))
    for name, dep in of_kind(off, "Deployment").items():
        assert env_of(dep)["OPTIVUS_METRICS_PORT"] == "0"
        assert "metrics" not in {p["name"] for p in container(dep)["ports"]}, name
    assert not [n for n in of_kind(off, "Service") if n.endswith("-metrics")]
    for policy in of_kind(off, "NetworkPolicy").values():
        assert all(METRICS_PORT not in {p["port"] for p in rule.get("ports", [])} for rule in policy["spec"]["ingress"])


def test_service_monitor_scrapes_every_metrics_service(chart):
    values = deep_merge(EXTERNAL, {"metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "kps"}}}})
    docs = render(chart, values)
    (monitor,) = of_kind(docs, "ServiceMonitor").values()
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kps"
    spec = monitor["spec"]
    assert spec["jobLabel"] == "app.kubernetes.io/component"
    assert spec["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    assert spec["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}]
    selected = [svc for svc in of_kind(docs, "Service").values()
                if spec["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()]
    assert {svc["metadata"]["name"] for svc in selected} == \
        {f"{RELEASE}-{name}-metrics" for name in [*GRPC_SERVICES, "gateway"]}
    assert all([p["name"] for p in svc["spec"]["ports"]] == ["metrics"] for svc in selected)


def test_the_dashboard_ships_as_a_grafana_configmap(chart):
    import json

    values = deep_merge(EXTERNAL, {"metrics": {"dashboard": {"enabled": True,
                                                             "annotations": {"grafana_folder": "Optivus"}}}})
    (configmap,) = of_kind(render(chart, values), "ConfigMap").values()
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert configmap["metadata"]["annotations"] == {"grafana_folder": "Optivus"}
    dashboard = json.loads(configmap["data"]["optivus.json"])
    assert dashboard == json.loads((CHART / "dashboards" / "optivus.json").read_text())


def test_nats_credentials_come_from_a_secret(chart):
    docs = render(chart, {})
    secret = of_kind(docs, "Secret")["optivus-nats-auth"]
    assert set(secret["data"]) == {"user", "password"}
    assert chart.values["nats"]["container"]["env"]["NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == \
        chart.values["natsAuth"]["secretName"]
    assert chart.values["nats"]["config"]["merge"]["authorization"]["user"] == chart.values["natsAuth"]["user"]
    for dep in of_kind(docs, "Deployment").values():
        env = {e["name"]: e for e in container(dep)["env"]}
        for var, key in (("OPTIVUS_NATS_USER", "user"), ("OPTIVUS_NATS_PASSWORD", "password")):
            assert env[var]["valueFrom"]["secretKeyRef"] == {"name": "optivus-nats-auth", "key": key}
    # An external NATS: the Secret is the operator's, the chart makes none.
    docs = render(chart, EXTERNAL)
    assert "Secret" not in {d["kind"] for d in docs}
    env = {e["name"]: e for e in container(of_kind(docs, "Deployment")[f"{RELEASE}-dlp"])["env"]}
    assert env["OPTIVUS_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "my-nats-credentials"


def test_gateway_api_keys_come_from_a_mounted_secret(chart):
    open_gateway = of_kind(render(chart, EXTERNAL), "Deployment")[f"{RELEASE}-gateway"]
    assert "OPTIVUS_GATEWAY_API_KEYS_FILE" not in env_of(open_gateway)
    keyed = of_kind(render(chart, deep_merge(EXTERNAL, {"gateway": {"apiKeys": {"existingSecret": "keys"}}})),
                    "Deployment")[f"{RELEASE}-gateway"]
    assert env_of(keyed)["OPTIVUS_GATEWAY_API_KEYS_FILE"] == "/etc/optivus/api-keys/api-keys"
    mounts = {m["name"]: m for m in container(keyed)["volumeMounts"]}
    assert mounts["api-keys"] == {"name": "api-keys", "mountPath": "/etc/optivus/api-keys", "readOnly": True}
    volumes = {v["name"]: v for v in keyed["spec"]["template"]["spec"]["volumes"]}
    assert volumes["api-keys"]["secret"]["secretName"] == "keys"


def test_every_pod_caps_its_concurrent_calls(chart):
    for dep in of_kind(render(chart, EXTERNAL), "Deployment").values():
        assert env_of(dep)["OPTIVUS_GRPC_MAX_CONCURRENT_RPCS"] == "64"


def test_keda_reads_the_nats_subcharts_monitoring_endpoint(chart):
    (obj,) = of_kind(render(chart, {"whisper": {"keda": {"enabled": True}}}), "ScaledObject").values()
    endpoint = obj["spec"]["triggers"][0]["metadata"]["natsServerMonitoringEndpoint"]
    assert endpoint == f"{RELEASE}-nats-headless.{NAMESPACE}.svc.cluster.local:8222"


def test_keda_is_only_for_stage_services_and_not_with_hpa(chart):
    assert "keda" not in chart.values["fish"] and "keda" not in chart.values["gateway"]
    for spec in registry.built_services():
        assert ("keda" in chart.values[spec.name]) == bool(spec.stage), spec.name
    with pytest.raises(helm.HelmError, match="exclusive"):
        chart.render(deep_merge(EXTERNAL, {"whisper": {"hpa": {"enabled": True}, "keda": {"enabled": True}}}),
                     name=RELEASE, namespace=NAMESPACE)
    with pytest.raises(helm.HelmError, match="monitoringEndpoint"):
        chart.render(deep_merge(EXTERNAL, {"externalNats": {"monitoringEndpoint": ""}, "dlp": {"keda": {"enabled": True}}}),
                     name=RELEASE, namespace=NAMESPACE)


def test_the_chart_names_the_pipelines_work_stream(chart):
    assert chart.values["pipeline"]["workStream"] == names.WORK_STREAM


# --- Dockerfiles agree with the chart -------------------------------------------


@pytest.mark.parametrize("svc", [*GRPC_SERVICES, "gateway"])
def test_dockerfile_matches_the_chart(chart, svc):
    text = (ROOT / "services" / svc / "Dockerfile").read_text()
    values = chart.values[svc]
    assert re.search(r"^USER 1000$", text, re.M)
    assert re.search(r"^ENV .*PYTHONUNBUFFERED=1", text, re.M | re.S)
    assert f'ENTRYPOINT ["python", "-m", "optivus_{svc}"]' in text
    # Its locked set (tests/test_dependency_lock.py checks every pip install line).
    assert f"COPY requirements/images/{svc}.txt " in text
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2  # multi-stage
    exposed = {int(p) for line in re.findall(r"^EXPOSE (.+)$", text, re.M) for p in line.split()}
    assert values["port"] in exposed
    if svc == "gateway":
        assert values["grpcPort"] in exposed
    # Python 3.11, the lock's; GPU images get the driver from the NVIDIA
    # container runtime and CUDA from pinned wheels.
    base = re.search(r"^ARG \w+_IMAGE=(\S+)$", text, re.M).group(1)
    assert base.startswith("python:3.11-slim")
    if svc in GPU_SERVICES:
        assert re.search(r"^ENV .*NVIDIA_DRIVER_CAPABILITIES=compute,utility", text, re.M | re.S)


# --- videorag and Milvus ----------------------------------------------------------


def test_videorag_finds_milvus_in_the_release_outside_it_or_runs_milvus_lite(chart):
    in_release = env_of(of_kind(render(chart, {}), "Deployment")[f"{RELEASE}-videorag"])
    assert in_release["OPTIVUS_VIDEORAG_MILVUS_URI"] == f"http://{RELEASE}-milvus.{NAMESPACE}.svc.cluster.local:19530"
    external = deep_merge(EXTERNAL, {"externalMilvus": {"uri": "http://milvus.db.svc:19530"}})
    assert env_of(of_kind(render(chart, external), "Deployment")[f"{RELEASE}-videorag"])[
        "OPTIVUS_VIDEORAG_MILVUS_URI"] == "http://milvus.db.svc:19530"
    lite = env_of(of_kind(render(chart, EXTERNAL), "Deployment")[f"{RELEASE}-videorag"])
    assert "OPTIVUS_VIDEORAG_MILVUS_URI" not in lite and lite["OPTIVUS_VIDEORAG_CLIP_SECONDS"] == "30"
    gateway = env_of(of_kind(render(chart, EXTERNAL), "Deployment")[f"{RELEASE}-gateway"])
    assert gateway["OPTIVUS_GATEWAY_VIDEORAG_ADDR"] == f"dns:///{RELEASE}-videorag:50056"


def test_milvus_lite_refuses_more_than_one_videorag_replica(chart):
    with pytest.raises(helm.HelmError, match="one process per folder"):
        chart.render(deep_merge(EXTERNAL, {"videorag": {"replicas": 2}}), name=RELEASE, namespace=NAMESPACE)
    server = deep_merge(EXTERNAL, {"externalMilvus": {"uri": "http://milvus:19530"}, "videorag": {"replicas": 2}})
    assert of_kind(render(chart, server), "Deployment")[f"{RELEASE}-videorag"]["spec"]["replicas"] == 2


def test_videorag_llm_settings_and_key_from_a_secret(chart):
    values = deep_merge(EXTERNAL, {"videorag": {"llm": {"url": "http://vllm:8000/v1", "model": "qwen",
                                                         "apiKeySecret": "llm-key"}}})
    container_env = {e["name"]: e for e in container(of_kind(render(chart, values), "Deployment")[
        f"{RELEASE}-videorag"])["env"]}
    assert container_env["OPTIVUS_VIDEORAG_LLM_URL"]["value"] == "http://vllm:8000/v1"
    assert container_env["OPTIVUS_VIDEORAG_LLM_MODEL"]["value"] == "qwen"
    assert container_env["OPTIVUS_VIDEORAG_LLM_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "llm-key",
                                                                                          "key": "api-key"}
