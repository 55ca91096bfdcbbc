#!/usr/bin/env bash
# Creates (or reuses) the Python venv with the real Yunhu clients pinned in
# .ci/clients-requirements.txt, outside the repo, and prints the path of its python.
#
#   CLOUDLAKE_CLIENTS_PYTHON=$(bash .ci/clients.sh)
#   cargo test -p cloudlake-cli --test real_clients
#
# The venv lives in $CLOUDLAKE_CLIENTS_VENV (default /var/tmp/cloudlake-clients-venv). It is
# reused as it is while the requirements file and the python version are those it was built
# from (a stamp file records both); otherwise it is built anew beside it and swapped in, so an
# interrupted build never leaves a half-filled venv that looks ready. Progress goes to stderr;
# stdout carries only the python path. CLOUDLAKE_CLIENTS_BASE_PYTHON names the interpreter to
# build it from (default python3; it needs the venv module: Debian's python3-venv).
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${CLOUDLAKE_CLIENTS_VENV:-/var/tmp/cloudlake-clients-venv}"
requirements=.ci/clients-requirements.txt
python="${CLOUDLAKE_CLIENTS_BASE_PYTHON:-python3}"

stamp_now="$(sha256sum "$requirements" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version)' | head -1)"
if [[ -x "$venv/bin/python" && -f "$venv/.cloudlake-stamp" && "$(cat "$venv/.cloudlake-stamp")" == "$stamp_now" ]]; then
  echo "clients venv up to date: $venv" >&2
  echo "$venv/bin/python"
  exit 0
fi

echo "building the clients venv in $venv" >&2
start=$(date +%s)
fresh="$venv.new.$$"
rm -rf "$fresh"
trap 'rm -rf "$fresh"' EXIT
"$python" -m venv "$fresh"
"$fresh/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
"$fresh/bin/python" -m pip freeze --disable-pip-version-check > "$fresh/.cloudlake-freeze" 2>/dev/null || true
echo "$stamp_now" > "$fresh/.cloudlake-stamp"
# Moving a venv breaks only the shebangs of its console scripts; the suite runs nothing but
# `bin/python` (which finds its venv from pyvenv.cfg beside it).
rm -rf "$venv"
mv "$fresh" "$venv"
trap - EXIT
echo "clients venv built in $(( $(date +%s) - start )) s" >&2
echo "$venv/bin/python"
