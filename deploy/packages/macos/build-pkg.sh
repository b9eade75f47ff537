#!/bin/sh
# Build xlapulse-collector-<version>.pkg on a Mac from the payload build_payload.py made:
#   python3 deploy/packages/build_payload.py --platform macos --out dist
#   sh deploy/packages/macos/build-pkg.sh dist/xlapulse-collector-macos-0.1.0 0.1.0
# pkgbuild exists only on macOS: this was not run on the Linux development machine.
set -eu
payload=$1
version=$2
here=$(cd "$(dirname "$0")" && pwd)
pkgbuild --root "$payload/root" --scripts "$here/scripts" \
  --identifier com.xlapulse.collector --version "$version" --install-location / \
  "xlapulse-collector-$version.pkg"
