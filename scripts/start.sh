#!/usr/bin/env bash
# `make start`: start a local cluster with the freshly built binary.
# Until `kubepp start` (the local-cluster issue, #9) exists, this starts what exists: the API
# server on 127.0.0.1:6443 with its embedded store and the controller manager, and writes a
# kubeconfig for them.
set -euo pipefail
build=${1:-build}
kubepp="$build/kubepp"
if "$kubepp" start --help >/dev/null 2>&1; then
  exec "$kubepp" start "${@:2}"
fi
home=${KUBEPP_HOME:-$HOME/.kubepp}
port=${KUBEPP_PORT:-6443}
mkdir -p "$home"
kubeconfig="$home/kubeconfig"
cat >"$kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- cluster: {server: "http://127.0.0.1:$port"}
  name: kubepp
contexts:
- context: {cluster: kubepp, user: kubepp-admin}
  name: kubepp
current-context: kubepp
users:
- name: kubepp-admin
  user: {}
KC
if [ -f "$home/apiserver.pid" ] && kill -0 "$(cat "$home/apiserver.pid")" 2>/dev/null; then
  echo "kubepp API server already running (pid $(cat "$home/apiserver.pid")) on 127.0.0.1:$port"
else
  "$kubepp" apiserver --secure-port "$port" --data-dir "$home/data" >"$home/apiserver.log" 2>&1 &
  echo $! >"$home/apiserver.pid"
  for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    if ! kill -0 "$(cat "$home/apiserver.pid")" 2>/dev/null; then
      echo "the API server did not start:" >&2; tail -5 "$home/apiserver.log" >&2; exit 1
    fi
    sleep 0.1
  done
  echo "kubepp API server running (pid $(cat "$home/apiserver.pid")) on http://127.0.0.1:$port"
fi
if [ -f "$home/controller-manager.pid" ] && kill -0 "$(cat "$home/controller-manager.pid")" 2>/dev/null; then
  echo "kubepp controller manager already running (pid $(cat "$home/controller-manager.pid"))"
else
  "$kubepp" controller-manager --kubeconfig "$kubeconfig" >"$home/controller-manager.log" 2>&1 &
  echo $! >"$home/controller-manager.pid"
  echo "kubepp controller manager running (pid $(cat "$home/controller-manager.pid"))"
fi
if [ -f "$home/scheduler.pid" ] && kill -0 "$(cat "$home/scheduler.pid")" 2>/dev/null; then
  echo "kubepp scheduler already running (pid $(cat "$home/scheduler.pid"))"
else
  "$kubepp" scheduler --kubeconfig "$kubeconfig" >"$home/scheduler.log" 2>&1 &
  echo $! >"$home/scheduler.pid"
  echo "kubepp scheduler running (pid $(cat "$home/scheduler.pid"))"
fi
cat <<MSG

The API server, the controller manager and the scheduler run so far (kubelet: issues #7-#9):
pods are placed on Node objects but do not run yet; objects are stored in $home/data.

  export KUBECONFIG=$kubeconfig
  kubectl get namespaces
  kubectl create configmap hello --from-literal=greeting=hi

Stop it with:  kill \$(cat $home/scheduler.pid) \$(cat $home/controller-manager.pid) \$(cat $home/apiserver.pid)
Logs: $home/apiserver.log, $home/controller-manager.log, $home/scheduler.log
MSG
