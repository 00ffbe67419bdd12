#!/usr/bin/env bash
# Installs what `ivr` needs on Debian 12, skipping whatever is already there:
# the Debian packages (redis-server, ffmpeg, espeak-ng, sox, chromium, make,
# python3-venv) and a .venv with `pip install -e '.[dev]'`.
# Safe to run again and again: with everything present it only checks.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${IVR_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

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
)

missing=()
for cmd in "${!PACKAGE_OF[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$cmd]}")
done
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    missing+=(python3 python3-venv)
elif ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 && [ ! -x "$VENV/bin/python" ]; then
    # Debian splits venv/ensurepip out of python3.
    missing+=(python3-venv)
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

# Reinstall only when pyproject.toml (the dependency list) changed since the last install.
stamp="$VENV/.ivr-installed"
want="$(cat pyproject.toml "$VENV/pyvenv.cfg" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/ivr" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing ivr and its dependencies into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[dev]'
    printf '%s\n' "$want" >"$stamp"
fi
