#!/usr/bin/env bash
# The packages as a user gets them: packs the solution into a local feed, checks what each package carries, then
# runs README's "Use it in your app" steps word for word (its sh and csharp blocks) in a new console app outside the
# repository, whose nuget.config puts the feed before the repository's package source: `dotnet add package`,
# `dotnet ef migrations add`, `database update`, and a KNN query through the index.
# Slow (a few minutes: a pack, two restores, three builds): .ci/run runs it under CI=true.
#   bash tests/Packaging/pack-and-use.sh            # KEEP=1 keeps the temporary folder
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/diskann-pack-XXXXXX)"
[ "${KEEP:-}" = 1 ] || trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
passed=0
check() { # check "what" command...: one named check; a failure stops the script
  if "${@:2}"; then passed=$((passed + 1)); echo "ok: $1"; else echo "FAILED: $1" >&2; echo "packaging: $passed passed, 1 failed"; exit 1; fi
}

version="$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' "$repo/eng/Packaging.props")"
echo "version $version; working in $work"

# 1. Pack. Only the libraries under src/ are packages; tests, benchmarks, the sample and the extension are not.
nice -n 19 dotnet pack "$repo/DiskAnn.sln" -c Release -o "$work/feed" -v q -nologo
ls "$work/feed"
# The packages are those of the projects under src/ that say they are (a library added there later is one too).
expected="$(for project in "$repo"/src/*/*.csproj; do
  dotnet msbuild "$project" -getProperty:IsPackable -getProperty:PackageId | python3 -c '
import json, sys
p = json.load(sys.stdin)["Properties"]
print(p["PackageId"] if p["IsPackable"] == "true" else "")'
done | sort | xargs)"
actual="$(cd "$work/feed" && ls ./*.nupkg | sed -e 's:^\./::' -e "s:\.$version\.nupkg$::" | sort | xargs)"
check "the packages are exactly those of src/ (nothing of tests, benchmarks, samples): $expected" [ "$actual" = "$expected" ]
check "DiskAnn.Sqlite is among them" grep -qw "DiskAnn.Sqlite" <<< "$expected"
check "EFCore.DiskAnn is among them" grep -qw "EFCore.DiskAnn" <<< "$expected"

# 2. What each package carries (nuspec metadata, readme, license, symbols with Source Link).
for id in $expected; do
  check "$id: nuspec, readme, license, symbols" python3 - "$work/feed" "$id" "$version" <<'PY'
import sys, zipfile, re
feed, id, version = sys.argv[1:]
pkg = zipfile.ZipFile(f"{feed}/{id}.{version}.nupkg")
names = pkg.namelist()
nuspec = pkg.read(f"{id}.nuspec").decode("utf-8-sig")
problems = []
for needle in ['<license type="expression">MIT</license>', "<readme>README.md</readme>", "<description>",
               "<tags>", '<repository type="git" url="https://github.com/efcore-diskann/EFCore.DiskAnn"', "commit=\""]:
    if needle not in nuspec:
        problems.append("nuspec lacks " + needle)
for name in ["README.md", "LICENSE"]:
    if name not in names:
        problems.append(f"no {name} (eng/Packaging.props packs the project folder's README.md as the package readme)")
if not any(re.fullmatch(r"lib/net10\.0/[^/]+\.dll", n) for n in names) or not any(re.fullmatch(r"lib/net10\.0/[^/]+\.xml", n) for n in names):
    problems.append("no lib/net10.0 assembly with its XML docs")
if id == "EFCore.DiskAnn":
    for name in ["build/EFCore.DiskAnn.targets", "buildTransitive/EFCore.DiskAnn.targets"]:
        if name not in names:
            problems.append("no " + name + " (dotnet ef would not find the design-time services)")
symbols = zipfile.ZipFile(f"{feed}/{id}.{version}.snupkg")
pdbs = [n for n in symbols.namelist() if n.endswith(".pdb")]
if not pdbs:
    problems.append("no PDB in the .snupkg")
