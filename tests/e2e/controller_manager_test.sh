#!/usr/bin/env bash
# `kubepp controller-manager` as a process: two candidates share the kube-controller-manager
# Lease; the leader empties and removes a deleted namespace; after `kill -9` of the leader the
# standby takes the Lease over (once the lease duration has passed) and does the work. Bad flags
# are refused with upstream's words. Loopback only; every process started here is ended by PID.
set -u
kubepp=$1
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
# Polls a condition for up to $2 seconds.
eventually() {
  local cond=$1 secs=$2
  for _ in $(seq 1 $((secs * 10))); do eval "$cond" && return 0; sleep 0.1; done
  return 1
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$kubepp" apiserver --secure-port "$port" --data-dir "$tmp/data" >"$tmp/apiserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
api="http://127.0.0.1:$port"

out=$("$kubepp" controller-manager --master "$api" --controllers '*,-nosuch' 2>&1); rc=$?
check flags.unknown-controller '[ $rc = 1 ] && [[ "$out" == *"\"nosuch\" is not in the list of known controllers"* ]]'
out=$("$kubepp" controller-manager --master "$api" --leader-elect-lease-duration 15 2>&1); rc=$?
check flags.duration '[ $rc = 2 ] && [[ "$out" == *"time: missing unit in duration \"15\""* ]]'
out=$("$kubepp" controller-manager 2>&1); rc=$?
check flags.no-server '[ $rc = 1 ] && [[ "$out" == *"neither --kubeconfig nor --master"* ]]'

leader_flags=(--master "$api" --leader-elect-lease-duration 3s --leader-elect-renew-deadline 2s
  --leader-elect-retry-period 500ms)
"$kubepp" controller-manager "${leader_flags[@]}" >"$tmp/cm1.log" 2>&1 &
cm1=$!; pids+=($cm1)
lease_holder() {
  curl -s "$api/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("spec",{}).get("holderIdentity",""))' 2>/dev/null
}
check lease.first-holder 'eventually "[ -n \"\$(lease_holder)\" ]" 10'
first=$(lease_holder)
"$kubepp" controller-manager "${leader_flags[@]}" >"$tmp/cm2.log" 2>&1 &
cm2=$!; pids+=($cm2)
sleep 1
check lease.standby-waits '[ "$(lease_holder)" = "$first" ]'

ns_gone() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/api/v1/namespaces/$1")" = 404 ]; }
mkns() {
  curl -sf -X POST -H 'Content-Type: application/json' "$api/api/v1/namespaces" \
    -d "{\"metadata\":{\"name\":\"$1\"}}" >/dev/null
  curl -sf -X POST -H 'Content-Type: application/json' "$api/api/v1/namespaces/$1/configmaps" \
    -d '{"metadata":{"name":"c"},"data":{"a":"b"}}' >/dev/null
  curl -sf -X DELETE "$api/api/v1/namespaces/$1" >/dev/null
}
mkns one
check ns.removed-by-leader 'eventually "ns_gone one" 20'

kill -9 "$cm1"; wait "$cm1" 2>/dev/null
check lease.standby-takes-over 'eventually "[ -n \"\$(lease_holder)\" ] && [ \"\$(lease_holder)\" != \"$first\" ]" 20'
mkns two
check ns.removed-after-failover 'eventually "ns_gone two" 20'

# SIGTERM: the leader releases the Lease on the way out (holderIdentity cleared).
kill -TERM "$cm2"; wait "$cm2"; rc=$?
check shutdown.clean-exit '[ $rc = 0 ]'
check shutdown.lease-released '[ -z "$(lease_holder)" ]'
if [ $fail != 0 ]; then
  echo "--- cm1"; tail -20 "$tmp/cm1.log"; echo "--- cm2"; tail -20 "$tmp/cm2.log"
fi
[ $fail = 0 ]
