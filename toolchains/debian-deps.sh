#!/usr/bin/env bash
# Installs the Debian 12 packages a profile needs, only those missing, then checks they are
# all installed. Profiles: build (compile outpost), test (+ clang sanitizers, schema checks),
# fuzz (tests/fuzz/campaign: clang, tshark and python3-cryptography for seeds),
# bench (+ the peers and tools of tests/bench). Usage: toolchains/debian-deps.sh build [test] [bench]
set -euo pipefail

declare -A PROFILE
PROFILE[build]="g++ cmake ninja-build pkg-config libpcap-dev libndpi-dev libboost-dev libmbedtls-dev libre2-dev libcereal-dev rapidjson-dev zlib1g-dev libgtest-dev googletest"
PROFILE[test]="clang-14 libclang-rt-14-dev python3 python3-jsonschema"
PROFILE[fuzz]="clang-14 libclang-rt-14-dev python3 tshark python3-cryptography"
PROFILE[bench]="libndpi-bin tcpreplay wireshark-common valgrind hyperfine time"

wanted=()
for p in "$@"; do
  [[ -n "${PROFILE[$p]:-}" ]] || { echo "debian-deps: unknown profile '$p' (build, test, fuzz, bench)" >&2; exit 2; }
  # shellcheck disable=SC2206
  wanted+=(${PROFILE[$p]})
done

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "debian-deps: installing ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  # apt-get update can fail on one foreign-architecture index; what matters is that the
  # packages install, which is checked below.
  $SUDO apt-get update -q >/dev/null 2>&1 || echo "debian-deps: apt-get update reported errors (continuing)" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || echo "debian-deps: apt-get install reported errors (checking what is installed)" >&2
fi
still=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || still+=("$pkg")
done
if ((${#still[@]})); then
  echo "debian-deps: missing packages after install: ${still[*]}" >&2
  exit 1
fi
