"""The Kubernetes manifests (SPEC §19), as `kubectl kustomize` renders the example overlays.

CI also validates every rendered object against the Kubernetes schemas (.ci/run); these tests
check what the schemas cannot: the promises an operator relies on.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"
EXAMPLE = DEPLOY / "overlays" / "example"
EXAMPLE_SOCKET = DEPLOY / "overlays" / "example-socket"
SECRET_NAME = "response-secrets"
# Variables whose values are secrets: they may reach a container only from a Secret.
SECRET_VARIABLES = {
    "SLACK_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "DJANGO_SECRET_KEY",
    "DJANGO_SUPERUSER_PASSWORD",
    "CRON_TOKEN",
    "ENCRYPTED_FIELD_KEY",
    "DATABASE_URL",
    "METRICS_TOKEN",
}
APP_DEPLOYMENTS = {"response-web", "response-worker"}

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


def render(kustomization: Path) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize` makes of a kustomization directory."""
    result = subprocess.run(
        ["kubectl", "kustomize", str(kustomization)],  # noqa: S607 (kubectl from PATH)
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module", params=[EXAMPLE, EXAMPLE_SOCKET], ids=lambda path: path.name)
def objects(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(request.param)


def named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def pod_specs(objects: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(object name, pod spec) of every object that makes pods."""
    for obj in objects:
        spec = obj.get("spec", {})
        if obj["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        if "template" in spec:
            yield obj["metadata"]["name"], spec["template"]["spec"]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return pod.get("initContainers", []) + pod["containers"]


def all_containers(objects: list[dict[str, Any]]) -> Iterator[tuple[str, dict, dict]]:
    """(object name, pod spec, container) of every container, init containers included."""
    for name, pod in pod_specs(objects):
        for container in containers(pod):
            yield name, pod, container


def main_container(objects: list[dict[str, Any]], deployment: str) -> dict[str, Any]:
    return named(objects, "Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]


def test_every_object_kind_the_spec_names_is_rendered(objects):
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert {
        ("Deployment", "response-web"),
        ("Deployment", "response-worker"),
        ("CronJob", "response-cron-minute"),
        ("Job", "response-migrate"),
        ("Service", "response"),
        ("Ingress", "response"),
        ("PodDisruptionBudget", "response-web"),
        ("HorizontalPodAutoscaler", "response-web"),
    } <= kinds


def test_web_probes_ask_healthz_on_the_served_port(objects):
    web = main_container(objects, "response-web")
    ports = {port["name"]: port["containerPort"] for port in web["ports"]}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        check = web[probe]["httpGet"]
        assert check["path"] == "/healthz", probe
        assert check["port"] in ports or check["port"] in ports.values(), probe


def test_probe_host_is_an_allowed_host(objects):
    # The kubelet sends the pod's IP as Host otherwise, which Django refuses with a 400.
    allowed = config_value(objects, "ALLOWED_HOSTS").split(",")
    web = main_container(objects, "response-web")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        headers = {h["name"]: h["value"] for h in web[probe]["httpGet"]["httpHeaders"]}
        assert headers["Host"] in allowed, probe


def test_every_container_runs_as_non_root_on_a_read_only_root_filesystem(objects):
    for name, pod, container in all_containers(objects):
        where = f"{name}/{container['name']}"
        own = container.get("securityContext", {})
        non_root = own.get("runAsNonRoot", pod.get("securityContext", {}).get("runAsNonRoot"))
        assert non_root is True, where
        assert own.get("readOnlyRootFilesystem") is True, where
        assert own.get("allowPrivilegeEscalation") is False, where
        assert own.get("capabilities", {}).get("drop") == ["ALL"], where


def test_every_container_has_a_writable_tmp(objects):
    # Read-only root filesystem: gunicorn's heartbeat files and tempfile need /tmp to be a volume.
    for name, pod, container in all_containers(objects):
        volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{name}/{container['name']}"  # noqa: S108
        assert "emptyDir" in volumes[mounts["/tmp"]]  # noqa: S108


def test_every_container_has_resource_requests_and_limits(objects):
    for name, _, container in all_containers(objects):
        resources = container.get("resources", {})
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources.get(bound, {})), (
                f"{name}/{container['name']} {bound}"
            )


def test_no_rendered_object_carries_a_secret_value(objects):
    secrets = [o for o in objects if o["kind"] == "Secret"]
    assert not [s for s in secrets if s.get("data") or s.get("stringData")]
    for config_map in (o for o in objects if o["kind"] == "ConfigMap"):
        assert not SECRET_VARIABLES & set(config_map.get("data", {})), config_map["metadata"]
    for name, _, container in all_containers(objects):
        for variable in container.get("env", []):
            if variable["name"] in SECRET_VARIABLES:
                where = f"{name}/{container['name']} {variable['name']}"
                assert "value" not in variable, where
                assert variable["valueFrom"]["secretKeyRef"]["name"] == SECRET_NAME, where


def test_application_containers_read_the_secret_by_reference(objects):
    app = [d for d in objects if d["metadata"]["name"] in {*APP_DEPLOYMENTS, "response-migrate"}]
    for _, pod in pod_specs(app):
        for container in containers(pod):
            sources = container.get("envFrom", [])
            assert {"secretRef": {"name": SECRET_NAME}} in sources, container["name"]


def test_cron_job_ticks_every_minute_with_the_token(objects):
    cron = named(objects, "CronJob", "response-cron-minute")
    assert cron["spec"]["schedule"] == "* * * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    (tick,) = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert tick["args"][-1] == "/slack/cron_minute"
    env = {variable["name"]: variable for variable in tick["env"]}
    assert env["CRON_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": SECRET_NAME,
        "key": "CRON_TOKEN",
    }
    # It calls the Service, by a name that ALLOWED_HOSTS accepts.
    service = named(objects, "Service", "response")
    assert env["RESPONSE_URL"]["value"] == "http://response"
    assert service["spec"]["ports"][0]["port"] == 80
    assert "response" in config_value(objects, "ALLOWED_HOSTS").split(",")


def test_migrations_run_in_a_job_and_the_pods_wait_for_them(objects):
    job = named(objects, "Job", "response-migrate")
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert "manage.py migrate --noinput" in " ".join(migrate["args"])
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    app = [o for o in objects if o["kind"] == "Deployment"]
    for name, pod in pod_specs(app):
        main = pod["containers"][0]
        # Only the Job migrates: two pods migrating at once would race.
        assert {"name": "RUN_MIGRATIONS", "value": "1"} not in main.get("env", []), name
        if main["args"] == ["web"]:
            assert {"name": "RUN_MIGRATIONS", "value": "0"} in main["env"], name
        waits = [" ".join(c["args"]) for c in pod.get("initContainers", [])]
        assert any("manage.py migrate --check" in w for w in waits), name


def test_web_replicas_are_left_to_the_autoscaler(objects):
    web = named(objects, "Deployment", "response-web")
    hpa = named(objects, "HorizontalPodAutoscaler", "response-web")
    pdb = named(objects, "PodDisruptionBudget", "response-web")
    assert "replicas" not in web["spec"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "response-web"
    assert hpa["spec"]["minReplicas"] >= 2
    pod_labels = web["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_socket_mode_is_off_unless_its_component_is_included():
    plain = render(EXAMPLE)
    with_socket = render(EXAMPLE_SOCKET)
    assert not [o for o in plain if o["metadata"]["name"] == "response-socket"]
    socket = main_container(with_socket, "response-socket")
    assert socket["args"] == ["python", "manage.py", "slack_socket"]
    assert config_value(with_socket, "SLACK_TRANSPORT") == "socket"
    # The component's Deployment gets the overlay's image and namespace like the others.
    web = main_container(with_socket, "response-web")
    assert socket["image"] == web["image"]
    namespaces = {o["metadata"].get("namespace") for o in with_socket if o["kind"] != "Namespace"}
    assert namespaces == {"response"}


def config_value(objects: list[dict[str, Any]], key: str) -> str:
    (config,) = [o for o in objects if o["metadata"]["name"].startswith("response-config")]
    return config["data"][key]


def test_the_worker_pod_serves_its_figures_from_a_directory_its_worker_writes(objects):
    """The worker serves no HTTP: the exporter beside it reads the worker's multi-process files."""
    pod = named(objects, "Deployment", "response-worker")["spec"]["template"]["spec"]
    worker, exporter = (
        next(c for c in pod["containers"] if c.get("args") == args)
        for args in (["worker"], ["python", "-m", "response.metrics.exporter"])
    )

    def metrics_volume(container: dict[str, Any]) -> str:
        directory = next(
            e["value"] for e in container["env"] if e["name"] == "PROMETHEUS_MULTIPROC_DIR"
        )
        return next(m["name"] for m in container["volumeMounts"] if m["mountPath"] == directory)

    assert metrics_volume(worker) == metrics_volume(exporter)
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes[metrics_volume(worker)]
    port = next(e["value"] for e in exporter["env"] if e["name"] == "METRICS_PORT")
    assert {"name": "metrics", "containerPort": int(port)} in exporter["ports"]
