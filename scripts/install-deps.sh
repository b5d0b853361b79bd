#!/bin/bash
# Install everything gatewayd needs to build, run its demo and run its tests
# on Debian 12 (as root).  Safe to run again.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps.sh: run as root (it uses apt-get)" >&2
        exit 1
fi

packages=(
        # build
        build-essential autoconf automake libtool pkg-config
        libmicrohttpd-dev libjansson-dev libssl-dev libsystemd-dev check
        # the built-in default backend and the integration tests
        samba smbclient
        # tests and tools the tests drive
        curl python3 libxml2-utils systemd procps iproute2 cadaver wrk valgrind openssl
        # packages
        debhelper devscripts lintian rpm fakeroot
)

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
