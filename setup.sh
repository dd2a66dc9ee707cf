#!/usr/bin/env bash
# Installs everything the project needs on a Debian machine with Python 3.11: the Debian
# packages (when missing), a virtual environment with the pinned requirements, and the
# compiled translation catalogues. Safe to run again. The README's first command runs it.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"

# WeasyPrint needs Pango; PDFs and charts need a CJK font; the translations need gettext; the
# browser tests drive Debian's Chromium (Playwright cannot download a browser here).
DEBIAN_PACKAGES=(gettext fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 chromium)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update -qq
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "These Debian packages are missing; install them as root and run this again:" >&2
        echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

if [ ! -x .venv/bin/python ]; then
    echo "==> virtual environment .venv"
    "$PYTHON" -m venv .venv
fi
echo "==> pinned requirements (requirements/dev.txt)"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements/dev.txt

echo "==> translation catalogues"
env -u DATABASE_URL .venv/bin/python manage.py compilemessages --ignore=.venv -v 0

echo "Set up. Next: .venv/bin/python manage.py demo"
