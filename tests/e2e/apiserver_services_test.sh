#!/usr/bin/env bash
# Service ClusterIP / NodePort allocation and the built-in objects, with the real kubectl against
# `kubepp apiserver` (embedded SQLite in a temp dir, loopback only), across a restart.
set -u
kubepp=$1
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start() {
  "$kubepp" apiserver --secure-port "$port" --data-dir "$tmp/data" \
    --service-cluster-ip-range 198.19.0.0/24 --service-node-port-range 30000-30009 \
    --advertise-address 198.18.255.1 >>"$tmp/apiserver.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.1; done
  echo "the API server did not start"; tail -20 "$tmp/apiserver.log"; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null; pid=""; }
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
check() {  # check NAME WANT GOT
  if [[ "$3" == *"$2"* ]]; then echo "PASS $1"; else echo "FAIL $1: wanted [$2] in [$3]"; fail=1; fi
}

start
check kubernetes-svc "198.19.0.1" "$(k get svc kubernetes -o jsonpath='{.spec.clusterIP} {.spec.ports[0].port}')"
check kubernetes-ep "198.18.255.1:$port" "$(k get endpoints kubernetes)"
check kubernetes-slice "198.18.255.1" "$(k get endpointslices kubernetes -o jsonpath='{.endpoints[0].addresses[0]}')"
check priority-classes "system-node-critical" "$(k get priorityclasses)"
check priority-value "2000000000" "$(k get priorityclass system-cluster-critical -o jsonpath='{.value}')"
k create svc clusterip web --tcp=80:8080 >/dev/null
web_ip=$(k get svc web -o jsonpath='{.spec.clusterIP}')
check clusterip-allocated "198.19.0." "$web_ip"
check clusterip-taken "provided IP is already allocated" "$(k create svc clusterip other --tcp=80 --clusterip="$web_ip")"
check clusterip-range "is not in the valid range" "$(k create svc clusterip other --tcp=80 --clusterip=198.19.1.5)"
check nodeport-fixed "80:30003/TCP" "$(k create svc nodeport np --tcp=80:8080 --node-port=30003 >/dev/null; k get svc np)"
check nodeport-taken "provided port is already allocated" "$(k create svc nodeport np2 --tcp=80 --node-port=30003)"
check nodeport-range "The range of valid ports is 30000-30009" "$(k create svc nodeport np2 --tcp=80 --node-port=31000)"
# A PUT without clusterIP keeps it (carried over from the stored object).
k get svc web -o json | python3 -c 'import json,sys; o=json.load(sys.stdin); o["spec"].pop("clusterIP"); o["spec"].pop("clusterIPs"); print(json.dumps(o))' >"$tmp/web.json"
k replace -f "$tmp/web.json" >/dev/null
check clusterip-kept "$web_ip" "$(k get svc web -o jsonpath='{.spec.clusterIP}')"
# NodePort -> ClusterIP drops and releases the node port.
k patch svc np -p '{"spec":{"type":"ClusterIP"}}' >/dev/null
check nodeport-dropped "80/TCP" "$(k get svc np)"
check nodeport-released "service/np3 created" "$(k create svc nodeport np3 --tcp=80 --node-port=30003)"
# Delete releases the address.
k delete svc web >/dev/null
check clusterip-released "service/web2 created" "$(k create svc clusterip web2 --tcp=80 --clusterip="$web_ip")"

# After a restart allocations are still held and nothing is duplicated.
stop
start
check restart-kept "provided IP is already allocated" "$(k create svc clusterip again --tcp=80 --clusterip="$web_ip")"
check restart-kept-port "provided port is already allocated" "$(k create svc nodeport again --tcp=80 --node-port=30003)"
check restart-kubernetes "198.19.0.1" "$(k get svc kubernetes -o jsonpath='{.spec.clusterIP}')"
# Fill the node-port range: every port is handed out once, then a clear error.
for i in $(seq 1 9); do k create svc nodeport "fill$i" --tcp=80 >/dev/null; done
ports=$(k get svc -o jsonpath='{range .items[*]}{.spec.ports[*].nodePort}{"\n"}{end}' | tr ' ' '\n' | grep -v '^0*$' | sort)
check ports-unique "10 10" "$(echo "$ports" | wc -l) $(echo "$ports" | uniq | wc -l)"
check ports-full "range is full" "$(k create svc nodeport full --tcp=80)"
if ! kill -0 "$pid" 2>/dev/null; then echo "the API server died:"; tail -20 "$tmp/apiserver.log"; fail=1; fi
[ $fail = 0 ]
