#!/usr/bin/env bash
# Installs (or reuses) s3s-fs, an S3-compatible server from crates.io that checks every SigV4
# signature, for the media-on-object-storage tests (crates/server/tests/suite/media_s3.rs), and
# prints the path of its binary. Each test starts its own on a loopback port.
#
#   CLOUDLAKE_TEST_S3FS=$(bash .ci/s3.sh)
#
# It lives in $CLOUDLAKE_S3FS_ROOT (default /var/tmp/cloudlake-s3s), outside the clone, and is
# built once (about 2 minutes on 2 cores) for the pinned version. Progress goes to stderr;
# stdout carries only the binary's path.
set -euo pipefail

version=0.14.1
root="${CLOUDLAKE_S3FS_ROOT:-/var/tmp/cloudlake-s3s}"
binary="$root/bin/s3s-fs"

if [[ -x "$binary" && "$("$binary" --version 2>/dev/null)" == "s3s-fs $version" ]]; then
  echo "s3s-fs $version already installed in $root" >&2
else
  echo "installing s3s-fs $version into $root" >&2
  start=$(date +%s)
  # Its own target dir: not the project's (another lock file, other features).
  CARGO_TARGET_DIR="$root/target" cargo install s3s-fs --version "$version" \
    --features binary --locked --force --root "$root" >&2
  rm -rf "$root/target"
  echo "s3s-fs installed in $(( $(date +%s) - start )) s" >&2
fi
echo "$binary"
