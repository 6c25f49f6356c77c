#!/usr/bin/env bash
# Packs the npm package: publishes src/DiskAnn.SqliteExtension as a NativeAOT shared library (linux-x64 diskann.so;
# needs the .NET SDK and clang or gcc, about a minute on 2 cores), lays the package out in a staging folder with the
# repository's LICENSE and the version of all packages (eng/Packaging.props), and runs `npm pack` there.
#   bash scripts/pack.sh [output-folder]     # default: bindings/node/dist; prints the path of the .tgz last
# DISKANN_SO=/path/to/diskann.so skips the publish and packs that library instead.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$(mkdir -p "${1:-$here/dist}" && cd "${1:-$here/dist}" && pwd)"
stage="$(mktemp -d /tmp/sqlite-diskann-stage-XXXXXX)"
trap 'rm -rf "$stage"' EXIT

version="$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' "$repo/eng/Packaging.props")"
[ -n "$version" ] || { echo "no VersionPrefix in eng/Packaging.props" >&2; exit 1; }

mkdir -p "$stage/lib/linux-x64"
if [ -n "${DISKANN_SO:-}" ]; then
  cp "$DISKANN_SO" "$stage/lib/linux-x64/diskann.so"
else
  # Its own artifacts folder: the repository's bin/obj (a plain build of the same project) are left alone.
  nice -n 19 dotnet publish "$repo/src/DiskAnn.SqliteExtension" -c Release -r linux-x64 -p:NativeLib=Shared \
    --artifacts-path "$stage/artifacts" -o "$stage/publish" -v q -nologo >&2
  cp "$stage/publish/diskann.so" "$stage/lib/linux-x64/diskann.so"
fi

cp "$here/package.json" "$here/index.cjs" "$here/index.mjs" "$here/index.d.ts" "$here/README.md" "$stage/"
cp "$repo/LICENSE" "$stage/LICENSE"
(cd "$stage" && npm pkg set "version=$version" && npm pack --silent --pack-destination "$out" >/dev/null)
echo "$out/sqlite-diskann-$version.tgz"
