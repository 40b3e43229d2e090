#!/usr/bin/env bash
# `make start`: start a local cluster with the freshly built binary.
set -euo pipefail
build=${1:-build}
kubepp="$build/kubepp"
if "$kubepp" start "${@:2}"; then
  exit 0
fi
rc=$?
cat >&2 <<MSG

The local cluster ('kubepp start', issue #9) is not built yet, so there is nothing to start.
What exists today: see '$kubepp --help' (roles marked in the README's status table).
MSG
exit "$rc"
