#!/usr/bin/env bash
# Install the Debian packages sirnn needs, only when one is missing.
set -euo pipefail
pkgs=(build-essential openmpi-bin libopenmpi-dev libssl-dev libcriterion-dev
      libjansson-dev libmpfr-dev libgmp-dev pkg-config coreutils python3 iproute2)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "sirnn: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
