#!/usr/bin/env bash
# Install filmroom's system packages and Python environment on Debian 12 or Ubuntu.
# Safe to rerun: apt runs only when a package is missing, and the venv is reused.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(
    tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd
    orthanc orthanc-dicomweb
    dicom3tools dcmtk
    python3-venv gcc libc6-dev
    fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf fonts-gnutypewriter
    fonts-courier-prime fonts-dancingscript fonts-breip fonts-dkg-handwriting
    fonts-humor-sans fonts-comic-neue
)

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    SUDO=()
fi

missing=()
for package in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install: system packages already present"
else
    echo "install: apt-get install ${missing[*]}"
    # A policy-rc.d that exits 101 stops invoke-rc.d from starting the services that
    # packages ship, because filmroom's tests start their own Orthanc on free ports.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
        "${SUDO[@]}" chmod 755 "$policy"
        trap '"${SUDO[@]}" rm -f "$policy"' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The orthanc package runs a system service on ports 4242 and 8042, which the tests need
# free. Stop only the process named in the service's pidfile, because Debian's
# /etc/init.d/orthanc stop also kills every /usr/sbin/Orthanc by executable name
# (start-stop-daemon --exec), test servers included.
pidfile=/run/orthanc.pid
if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "install: stopping the orthanc system service (pid $(cat "$pidfile"))"
    "${SUDO[@]}" kill "$(cat "$pidfile")"
    "${SUDO[@]}" rm -f "$pidfile"
fi
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    "${SUDO[@]}" systemctl disable --now orthanc.service >/dev/null 2>&1 || true
elif [ -e /etc/init.d/orthanc ] && ls /etc/rc[2-5].d/S*orthanc >/dev/null 2>&1; then
    echo "install: disabling the orthanc service at boot"
    "${SUDO[@]}" update-rc.d orthanc disable >/dev/null 2>&1 || true
fi

if [ ! -x .venv/bin/python ]; then
    echo "install: creating .venv"
    python3 -m venv .venv
fi

# pip install -e is slow even when nothing changes, so skip it while pyproject.toml is unchanged.
stamp=.venv/.filmroom-installed
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && .venv/bin/python -c "import filmroom, pytest" 2>/dev/null; then
    echo "install: Python packages already installed"
else
    echo "install: pip install -e '.[test]'"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
    touch "$stamp"
fi

echo "install: done"
