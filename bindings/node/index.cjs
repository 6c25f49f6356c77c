"use strict";
// The loadable extension shipped in this package, for the platforms it ships (one today: linux-x64).
const { join } = require("node:path");
const { existsSync } = require("node:fs");

/** The platforms whose library is in the package, as `${process.platform}-${process.arch}` -> file. */
const LIBRARIES = { "linux-x64": "diskann.so" };

/** The SQLite entry point of the library, for loaders that ask for it. */
const ENTRY_POINT = "sqlite3_diskann_init";

function getLoadablePath() {
  const platform = `${process.platform}-${process.arch}`;
  const file = LIBRARIES[platform];
  if (file === undefined) {
    throw new Error(
      `sqlite-diskann has no library for ${platform}: it ships ${Object.keys(LIBRARIES).join(", ")}. ` +
        "Other platforms can build one from src/DiskAnn.SqliteExtension (dotnet publish -r <rid> -p:NativeLib=Shared).",
    );
  }
  const path = join(__dirname, "lib", platform, file);
  if (!existsSync(path)) {
    throw new Error(`sqlite-diskann: ${path} is missing (a checkout, not a packed package? run npm run pack:local)`);
  }
  return path;
}

function load(db) {
  // SQLite finds the entry point from the file name (diskann.so: sqlite3_diskann_init), so the one-argument form
  // works for better-sqlite3, node:sqlite and the others alike.
  db.loadExtension(getLoadablePath());
}

module.exports = { getLoadablePath, load, entryPoint: ENTRY_POINT };
