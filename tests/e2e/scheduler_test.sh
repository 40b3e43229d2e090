#!/usr/bin/env bash
# `kubepp scheduler` as a process, driven by the real kubectl: `kubepp apiserver` (embedded
# SQLite in a temp dir), `kubepp controller-manager` and `kubepp scheduler --config` with two
# profiles. The test creates Node objects itself (no kubelet): a Deployment's pods are bound and
# spread; a pod too big for any node gets upstream's FailedScheduling message in `kubectl
# describe`; a cordoned node gets no new pods; a pod for an unknown scheduler is left alone;
# after `kill -9` of the scheduler a new one binds what is pending; bad configurations are
# refused; a pod of a high PriorityClass preempts lower-priority pods (nominatedNodeName,
# DisruptionTarget, Preempted event) and is bound once they are gone. Loopback only; every
# process started here is ended by PID.
set -u
kubepp=$1
tmp=$(mktemp -d)
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

# Bad configurations never start scheduling.
cat >"$tmp/bad.yaml" <<'YAML'
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 120
YAML
out=$("$kubepp" scheduler --kubeconfig "$tmp/kubeconfig" --config "$tmp/bad.yaml" 2>&1); rc=$?
check config.invalid '[ $rc = 1 ] && [[ "$out" == *"percentageOfNodesToScore: Invalid value: 120: not in valid range [0-100]"* ]]'
cat >"$tmp/unknown.yaml" <<'YAML'
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  plugins:
    filter:
      enabled:
      - name: NoSuchPlugin
YAML
out=$("$kubepp" scheduler --kubeconfig "$tmp/kubeconfig" --config "$tmp/unknown.yaml" 2>&1); rc=$?
check config.unknown-plugin '[ $rc = 1 ] && [[ "$out" == *"\"NoSuchPlugin\" does not exist"* ]]'
out=$("$kubepp" scheduler 2>&1); rc=$?
check flags.no-server '[ $rc = 1 ] && [[ "$out" == *"neither --kubeconfig nor --master"* ]]'

cat >"$tmp/config.yaml" <<'YAML'
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
leaderElection:
  leaderElect: true
  leaseDuration: 3s
  renewDeadline: 2s
  retryPeriod: 500ms
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packer
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
YAML

for n in 1 2 3; do
  cat <<NODE
apiVersion: v1
kind: Node
metadata:
  name: node-$n
  labels: {kubernetes.io/hostname: node-$n, topology.kubernetes.io/zone: zone-$n}
