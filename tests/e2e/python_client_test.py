#!/usr/bin/python3
"""The official Python client (Debian's python3-kubernetes) against `kubepp apiserver`.

kubectl is one client; the client libraries are the others the mission names. This drives the
generated Python client through the calls programs make: typed create/read/list/replace/patch
(strategic merge, JSON merge, JSON patch)/delete, status and scale subresources, label and field
selectors, pagination with limit/continue, watches (with the client's own `watch=True`
spelling), resourceVersion conflicts and errors decoded from Status objects, dynamic client
discovery. Loopback only; the API server started here is ended by PID.

usage: python_client_test.py <kubepp binary>
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from kubernetes import client, dynamic, watch
from kubernetes.client.exceptions import ApiException

failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
    if not ok:
        failures.append(name)


def expect_status(name, fn, code, reason=None):
    try:
        fn()
    except ApiException as e:
        ok = e.status == code and (reason is None or f'"reason":"{reason}"' in e.body.replace(
            " ", ""))
        check(name, ok, f"{e.status} {e.body[:200]}")
        return
    check(name, False, "no error")


def main():
    kubepp = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="kubepp-pyclient-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(os.path.join(tmp, "apiserver.log"), "wb")
    server = subprocess.Popen([kubepp, "apiserver", "--secure-port", str(port), "--data-dir",
                               os.path.join(tmp, "data")], stdout=log, stderr=subprocess.STDOUT)
    try:
        host = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                with urllib.request.urlopen(host + "/readyz", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        cfg = client.Configuration()
        cfg.host = host
        api = client.ApiClient(cfg)
        core = client.CoreV1Api(api)
        apps = client.AppsV1Api(api)
        run(api, core, apps)
    finally:
        server.terminate()
        server.wait(20)
        if failures:
            with open(os.path.join(tmp, "apiserver.log"), errors="replace") as f:
                print("--- apiserver.log")
                sys.stdout.writelines(f.readlines()[-20:])
        subprocess.run(["rm", "-rf", tmp], check=False)
    return 1 if failures else 0


def run(api, core, apps):
    ns = "py"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    check("namespace.active", core.read_namespace(ns).status.phase == "Active")
    v = client.VersionApi(api).get_code()
    check("version", v.major == "1" and v.minor.startswith("32"), f"{v.major}.{v.minor}")

    # Typed create with model objects; defaults come back as models.
    cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c1", labels={"tier": "a"}),
                            data={"k": "v"})
    created = core.create_namespaced_config_map(ns, cm)
    check("create.uid", bool(created.metadata.uid) and created.metadata.resource_version)
    expect_status("create.conflict", lambda: core.create_namespaced_config_map(ns, cm), 409,
                  "AlreadyExists")
    expect_status("get.missing", lambda: core.read_namespaced_config_map("nope", ns), 404,
                  "NotFound")
    bad = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="Bad_Name"))
    expect_status("create.invalid", lambda: core.create_namespaced_config_map(ns, bad), 422,
                  "Invalid")

    # Replace with a stale resourceVersion → 409 Conflict; with the current one → ok.
    cur = core.read_namespaced_config_map("c1", ns)
    cur.data = {"k": "v2"}
    replaced = core.replace_namespaced_config_map("c1", ns, cur)
    check("replace", replaced.data == {"k": "v2"})
    cur.data = {"k": "v3"}
    expect_status("replace.stale", lambda: core.replace_namespaced_config_map("c1", ns, cur), 409,
                  "Conflict")

    # The three patch types (the client picks JSON patch for a list, strategic merge for a dict
    # by default; merge patch through the content type override).
    p = core.patch_namespaced_config_map("c1", ns, {"data": {"x": "1"}})
    check("patch.strategic", p.data == {"k": "v2", "x": "1"}, str(p.data))
    p = core.patch_namespaced_config_map("c1", ns, [{"op": "remove", "path": "/data/x"}])
    check("patch.json", p.data == {"k": "v2"}, str(p.data))
    p = api.call_api(f"/api/v1/namespaces/{ns}/configmaps/c1", "PATCH",
                     header_params={"Content-Type": "application/merge-patch+json",
                                    "Accept": "application/json"},
                     body={"metadata": {"labels": {"tier": "b"}}}, response_type="V1ConfigMap",
                     _return_http_data_only=True)
    check("patch.merge", p.metadata.labels == {"tier": "b"}, str(p.metadata.labels))

    # Selectors and pagination.
    for i in range(2, 8):
        core.create_namespaced_config_map(ns, client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name=f"c{i}", labels={"tier": "a" if i % 2 else "b"})))
    by_label = core.list_namespaced_config_map(ns, label_selector="tier=b")
    check("list.label-selector", sorted(x.metadata.name for x in by_label.items) ==
          ["c1", "c2", "c4", "c6"], str([x.metadata.name for x in by_label.items]))
    by_field = core.list_namespaced_config_map(ns, field_selector="metadata.name=c3")
    check("list.field-selector", [x.metadata.name for x in by_field.items] == ["c3"])
    names, cont, pages = [], None, 0
    while True:
        page = core.list_namespaced_config_map(ns, limit=3, _continue=cont)
        pages += 1
        names += [x.metadata.name for x in page.items]
        cont = page.metadata._continue
        if not cont:
            break
    cms = [f"c{i}" for i in range(1, 8)] + ["kube-root-ca.crt"]
    check("list.pagination", sorted(names) in (sorted(cms), sorted(cms[:-1])) and pages >= 3,
          f"{pages} pages: {names}")

    # Watch: the client sends watch=True; events arrive as models.
    seen = []
    rv = core.list_namespaced_config_map(ns).metadata.resource_version

    def watcher():
        w = watch.Watch()
        for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=rv,
                           timeout_seconds=5):
            seen.append((ev["type"], ev["object"].metadata.name))
            if ev["type"] == "DELETED":
                w.stop()

    t = threading.Thread(target=watcher)
    t.start()
    time.sleep(0.3)
    core.create_namespaced_config_map(ns, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="w")))
    core.patch_namespaced_config_map("w", ns, {"data": {"a": "b"}})
    core.delete_namespaced_config_map("w", ns)
    t.join(10)
    check("watch.events", seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")],
          str(seen))

    # Deployments: status and scale subresources through their typed calls.
    dep = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="d"),
        spec=client.V1DeploymentSpec(
            replicas=2, selector=client.V1LabelSelector(match_labels={"app": "d"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "d"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c",
                                                                     image="busybox")]))))
    d = apps.create_namespaced_deployment(ns, dep)
    check("deployment.defaults", d.spec.strategy.rolling_update.max_surge == "25%" and
          d.spec.revision_history_limit == 10 and d.spec.progress_deadline_seconds == 600)
    sc = apps.read_namespaced_deployment_scale("d", ns)
    check("scale.read", sc.spec.replicas == 2 and sc.status.selector == "app=d",
          f"{sc.spec} {sc.status}")
    apps.patch_namespaced_deployment_scale("d", ns, {"spec": {"replicas": 5}})
    check("scale.patch", apps.read_namespaced_deployment("d", ns).spec.replicas == 5)
    st = apps.patch_namespaced_deployment_status("d", ns, {"status": {"replicas": 3}})
    check("status.patch", st.status.replicas == 3 and st.spec.replicas == 5)

    # DaemonSets carry upstream's template generation annotation: 1, +1 per template change.
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds"},
          "spec": {"selector": {"matchLabels": {"app": "ds"}},
                   "template": {"metadata": {"labels": {"app": "ds"}},
                                "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    gen = "deprecated.daemonset.template.generation"
    d = apps.create_namespaced_daemon_set(ns, ds)
    check("daemonset.template-generation.create", d.metadata.annotations.get(gen) == "1",
          str(d.metadata.annotations))
    d = apps.patch_namespaced_daemon_set("ds", ns, {"metadata": {"labels": {"x": "y"}}})
    check("daemonset.template-generation.same", d.metadata.annotations.get(gen) == "1")
    d = apps.patch_namespaced_daemon_set("ds", ns, {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "busybox:2"}]}}}})
    check("daemonset.template-generation.bump", d.metadata.annotations.get(gen) == "2" and
          d.metadata.generation == 2, f"{d.metadata.annotations} gen {d.metadata.generation}")

    # Pods: typed model round trip with defaults, label selection, delete options.
    pod = client.V1Pod(metadata=client.V1ObjectMeta(name="p", labels={"app": "p"}),
                       spec=client.V1PodSpec(containers=[client.V1Container(
                           name="c", image="busybox:1.36",
                           resources=client.V1ResourceRequirements(
                               requests={"cpu": "100m", "memory": "64Mi"}))]))
    p = core.create_namespaced_pod(ns, pod)
    check("pod.defaults", p.spec.restart_policy == "Always" and p.spec.dns_policy ==
          "ClusterFirst" and p.spec.containers[0].image_pull_policy == "IfNotPresent" and
          p.status.qos_class == "Burstable", f"{p.spec.restart_policy} {p.status.qos_class}")
    check("pod.quantity", p.spec.containers[0].resources.requests == {"cpu": "100m",
                                                                      "memory": "64Mi"})
    all_pods = core.list_pod_for_all_namespaces(label_selector="app=p")
    check("pod.all-namespaces", [x.metadata.name for x in all_pods.items] == ["p"])
    st = core.delete_namespaced_pod("p", ns, body=client.V1DeleteOptions(grace_period_seconds=0))
    check("pod.delete", st is not None)
    expect_status("pod.gone", lambda: core.read_namespaced_pod("p", ns), 404, "NotFound")

    # Dynamic client: discovery of every group, then generic access.
    dyn = dynamic.DynamicClient(api)
    leases = dyn.resources.get(api_version="coordination.k8s.io/v1", kind="Lease")
    leases.create(body={"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                        "metadata": {"name": "l"}, "spec": {"holderIdentity": "me"}},
                  namespace=ns)
    got = leases.get(name="l", namespace=ns)
    check("dynamic.lease", got.spec.holderIdentity == "me")
    pcs = dyn.resources.get(api_version="scheduling.k8s.io/v1", kind="PriorityClass")
    names = sorted(x.metadata.name for x in pcs.get().items)
    check("dynamic.priorityclasses", "system-node-critical" in names, str(names))

    # Namespace deletion is accepted (the namespace controller is not running here).
    core.delete_namespace(ns)
    check("namespace.terminating", core.read_namespace(ns).status.phase == "Terminating")


if __name__ == "__main__":
    sys.exit(main())
