#!/usr/bin/env bash
# Tests the npm package as a user gets it: packs it (scripts/pack.sh), installs the .tgz with better-sqlite3 from the
# npm registry into a new project outside the repository, runs test/*.test.mjs there with node's test runner, and
# type-checks test/types.ts against the package's typings with TypeScript.
#   bash scripts/test.sh          # DISKANN_SO=... reuses a published library; KEEP=1 keeps the temporary folder
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/sqlite-diskann-test-XXXXXX)"
[ "${KEEP:-}" = 1 ] || trap 'rm -rf "$work"' EXIT

tgz="$(bash "$here/scripts/pack.sh" "$work/dist" | tail -n 1)"
echo "packed $(basename "$tgz"): $(tar -tzf "$tgz" | sort | xargs)"

cd "$work" && mkdir app && cd app
npm init -y >/dev/null
npm pkg set type=module
# better-sqlite3 12: 13 needs Node.js 22. TypeScript and better-sqlite3's types only for the typings check.
nice -n 19 npm install --no-audit --no-fund --loglevel=error "$tgz" better-sqlite3@12 typescript@5 @types/better-sqlite3
cp "$here"/test/*.test.mjs "$here/test/types.ts" .
node --test ./*.test.mjs
npx --no-install tsc --noEmit --strict --module nodenext --moduleResolution nodenext --target es2022 --skipLibCheck false types.ts
echo "typings: 1 passed, 0 failed"
