#!/usr/bin/env bash
# Installs every Debian package kubepp needs to build, test and run.
# Idempotent: when everything is present it only checks (well under a second).
# Nothing is downloaded from anywhere but Debian's archive.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang clang-format clang-tidy
  libclang-rt-14-dev
  # libraries
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libyaml-cpp-dev libsqlite3-dev libssl-dev libcli11-dev libspdlog-dev libfmt-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libarchive-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # real parts the cluster runs and the tests start
  containerd runc containernetworking-plugins etcd-server etcd-client
  iptables nftables iproute2 conntrack busybox-static curl procps psmisc
  python3 python3-kubernetes tzdata
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# --no-install-recommends keeps the install lean; containerd's recommends are not needed.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian's packages start services on install; kubepp supervises its own instances in
# temporary directories, so stop the system-wide ones if they were started (ignore absence).
for svc in containerd etcd; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
  fi
done
