#!/usr/bin/env bash
# Server-side apply and managedFields with the real kubectl (1.33, and 1.27 when present)
# against `kubepp apiserver` (embedded SQLite in a temp dir, loopback only): apply creates and
# updates, a second field manager changing an owned field gets upstream's conflict,
# --force-conflicts takes the field over, and managedFields show who owns what.
set -u
kubepp=$1
kubectl_dir=$(dirname "$(readlink -f "$(command -v kubectl)")")
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
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
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
# expect NAME PATTERN CMD...: CMD's output (stdout+stderr) contains PATTERN.
expect() {
  local name=$1 pattern=$2 out
  shift 2
  out=$("$@" 2>&1)
  if grep -qF -- "$pattern" <<<"$out"; then ok "$name"; else bad "$name" "want '$pattern', got: $out"; fi
}
# check NAME 'python expression over managed (list of entries) and obj' CMD...
check_json() {
  local name=$1 expr=$2 out
  shift 2
  out=$("$@" 2>&1)
  if python3 -c "
import json,sys
obj=json.loads(sys.stdin.read())
managed={(e['manager'],e['operation']):e for e in obj['metadata'].get('managedFields',[])}
sys.exit(0 if ($expr) else 1)" <<<"$out"; then ok "$name"; else bad "$name" "$expr on: $out"; fi
}

for v in 1.33 1.27; do
  kubectl="$kubectl_dir/kubectl.$v"
  [ -x "$kubectl" ] || { echo "SKIP: no $kubectl"; continue; }
  k() { KUBECONFIG="$tmp/kubeconfig" "$kubectl" "$@"; }
  ns="ssa-${v/./-}"
  k create ns "$ns" >/dev/null
  cat >"$tmp/cm.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: applied
  labels: {app: ssa}
data:
  k1: v1
  k2: v2
  k4: v4
EOF
  expect "$v.apply-create" "configmap/applied serverside-applied" k -n "$ns" apply --server-side -f "$tmp/cm.yaml"
  check_json "$v.managed-apply" \
    "managed[('kubectl','Apply')]['fieldsV1']=={'f:data':{'f:k1':{},'f:k2':{},'f:k4':{}},'f:metadata':{'f:labels':{'f:app':{}}}}" \
    k -n "$ns" get configmap applied -o json --show-managed-fields
  expect "$v.apply-again" "configmap/applied serverside-applied" k -n "$ns" apply --server-side -f "$tmp/cm.yaml"

  sed 's/k1: v1/k1: other/; /k4:/d' "$tmp/cm.yaml" >"$tmp/cm2.yaml"
  expect "$v.conflict" 'Apply failed with 1 conflict: conflict with "kubectl": .data.k1' \
    k -n "$ns" apply --server-side --field-manager=second -f "$tmp/cm2.yaml"
  expect "$v.force" "configmap/applied serverside-applied" \
    k -n "$ns" apply --server-side --field-manager=second --force-conflicts -f "$tmp/cm2.yaml"
  expect "$v.forced-value" "other" k -n "$ns" get configmap applied -o 'jsonpath={.data.k1}'
  check_json "$v.managed-after-force" \
    "managed[('second','Apply')]['fieldsV1']['f:data']=={'f:k1':{},'f:k2':{}} and 'f:k1' not in managed[('kubectl','Apply')]['fieldsV1']['f:data']" \
    k -n "$ns" get configmap applied -o json --show-managed-fields

  # Fields the first manager stops applying go (k4), unless someone else owns them (k2, the
  # label: "second" applied them too).
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  k3: v3\n' >"$tmp/cm3.yaml"
  expect "$v.apply-remove" "serverside-applied" k -n "$ns" apply --server-side -f "$tmp/cm3.yaml"
  check_json "$v.removal" \
    "obj['data']=={'k1':'other','k2':'v2','k3':'v3'} and obj['metadata']['labels']=={'app':'ssa'}" \
    k -n "$ns" get configmap applied -o json

  # Updates are tracked per manager; an apply that changes their field conflicts.
  expect "$v.create" "configmap/plain created" k -n "$ns" create configmap plain --from-literal=a=1
  check_json "$v.managed-create" \
    "managed[('kubectl-create','Update')]['fieldsV1']=={'f:data':{'.':{},'f:a':{}}}" \
    k -n "$ns" get configmap plain -o json --show-managed-fields
  expect "$v.patch" "patched" k -n "$ns" patch configmap plain --type=merge -p '{"data":{"a":"2","b":"3"}}'
  check_json "$v.managed-patch" \
    "managed[('kubectl-patch','Update')]['fieldsV1']=={'f:data':{'f:a':{},'f:b':{}}} and managed[('kubectl-create','Update')]['fieldsV1']=={'f:data':{}}" \
    k -n "$ns" get configmap plain -o json --show-managed-fields
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: "9"\n' >"$tmp/plain.yaml"
  expect "$v.conflict-update" 'conflict with "kubectl-patch" using v1: .data.a' \
    k -n "$ns" apply --server-side -f "$tmp/plain.yaml"

  # A Deployment: containers merge by name, ports by containerPort+protocol.
  cat >"$tmp/deploy.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{containerPort: 80}]
EOF
  expect "$v.apply-deploy" "deployment.apps/web serverside-applied" k -n "$ns" apply --server-side -f "$tmp/deploy.yaml"
  check_json "$v.managed-deploy" \
    "'k:{\"containerPort\":80,\"protocol\":\"TCP\"}' in managed[('kubectl','Apply')]['fieldsV1']['f:spec']['f:template']['f:spec']['f:containers']['k:{\"name\":\"web\"}']['f:ports'] and obj['spec']['strategy']['type']=='RollingUpdate'" \
    k -n "$ns" get deployment web -o json --show-managed-fields
done

# fieldManager is required for apply (curl: kubectl always sends one).
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
  --data-binary $'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' \
  "http://127.0.0.1:$port/api/v1/namespaces/default/configmaps/x")
if [ "$code" = 422 ] && grep -qF 'is required for apply patch' "$tmp/out"; then ok curl.field-manager-required; else bad curl.field-manager-required "$code $(cat "$tmp/out")"; fi
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
  --data-binary $'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\ndata: {a: "1"}\n' \
  "http://127.0.0.1:$port/api/v1/namespaces/default/configmaps/y?fieldManager=curl")
if [ "$code" = 201 ]; then ok curl.apply-creates; else bad curl.apply-creates "$code $(cat "$tmp/out")"; fi

if ! kill -0 "$pid" 2>/dev/null; then echo "the API server died:"; tail -20 "$tmp/apiserver.log"; failed=$((failed + 1)); fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
