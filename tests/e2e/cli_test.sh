#!/usr/bin/env bash
# The kubepp binary's own surface: help, version, unknown roles and flags.
set -u
kubepp=$1
pass=0; fail=0
check() {  # check NAME WANT_EXIT WANT_SUBSTRING CMD...
  local name=$1 want_rc=$2 want=$3; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" = "$want_rc" ] && [[ "$out" == *"$want"* ]]; then
    pass=$((pass+1)); echo "PASS $name"
  else
    fail=$((fail+1)); echo "FAIL $name: exit $rc, output: $out"
  fi
}
check help            0 "controller-manager"  "$kubepp" --help
check help-roles      0 "cloud-controller-manager" "$kubepp" --help
check no-args         2 "Usage:"              "$kubepp"
check version         0 "Kubernetes API: v1.32" "$kubepp" version
check version-short   0 "0."                  "$kubepp" version --short
check unknown-role    2 'unknown role "nosuchrole"' "$kubepp" nosuchrole
check unknown-flag    2 'unknown flag "--bogus"' "$kubepp" --bogus
check version-badflag 2 'unknown flag'        "$kubepp" version --bogus
for role in server agent apiserver scheduler controller-manager cloud-controller-manager kubelet \
            proxy kubectl start stop status image version; do
  check "lists-$role" 0 "  $role " "$kubepp" --help
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