status:
  capacity: {cpu: "2", memory: 8Gi, pods: "110"}
  allocatable: {cpu: "2", memory: 8Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
---
NODE
done >"$tmp/nodes.yaml"
check nodes.created 'k apply -f "$tmp/nodes.yaml" >/dev/null'
check nodes.status-kept '[ "$(k get node node-1 -o jsonpath={.status.allocatable.cpu})" = 2 ]'

"$kubepp" controller-manager --kubeconfig "$tmp/kubeconfig" >"$tmp/controller-manager.log" 2>&1 &
pids+=($!)
mport=$(free_port)
"$kubepp" scheduler --kubeconfig "$tmp/kubeconfig" --config "$tmp/config.yaml" --secure-port "$mport" >"$tmp/scheduler1.log" 2>&1 &
s1=$!; pids+=($s1)
lease_holder() { k -n kube-system get lease kube-scheduler -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
check lease.taken 'eventually "[ -n \"\$(lease_holder)\" ]" 15'

bound() { k get pods "$@" -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | grep -c .; }
cat >"$tmp/web.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example/web:1
        resources: {requests: {cpu: 200m}}
YAML
k apply -f "$tmp/web.yaml" >/dev/null
check deploy.all-bound 'eventually "[ \"\$(bound -l app=web)\" = 6 ]" 30'
# Six small pods on three empty nodes: the spreading scores put two on each.
check deploy.spread '[ "$(k get pods -l app=web -o jsonpath="{range .items[*]}{.spec.nodeName}{\"\\n\"}{end}" | sort | uniq -c | awk "{print \$1}" | sort -u | tr -d "\n")" = 2 ]'
check metrics.healthz '[ "$(curl -s "http://127.0.0.1:$mport/healthz")" = ok ]'
check metrics.scheduled 'curl -s "http://127.0.0.1:$mport/metrics" | grep -q "scheduler_schedule_attempts_total{result=\"scheduled\"} [1-9]"'
check deploy.scheduled-event 'eventually "k get events --field-selector reason=Scheduled -o name | grep -q ." 10'

k run toobig --image=registry.example/web:1 --overrides='{"spec":{"containers":[{"name":"toobig","image":"registry.example/web:1","resources":{"requests":{"cpu":"8"}}}]}}' >/dev/null
check pod.unschedulable 'eventually "k describe pod toobig | grep -q \"0/3 nodes are available: 3 Insufficient cpu.\"" 20'
check pod.condition '[ "$(k get pod toobig -o jsonpath="{.status.conditions[?(@.type==\"PodScheduled\")].reason}")" = Unschedulable ]'

check node.cordon 'k cordon node-1 | grep -q cordoned'
check node.cordon-shown 'k get nodes | grep node-1 | grep -q SchedulingDisabled'
k scale deployment web --replicas=12 >/dev/null
check cordon.all-bound 'eventually "[ \"\$(bound -l app=web)\" = 12 ]" 30'
on_cordoned=$(k get pods -l app=web -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | grep -c '^node-1$')
check cordon.no-new-pods '[ "$on_cordoned" = 2 ]'
k uncordon node-1 >/dev/null

k run stranger --image=registry.example/web:1 --overrides='{"spec":{"schedulerName":"not-here"}}' >/dev/null
k run packer --image=registry.example/web:1 --overrides='{"spec":{"schedulerName":"bin-packer"}}' >/dev/null
check profile.second-binds 'eventually "[ -n \"\$(k get pod packer -o jsonpath={.spec.nodeName})\" ]" 20'
sleep 1
check profile.unknown-left-alone '[ -z "$(k get pod stranger -o jsonpath={.spec.nodeName})" ] && [ -z "$(k get pod stranger -o jsonpath={.status.conditions})" ]'

# kill -9 mid-flight: a new scheduler takes the Lease over and binds what is pending, once.
kill -9 "$s1"; wait "$s1" 2>/dev/null
k scale deployment web --replicas=18 >/dev/null
"$kubepp" scheduler --kubeconfig "$tmp/kubeconfig" --config "$tmp/config.yaml" --secure-port 0 >"$tmp/scheduler2.log" 2>&1 &
s2=$!; pids+=($s2)
check restart.all-bound 'eventually "[ \"\$(bound -l app=web)\" = 18 ]" 40'
# Every node stays within its 2 cpus (18 x 200m + packer's 0 = 3.6 of 6 cpus; no double count).
check restart.bind-once '[ "$(k get events --field-selector reason=Scheduled -o jsonpath="{range .items[*]}{.involvedObject.name}{\"\\n\"}{end}" | sort | uniq -d | grep -c .)" = 0 ]'

# Preemption: every node has 0.8 cpu free; a 1.5-cpu pod of a high PriorityClass evicts
# priority-0 web pods on one node, is nominated there, and takes the room once they are gone
# (the test plays the kubelet and finishes their deletion).
cat >"$tmp/urgent.yaml" <<'YAML'
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: urgent}
value: 1000000
---
apiVersion: v1
kind: Pod
metadata: {name: urgent}
spec:
  priorityClassName: urgent
  containers:
  - name: urgent
    image: registry.example/web:1
    resources: {requests: {cpu: 1500m}}
YAML
k apply -f "$tmp/urgent.yaml" >/dev/null
check preempt.nominated 'eventually "[ -n \"\$(k get pod urgent -o jsonpath={.status.nominatedNodeName})\" ]" 20'
nominated=$(k get pod urgent -o jsonpath='{.status.nominatedNodeName}')
check preempt.event 'eventually "k get events --field-selector reason=Preempted -o jsonpath={.items[*].message} | grep -q \"on node $nominated\"" 10'
victims=$(k get pods -l app=web -o jsonpath='{range .items[?(@.metadata.deletionTimestamp)]}{.metadata.name} {.spec.nodeName}{"\n"}{end}')
check preempt.victims '[ -n "$victims" ] && [ -z "$(echo "$victims" | awk -v n="$nominated" "\$2 != n")" ]'
check preempt.disruption-condition '[ "$(k get pod "$(echo "$victims" | head -1 | cut -d" " -f1)" -o jsonpath="{.status.conditions[?(@.type==\"DisruptionTarget\")].reason}")" = PreemptionByScheduler ]'
k delete pod $(echo "$victims" | cut -d" " -f1) --force --grace-period=0 >/dev/null 2>&1
check preempt.bound 'eventually "[ \"\$(k get pod urgent -o jsonpath={.spec.nodeName})\" = \"$nominated\" ]" 20'

kill -TERM "$s2"; wait "$s2"; rc=$?
check shutdown.clean-exit '[ $rc = 0 ]'
check shutdown.lease-released '[ -z "$(lease_holder)" ]'
if [ $fail != 0 ]; then
  echo "--- scheduler1"; tail -20 "$tmp/scheduler1.log"; echo "--- scheduler2"; tail -20 "$tmp/scheduler2.log"
fi
[ $fail = 0 ]
