#!/usr/bin/env bash
# The real kubectl against `kubepp apiserver` (embedded SQLite in a temp dir, loopback only) and
# `kubepp controller-manager` (namespace deletion):
# runs the shared acceptance script's `api` stage with the newest and the oldest kubectl we
# support (1.33 sends protobuf bodies and reads OpenAPI v3; 1.27 reads /openapi/v2 as gnostic
# protobuf for apply and explain) and fails on any check that is not in the list of known gaps
# below (each names the issue that closes it).
set -u
kubepp=$1
acceptance=${2:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/acceptance/kubectl-acceptance.sh}
kubectl_dir=$(dirname "$(readlink -f "$(command -v kubectl)")")
known_gaps=()
if [ ! -f "$acceptance" ]; then echo "SKIP: $acceptance not found"; echo "0 passed, 0 failed"; exit 0; fi
tmp=$(mktemp -d)
pid=""
cm_pid=""
cleanup() {
  [ -n "$cm_pid" ] && kill "$cm_pid" 2>/dev/null && wait "$cm_pid" 2>/dev/null
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$kubepp" apiserver --secure-port "$port" --data-dir "$tmp/data" >"$tmp/apiserver.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
cat >"$tmp/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- cluster: {server: "http://127.0.0.1:$port"}
  name: e2e
contexts:
- context: {cluster: e2e, user: e2e}
  name: e2e
current-context: e2e
users:
- name: e2e
  user: {}
KC
"$kubepp" controller-manager --kubeconfig "$tmp/kubeconfig" >"$tmp/controller-manager.log" 2>&1 &
cm_pid=$!
fail=0
for kubectl in "$kubectl_dir/kubectl.1.33" "$kubectl_dir/kubectl.1.27"; do
  [ -x "$kubectl" ] || { echo "SKIP: no $kubectl"; continue; }
  echo "== $(basename "$kubectl")"
  out=$(KUBECONFIG="$tmp/kubeconfig" KUBECTL="$kubectl" bash "$acceptance" api 2>&1)
  echo "$out"
  while read -r name; do
    skip=0
    for g in "${known_gaps[@]}"; do [ "$name" = "$g" ] && skip=1; done
    if [ $skip = 1 ]; then echo "known gap: $name"; else echo "UNEXPECTED FAIL: $name ($(basename "$kubectl"))"; fail=1; fi
  done < <(echo "$out" | sed -n 's/^FAIL \([^ ]*\).*/\1/p')
done
if ! kill -0 "$pid" 2>/dev/null; then echo "the API server died:"; tail -20 "$tmp/apiserver.log"; fail=1; fi
if ! kill -0 "$cm_pid" 2>/dev/null; then echo "the controller manager died:"; tail -20 "$tmp/controller-manager.log"; fail=1; fi
[ $fail = 0 ]
