#!/usr/bin/env bash
# pods/binding and pods/eviction (with PodDisruptionBudgets) and /metrics against
# `kubepp apiserver` (memory store, loopback only), driven with curl and the real kubectl.
set -u
kubepp=$1
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$kubepp" apiserver --secure-port "$port" --store memory >"$tmp/apiserver.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
cat >"$tmp/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "http://127.0.0.1:$port"}}]
contexts: [{name: e2e, context: {cluster: e2e, user: e2e}}]
current-context: e2e
users: [{name: e2e, user: {}}]
KC
export KUBECONFIG=$tmp/kubeconfig
fail=0
k() { timeout 30 kubectl "$@" 2>&1; }
post() { curl -s -XPOST -H 'content-type: application/json' "http://127.0.0.1:$port/api/v1/namespaces/default/pods/$1" -d "$2"; }
check() {  # check NAME WANT GOT
  if [[ "$3" == *"$2"* ]]; then echo "PASS $1"; else echo "FAIL $1: wanted [$2] in [$3]"; fail=1; fi
}

k run p1 --image=busybox -l app=x >/dev/null
k run p2 --image=busybox -l app=x >/dev/null
bind='{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p1"},"target":{"kind":"Node","name":"n1"}}'
check bind '"status":"Success","code":201' "$(post p1/binding "$bind")"
check bind-node "n1 True" "$(k get pod p1 -o jsonpath='{.spec.nodeName} {.status.conditions[?(@.type=="PodScheduled")].status}')"
check bind-again 'pod p1 is already assigned to node \"n1\"' "$(post p1/binding "$bind")"
check bind-no-target "target.name: Required value" "$(post p2/binding '{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p2"},"target":{}}')"
check bind-missing '"code":404' "$(post nope/binding "${bind/\"p1\"/\"nope\"}")"
check bind-get '"code":405' "$(curl -s "http://127.0.0.1:$port/api/v1/namespaces/default/pods/p1/binding")"

# A budget allowing no disruption blocks evicting a running pod; a pending pod goes anyway.
k create pdb pdb --selector=app=x --min-available=2 >/dev/null
k patch pod p1 --subresource=status --type=merge -p '{"status":{"phase":"Running"}}' >/dev/null
k patch pdb pdb --subresource=status --type=merge \
  -p '{"status":{"observedGeneration":1,"disruptionsAllowed":0,"currentHealthy":1,"desiredHealthy":2,"expectedPods":2}}' >/dev/null
evict='{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p1"}}'
check evict-blocked "The disruption budget pdb needs 2 healthy pods and has 1 currently" "$(post p1/eviction "$evict")"
check evict-pending '"code":201' "$(post p2/eviction '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p2"}}')"
k patch pdb pdb --subresource=status --type=merge -p '{"status":{"disruptionsAllowed":1,"currentHealthy":3}}' >/dev/null
check evict-allowed '"code":201' "$(post p1/eviction "$evict")"
check evict-budget-used '0 {"p1":' "$(k get pdb pdb -o jsonpath='{.status.disruptionsAllowed} {.status.disruptedPods}')"
# p1 is bound to a node: its deletion is graceful (the kubelet finishes it).
check evict-deleting "p1" "$(k get pod p1 -o jsonpath='{.metadata.name} {.metadata.deletionTimestamp}')"
check evict-gone "NotFound" "$(k get pod p2)"

# Aggregated discovery (kubectl 1.30+ asks for it; 1.27-1.29 for v2beta1).
agg='application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json'
check discovery-aggregated '"subresource":"eviction","responseKind":{"group":"policy","version":"v1","kind":"Eviction"}' \
  "$(curl -s -H "Accept: $agg" "http://127.0.0.1:$port/api")"
check discovery-aggregated-type 'as=APIGroupDiscoveryList' \
  "$(curl -s -o /dev/null -w '%{content_type}' -H "Accept: $agg" "http://127.0.0.1:$port/apis")"
check discovery-groups '"metadata":{"creationTimestamp":null,"name":"apps"}' \
  "$(curl -s -H "Accept: $agg" "http://127.0.0.1:$port/apis")"
check discovery-legacy '"name":"pods/binding"' "$(curl -s "http://127.0.0.1:$port/api/v1")"

metrics=$(curl -s "http://127.0.0.1:$port/metrics")
check metrics-requests 'apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="binding",verb="POST",version="v1"} 1' "$metrics"
check metrics-store 'etcd_request_duration_seconds_count{operation="create",type="pods"} 2' "$metrics"
check metrics-memory "process_resident_memory_bytes" "$metrics"
if ! kill -0 "$pid" 2>/dev/null; then echo "the API server died:"; tail -20 "$tmp/apiserver.log"; fail=1; fi
[ $fail = 0 ]