elif not any(re.search(rb"raw\.githubusercontent\.com/efcore-diskann/EFCore\.DiskAnn/[0-9a-f]{40}/", symbols.read(p)) for p in pdbs):
    problems.append("the PDB has no Source Link to the commit")
print("\n".join(problems), file=sys.stderr)
sys.exit(1 if problems else 0)
PY
done

# 3. README's section, as its blocks say: sh, then Program.cs, then sh.
python3 - "$repo/README.md" "$work/steps.sh" "$version" <<'PY'
import sys, re
readme, out, version = sys.argv[1:]
text = open(readme, encoding="utf-8").read()
section = re.search(r"^## Use it in your app\n(.*?)^## ", text, re.S | re.M).group(1)
blocks = re.findall(r"^```(sh|csharp)\n(.*?)^```\n", section, re.S | re.M)
kinds = [k for k, _ in blocks]
if kinds != ["sh", "csharp", "sh"]:
    sys.exit(f"README's 'Use it in your app' should have an sh, a csharp and an sh block, has {kinds}")
if f"dotnet add package EFCore.DiskAnn --version {version}\n" not in blocks[0][1]:
    sys.exit(f"README's 'Use it in your app' does not add EFCore.DiskAnn at the packages' version {version}")
with open(out, "w") as f:
    f.write("set -euxo pipefail\n" + blocks[0][1])
    f.write("cat > Program.cs <<'DISKANN_README_PROGRAM'\n" + blocks[1][1] + "DISKANN_README_PROGRAM\n")
    f.write(blocks[2][1])
PY
check "README's steps are an sh, a csharp and an sh block, at version $version" test -s "$work/steps.sh"

# The app's NuGet settings: the feed for these packages, the repository's source for everything else, and a
# package folder of its own, so that no build of these packages in the machine's cache answers for the new one (and
# `dotnet ef` finds the tool where `dotnet tool install` put it: a fallback folder would hide it from the tool runner).
source_url="$(sed -n 's:.*key="nuget.org" value="\([^"]*\)".*:\1:p' "$repo/NuGet.config")"
cat > "$work/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config><add key="globalPackagesFolder" value="$work/packages" /></config>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="$source_url" protocolVersion="3" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local">
$(for id in $expected; do echo "      <package pattern=\"$id\" />"; done)
    </packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
EOF
status=0
# DOTNET_CLI_HOME: the SDK remembers where each local tool was installed (.dotnet/toolResolverCache); that note must
# go with this folder, or the next run's `dotnet ef` would look for the tool here after it is deleted.
mkdir -p "$work/home"
(cd "$work" && DOTNET_CLI_HOME="$work/home" nice -n 19 bash "$work/steps.sh") > "$work/steps.log" 2>&1 || status=$?
grep -v '^\s*$' "$work/steps.log" | tail -n 40
app="$work/MyApp"
check "README's steps ran to the end (exit $status)" [ "$status" = 0 ]
check "the app printed the two nearest" grep -qx "apples, pears" "$work/steps.log"
check "the app restored EFCore.DiskAnn $version from the feed" test -e "$work/packages/efcore.diskann/$version/efcore.diskann.$version.nupkg"
check "the package's build targets pointed dotnet ef at its design-time services" \
  grep -rqs 'DesignTimeServicesReferenceAttribute("Microsoft.EntityFrameworkCore.Design.DiskAnnDesignTimeServices, EFCore.DiskAnn"' "$app/obj"
check "dotnet ef scaffolded the index with the plugin's operation" grep -q 'migrationBuilder.CreateDiskAnnIndex(' "$(ls "$app"/Migrations/*_Initial.cs)"
check "the scaffolded operation has the dimension" grep -q 'dimension: 3' "$(ls "$app"/Migrations/*_Initial.cs)"
check "database update made the diskann table" python3 -c '
import sqlite3, sys
sql = sqlite3.connect(sys.argv[1]).execute("select sql from sqlite_master where name = ?", ("IX_Docs_Embedding",)).fetchone()
sys.exit(0 if sql and "USING diskann(dimension=3" in sql[0] else "no diskann table: %r" % (sql,))' "$app/app.db"
echo "packaging: $passed passed, 0 failed"
