#!/usr/bin/env bash
# Builds the benchmark against the last COMMITTED src/ (plus the working copy of benchmarks/) in a private
# directory, so a run is not disturbed by files being edited in the shared tree, then runs it with the arguments.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
snap="${BENCH_SNAPSHOT:-/tmp/diskann-bench-snapshot}"
rm -rf "$snap" && mkdir -p "$snap"
git -C "$repo" archive HEAD | tar -x -C "$snap"
rm -rf "$snap/benchmarks" && cp -r "$repo/benchmarks" "$snap/benchmarks"
rm -rf "$snap/benchmarks/DiskAnn.Benchmarks/bin" "$snap/benchmarks/DiskAnn.Benchmarks/obj"
echo "snapshot of $(git -C "$repo" rev-parse --short HEAD) in $snap" >&2
cd "$snap"
dotnet build -c Release benchmarks/DiskAnn.Benchmarks --artifacts-path "$snap/artifacts" -v q -nologo >&2
exec dotnet run -c Release --no-build --project benchmarks/DiskAnn.Benchmarks --artifacts-path "$snap/artifacts" -- "$@"
