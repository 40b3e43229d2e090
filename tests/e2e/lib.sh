# Shared by the e2e scripts (source it after setting `tmp` and `pids=()`):
#   check NAME COND          prints "ok NAME" / "FAIL NAME" (and sets fail=1) after eval COND
#   eventually COND SECS     polls COND every 0.1 s for SECS seconds
#   free_port                a free loopback port
#   start_apiserver KUBEPP   `kubepp apiserver` on a free port with its store under $tmp/data,
#                            waits for /readyz, writes $tmp/kubeconfig and exports KUBECONFIG;
#                            sets `port` and adds the PID to `pids`
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
eventually() {
  local cond=$1 secs=$2
  for _ in $(seq 1 $((secs * 10))); do eval "$cond" && return 0; sleep 0.1; done
  return 1
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
start_apiserver() {
  port=$(free_port)
  "$1" apiserver --secure-port "$port" --data-dir "$tmp/data" >"$tmp/apiserver.log" 2>&1 &
  pids+=($!)
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
  export KUBECONFIG=$tmp/kubeconfig
}
