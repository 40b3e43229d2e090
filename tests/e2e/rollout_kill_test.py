#!/usr/bin/python3
"""kill -9 of `kubepp controller-manager` in the middle of a Deployment rollout (issue #6).

A Deployment of 50 replicas (RollingUpdate, maxSurge/maxUnavailable 25%) is rolled out to a new
template; while the rollout is under way the controller manager is killed with SIGKILL and
started again. The rollout must finish, at no moment may more than replicas + maxSurge pods
exist, and nothing may be orphaned (every pod owned by a ReplicaSet of the Deployment, every
ReplicaSet owned by the Deployment, old ReplicaSets at 0).

The test drives kubepp with the official Python client (python3-kubernetes) and plays the
kubelet: every new pod is marked Running and Ready through pods/status shortly after it
appears. The pod count is followed through a watch, which sees every state in
resourceVersion order, so the maximum it records is exact. Loopback only; every process
started here is ended by PID.

usage: rollout_kill_test.py <kubepp binary>
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import kubernetes
from kubernetes import client, watch

NS = "rollout"
NAME = "web"
REPLICAS = 50
MAX_SURGE = 13  # 25% of 50, rounded up
LABELS = {"app": "web"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(cond, secs, what):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        try:
            if cond():
                return
        except kubernetes.client.exceptions.ApiException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out after {secs} s waiting for {what}")


class Cluster:
    def __init__(self, kubepp, tmp):
        self.kubepp = kubepp
        self.tmp = tmp
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}"
        self.procs = []
        self.cm = None
        self.cm_starts = 0

    def spawn(self, args, log):
        out = open(os.path.join(self.tmp, log), "ab")
        p = subprocess.Popen([self.kubepp] + args, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def start_apiserver(self):
        self.spawn(["apiserver", "--secure-port", str(self.port), "--data-dir",
                    os.path.join(self.tmp, "data")], "apiserver.log")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.api + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("apiserver not ready")

    def start_cm(self):
        self.cm_starts += 1
        self.cm = self.spawn(["controller-manager", "--master", self.api,
                              "--leader-elect-lease-duration", "2s",
                              "--leader-elect-renew-deadline", "1500ms",
                              "--leader-elect-retry-period", "250ms"],
                             f"cm{self.cm_starts}.log")

    def kill9_cm(self):
        self.cm.send_signal(signal.SIGKILL)
        self.cm.wait()

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


class Kubelet(threading.Thread):
    """Marks every pod of the namespace Running + Ready ~0.2 s after it appears; follows the pod
    count through the same watch and records its maximum."""

    def __init__(self, core):
        super().__init__(daemon=True)
        self.core = core
        self.live = set()
        self.max_live = 0
        self.max_at = ""
        self.stop = threading.Event()
        self.error = None
        self.pending = {}  # name -> time first seen

    def run(self):
        try:
            self.loop()
        except Exception as e:  # reported by the main thread
            self.error = e

    def loop(self):
        rv = self.core.list_namespaced_pod(NS).metadata.resource_version
        while not self.stop.is_set():
            w = watch.Watch()
            for ev in w.stream(self.core.list_namespaced_pod, NS, resource_version=rv,
                               timeout_seconds=1, allow_watch_bookmarks=False):
                pod = ev["object"]
                rv = pod.metadata.resource_version
                name = pod.metadata.name
                if ev["type"] == "DELETED":
                    self.live.discard(name)
                    self.pending.pop(name, None)
                else:
                    self.live.add(name)
                    ready = any(c.type == "Ready" and c.status == "True"
                                for c in (pod.status.conditions or []))
                    if not ready and name not in self.pending:
                        self.pending[name] = time.monotonic()
                if len(self.live) > self.max_live:
                    self.max_live = len(self.live)
                    self.max_at = rv
                self.mark_ready()
                if self.stop.is_set():
                    break
            self.mark_ready()

    def mark_ready(self):
        now = time.monotonic()
        for name, seen in list(self.pending.items()):
            if now - seen < 0.2:
                continue
            del self.pending[name]
            body = {"status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "ContainersReady", "status": "True"}]}}
            try:
                self.core.patch_namespaced_pod_status(name, NS, body)
            except kubernetes.client.exceptions.ApiException as e:
                if e.status != 404:  # deleted meanwhile
                    raise


def deployment(image):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": NAME},
        "spec": {
            "replicas": REPLICAS,
            "selector": {"matchLabels": LABELS},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {"metadata": {"labels": LABELS},
                         "spec": {"containers": [{"name": "c", "image": image}]}},
        },
    }


def main():
    kubepp = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="kubepp-rollout-")
    c = Cluster(kubepp, tmp)
    failures = []

    def check(name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
        if not ok:
            failures.append(name)

    kubelet = None
    try:
        c.start_apiserver()
        cfg = client.Configuration()
        cfg.host = c.api
        api = client.ApiClient(cfg)
        core = client.CoreV1Api(api)
        apps = client.AppsV1Api(api)
        core.create_namespace({"metadata": {"name": NS}})
        kubelet = Kubelet(core)
        kubelet.start()
        c.start_cm()

        def rolled_out(image):
            d = apps.read_namespaced_deployment(NAME, NS)
            s = d.status
            return (s.observed_generation == d.metadata.generation and
                    s.updated_replicas == REPLICAS and s.replicas == REPLICAS and
                    s.available_replicas == REPLICAS and
                    d.spec.template.spec.containers[0].image == image)

        apps.create_namespaced_deployment(NS, deployment("busybox:1"))
        eventually(lambda: rolled_out("busybox:1"), 120, "first rollout")
        check("first-rollout", True)

        apps.patch_namespaced_deployment(
            NAME, NS, {"spec": {"template": {"spec": {"containers": [
                {"name": "c", "image": "busybox:2"}]}}}})

        def new_rs_pods():
            rs = [r for r in apps.list_namespaced_replica_set(NS).items
                  if r.spec.template.spec.containers[0].image == "busybox:2"]
            return rs[0].status.replicas or 0 if rs else 0

        # Mid-rollout: some new pods exist, far from all.
        eventually(lambda: new_rs_pods() >= 5, 60, "the new ReplicaSet to start")
        mid = new_rs_pods()
        c.kill9_cm()
        check("killed-mid-rollout", mid < REPLICAS, f"{mid} new pods already")
        time.sleep(1)
        c.start_cm()
        # A second kill a little later, then the final run.
        eventually(lambda: new_rs_pods() >= mid + 5 or rolled_out("busybox:2"), 60,
                   "progress after the restart")
        c.kill9_cm()
        c.start_cm()
        eventually(lambda: rolled_out("busybox:2"), 180, "the rollout to finish")
        check("rollout-finished", True)

        d = apps.read_namespaced_deployment(NAME, NS)
        progressing = [x for x in (d.status.conditions or []) if x.type == "Progressing"]
        check("progressing-complete",
              progressing and progressing[0].reason == "NewReplicaSetAvailable",
              str(progressing))

        time.sleep(1)  # let the watch catch up before reading its figures
        check("max-pods", kubelet.max_live <= REPLICAS + MAX_SURGE,
              f"{kubelet.max_live} pods existed at resourceVersion {kubelet.max_at}")
        print(f"     most pods at once: {kubelet.max_live} (limit {REPLICAS + MAX_SURGE})")

        rss = apps.list_namespaced_replica_set(NS).items
        owned_rs = {r.metadata.uid: r for r in rss
                    if any(o.kind == "Deployment" and o.name == NAME and o.controller
                           for o in (r.metadata.owner_references or []))}
        check("replicasets-owned", len(owned_rs) == len(rss) == 2,
              f"{len(owned_rs)} owned of {len(rss)}")
        old = [r for r in owned_rs.values()
               if r.spec.template.spec.containers[0].image == "busybox:1"]
        check("old-replicaset-empty", old and old[0].spec.replicas == 0 and
              (old[0].status.replicas or 0) == 0, str(old and old[0].status))
        pods = core.list_namespaced_pod(NS).items
        orphans = [p.metadata.name for p in pods
                   if not any(o.controller and o.uid in owned_rs
                              for o in (p.metadata.owner_references or []))]
        check("no-orphan-pods", not orphans, str(orphans))
        check("pods-all-new", len(pods) == REPLICAS and all(
            p.spec.containers[0].image == "busybox:2" for p in pods),
            f"{len(pods)} pods")
        if kubelet.error:
            check("kubelet-sim", False, repr(kubelet.error))
    except AssertionError as e:
        check("timeout", False, str(e))
    finally:
        if kubelet:
            kubelet.stop.set()
        c.stop()
        if failures:
            for log in sorted(os.listdir(tmp)):
                if log.endswith(".log"):
                    with open(os.path.join(tmp, log), errors="replace") as f:
                        lines = f.readlines()
                    print(f"--- {log}")
                    sys.stdout.writelines(lines[-20:])
        subprocess.run(["rm", "-rf", tmp], check=False)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
