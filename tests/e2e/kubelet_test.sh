#!/usr/bin/env bash
# `kubepp kubelet` as a process with its own containerd, checked with the real kubectl: the Node
# registers with upstream's labels, --node-labels, --register-with-taints, podCIDR, addresses and
# nodeInfo (containerd's version), Ready because containerd's CRI Status says so; the Lease in
# kube-node-lease is renewed; SIGTERM stops the kubelet and its containerd (nothing left);
# pods bound to the node run (env from a ConfigMap, podIP from the CNI bridge, logs, Succeeded,
# CrashLoopBackOff, CreateContainerConfigError) and deletion removes them; a restart
# re-registers the same Node. Needs root and containerd (skips otherwise). The
# kubelet's containerd runs in its own mount namespace (no host /run/containerd). Loopback only;
# every process started here is ended by PID.
set -u
kubepp=$1
if [ "$(id -u)" != 0 ] || [ ! -x /usr/bin/containerd ]; then echo "skip: needs root and containerd"; exit 0; fi
tmp=$(mktemp -d /tmp/kpp-e2e-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
start_apiserver "$kubepp"
k() { kubectl "$@"; }

out=$("$kubepp" kubelet --kubeconfig "$tmp/kubeconfig" --register-with-taints "nonsense" 2>&1); rc=$?
check flags.bad-taint '[ $rc = 2 ] && [[ "$out" == *"invalid --register-with-taints"* ]]'

start_kubelet() {
  "$kubepp" kubelet --kubeconfig "$tmp/kubeconfig" --hostname-override e2e-node \
    --root-dir "$tmp/k" --pod-cidr 198.18.42.0/24 --node-ip 198.18.255.42 \
    --node-labels tier=edge --register-with-taints dedicated=e2e:NoSchedule \
    --isolate-pod-network --cgroup-root "/kpp-e2e-$$" >>"$tmp/kubelet.log" 2>&1 &
  kubelet_pid=$!
  pids+=($kubelet_pid)
}
start_kubelet
ready() { k get node e2e-node -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null; }
check node.ready 'eventually "[ \"\$(ready)\" = True ]" 30'
check node.get 'k get nodes | grep e2e-node | grep -q " Ready "'
check node.labels '[ "$(k get node e2e-node -o jsonpath="{.metadata.labels.kubernetes\.io/os}/{.metadata.labels.kubernetes\.io/hostname}/{.metadata.labels.tier}")" = linux/e2e-node/edge ]'
check node.taint '[ "$(k get node e2e-node -o jsonpath="{.spec.taints[0].key}={.spec.taints[0].value}:{.spec.taints[0].effect}")" = dedicated=e2e:NoSchedule ]'
check node.pod-cidr '[ "$(k get node e2e-node -o jsonpath={.spec.podCIDR})" = 198.18.42.0/24 ]'
check node.address '[ "$(k get node e2e-node -o jsonpath="{.status.addresses[?(@.type==\"InternalIP\")].address}")" = 198.18.255.42 ]'
check node.runtime '[[ "$(k get node e2e-node -o jsonpath={.status.nodeInfo.containerRuntimeVersion})" == containerd://1.6* ]]'
check node.kubelet-version '[ "$(k get node e2e-node -o jsonpath={.status.nodeInfo.kubeletVersion})" = v1.32.0 ]'
check node.capacity '[ "$(k get node e2e-node -o jsonpath={.status.capacity.pods})" = 110 ]'
check node.describe 'k describe node e2e-node | grep -q "kubelet is posting ready status"'
renew() { k -n kube-node-lease get lease e2e-node -o jsonpath='{.spec.renewTime}' 2>/dev/null; }
check lease.exists 'eventually "[ -n \"\$(renew)\" ]" 15'
first=$(renew)
check lease.renewed 'eventually "[ \"\$(renew)\" != \"$first\" ]" 25'
check no-host-run '[ ! -e /run/containerd/containerd.sock ]'
uid=$(k get node e2e-node -o jsonpath={.metadata.uid})

# Pods bound to the node run (kubepp's built-in images, imported at start).
cat >"$tmp/pods.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: greeting}
data: {who: world}
---
apiVersion: v1
kind: Pod
metadata: {name: sleeper}
spec:
  nodeName: e2e-node
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: localhost/busybox:1.35
    command: ["sh", "-c", "echo hello $(WHO); sleep 3600"]
    env:
    - name: WHO
      valueFrom: {configMapKeyRef: {name: greeting, key: who}}
---
apiVersion: v1
kind: Pod
metadata: {name: once}
spec:
  nodeName: e2e-node
  restartPolicy: Never
  containers:
  - name: main
    image: localhost/busybox:1.35
    command: ["sh", "-c", "exit 0"]
---
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  nodeName: e2e-node
  restartPolicy: Always
  containers:
  - name: main
    image: localhost/busybox:1.35
    command: ["sh", "-c", "exit 3"]
---
apiVersion: v1
kind: Pod
metadata: {name: badref}
spec:
  nodeName: e2e-node
  containers:
  - name: main
    image: localhost/busybox:1.35
    command: ["sleep", "3600"]
    env:
    - name: X
      valueFrom: {secretKeyRef: {name: nothere, key: k}}
YAML
check pods.created 'k apply -f "$tmp/pods.yaml" >/dev/null'
phase() { k get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null; }
check pod.running 'eventually "[ \"\$(phase sleeper)\" = Running ]" 60'
check pod.ready '[ "$(k get pod sleeper -o jsonpath="{.status.conditions[?(@.type==\"Ready\")].status}")" = True ]'
check pod.ip '[[ "$(k get pod sleeper -o jsonpath={.status.podIP})" == 198.18.42.* ]]'
check pod.container-id '[[ "$(k get pod sleeper -o jsonpath={.status.containerStatuses[0].containerID})" == containerd://* ]]'
check pod.get-wide 'k get pod sleeper -o wide | grep -q "1/1 *Running"'
log=$(ls "$tmp"/k/pods/default_sleeper_*/main/0.log 2>/dev/null | head -1)
check pod.log-file '[ -n "$log" ] && grep -q "stdout F hello world" "$log"'
check pod.succeeded 'eventually "[ \"\$(phase once)\" = Succeeded ]" 60'
check pod.crashloop 'eventually "k get pod crasher -o jsonpath={.status.containerStatuses[0].state.waiting.reason} | grep -q CrashLoopBackOff" 60'
check pod.crash-exit-code '[ "$(k get pod crasher -o jsonpath={.status.containerStatuses[0].lastState.terminated.exitCode})" = 3 ]'
check pod.config-error 'eventually "[ \"\$(k get pod badref -o jsonpath={.status.containerStatuses[0].state.waiting.reason})\" = CreateContainerConfigError ]" 60'
check pod.config-error-message '[ "$(k get pod badref -o jsonpath={.status.containerStatuses[0].state.waiting.message})" = "secret \"nothere\" not found" ]'
check pod.delete 'k delete pod sleeper --timeout=60s >/dev/null'
check pod.gone '! k get pod sleeper >/dev/null 2>&1'
k delete pod once crasher badref --timeout=60s >/dev/null 2>&1
check pods.all-gone 'eventually "[ -z \"\$(k get pods -o name)\" ]" 30'

kill -TERM "$kubelet_pid"; wait "$kubelet_pid"; rc=$?
check shutdown.clean-exit '[ $rc = 0 ]'
check shutdown.containerd-gone '! pgrep -f "$tmp/k/containerd" >/dev/null'

start_kubelet
check restart.same-node 'eventually "[ \"\$(ready)\" = True ]" 30 && [ "$(k get node e2e-node -o jsonpath={.metadata.uid})" = "$uid" ]'
kill -TERM "$kubelet_pid"; wait "$kubelet_pid"

# The cgroups runc made for the pods (under --cgroup-root) go with the test.
for h in /sys/fs/cgroup/*/kpp-e2e-$$; do
  [ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null
done
if [ $fail != 0 ]; then echo "--- kubelet"; tail -30 "$tmp/kubelet.log"; fi
[ $fail = 0 ]
