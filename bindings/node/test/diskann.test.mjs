// The package as a user gets it (scripts/test.sh installs the packed .tgz beside better-sqlite3): load, create,
// insert in a transaction, KNN, a filter column, an error, the integrity check, closing and reopening.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import Database from "better-sqlite3";
import * as diskann from "sqlite-diskann";

const require = createRequire(import.meta.url);

/** A vector as the module stores it: float32, little-endian, as a BLOB. */
const vector = (...values) => Buffer.from(new Float32Array(values).buffer);

function withFolder(body) {
  const folder = mkdtempSync(join(tmpdir(), "sqlite-diskann-"));
  try {
    return body(folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function open(path) {
  const db = new Database(path);
  diskann.load(db);
  return db;
}

test("getLoadablePath names the library in the package, from import and from require alike", () => {
  const path = diskann.getLoadablePath();
  assert.ok(isAbsolute(path) && existsSync(path), path);
  assert.match(path, /node_modules\/sqlite-diskann\/lib\/linux-x64\/diskann\.so$/);
  assert.equal(require("sqlite-diskann").getLoadablePath(), path);
  assert.equal(diskann.entryPoint, "sqlite3_diskann_init");
});

test("create, insert in a transaction, and a KNN query nearest first", () => {
  const db = open(":memory:");
  db.exec("CREATE VIRTUAL TABLE docs_idx USING diskann(dimension=3, metric=l2)");
  const insert = db.prepare("INSERT INTO docs_idx(rowid, vector) VALUES (?, ?)");
  const insertAll = db.transaction((rows) => {
    for (const [id, v] of rows) insert.run(id, vector(...v));
  });
  const rows = [];
  for (let i = 1; i <= 300; i++) rows.push([i, [i, i % 7, 0]]);
  insertAll(rows);

  assert.equal(db.prepare("SELECT count(*) AS n FROM docs_idx").get().n, 300);
  const hits = db
    .prepare("SELECT rowid, distance FROM docs_idx WHERE vector MATCH ? AND k = 3")
    .all(vector(100, 2.5, 0));
  assert.deepEqual(hits.map((h) => h.rowid), [100, 101, 99]);
  assert.equal(hits[0].distance, 0.5);   // l2: the Euclidean distance, not its square
  assert.ok(hits[1].distance <= hits[2].distance);
  // ORDER BY distance LIMIT acts as k on the SQLite better-sqlite3 bundles (3.41 or later).
  const limited = db.prepare("SELECT rowid FROM docs_idx WHERE vector MATCH ? ORDER BY distance LIMIT 2").all(vector(7, 0, 0));
  assert.deepEqual(limited.map((h) => h.rowid), [7, 8]);
  assert.equal(db.prepare("SELECT vector_to_json(vector) AS v FROM docs_idx WHERE rowid = 10").get().v, "[10,3,0]");
  db.close();
});

test("a filter column is evaluated inside the search: k rows among the matching ones", () => {
  const db = open(":memory:");
  db.exec("CREATE VIRTUAL TABLE docs_idx USING diskann(dimension=3, metric=l2, lang TEXT)");
  const insert = db.prepare("INSERT INTO docs_idx(rowid, vector, lang) VALUES (?, ?, ?)");
  db.transaction(() => {
    for (let i = 1; i <= 200; i++) insert.run(i, vector(i, 0, 0), i % 4 === 0 ? "en" : "de");
  })();
  const hits = db
    .prepare("SELECT rowid, lang FROM docs_idx WHERE vector MATCH ? AND k = 3 AND lang = 'en'")
    .all(vector(49, 0, 0));
  assert.deepEqual(hits.map((h) => h.rowid), [48, 52, 44]);
  assert.ok(hits.every((h) => h.lang === "en"));
  db.close();
});

test("a vector of the wrong dimension is a clear error and changes nothing", () => {
  const db = open(":memory:");
  db.exec("CREATE VIRTUAL TABLE docs_idx USING diskann(dimension=3, metric=l2)");
  db.prepare("INSERT INTO docs_idx(rowid, vector) VALUES (1, ?)").run(vector(1, 0, 0));
  assert.throws(
    () => db.prepare("INSERT INTO docs_idx(rowid, vector) VALUES (2, ?)").run(vector(1, 0)),
    (e) => e.code?.startsWith("SQLITE_") && /vector has 8 bytes \(2 float32 values\) but the index has dimension 3/.test(e.message),
  );
  assert.throws(
    () => db.prepare("SELECT rowid FROM docs_idx WHERE vector MATCH ?").all(vector(1, 0, 0)),
    /needs k/,
  );
  assert.equal(db.prepare("SELECT count(*) AS n FROM docs_idx").get().n, 1);
  db.close();
});

test("the integrity check passes, by command and by PRAGMA integrity_check", () => {
  withFolder((folder) => {
    const db = open(join(folder, "check.db"));
    db.exec("CREATE VIRTUAL TABLE docs_idx USING diskann(dimension=3, metric=cosine, lang TEXT)");
    const insert = db.prepare("INSERT INTO docs_idx(rowid, vector, lang) VALUES (?, ?, ?)");
    db.transaction(() => {
      for (let i = 1; i <= 500; i++) insert.run(i, vector(Math.sin(i), Math.cos(i), i % 5), i % 2 ? "en" : "fr");
    })();
    db.exec("DELETE FROM docs_idx WHERE rowid % 3 = 0");
    db.exec("INSERT INTO docs_idx(docs_idx) VALUES ('integrity-check')");
    assert.deepEqual(db.prepare("PRAGMA integrity_check").all(), [{ integrity_check: "ok" }]);
    db.close();
  });
});

test("closing and reopening: the index is in the file, and a new connection loads the library again", () => {
  withFolder((folder) => {
    const path = join(folder, "app.db");
    let db = open(path);
    db.pragma("journal_mode = WAL");
    db.exec("CREATE VIRTUAL TABLE docs_idx USING diskann(dimension=3, metric=l2, lang TEXT)");
    const insert = db.prepare("INSERT INTO docs_idx(rowid, vector, lang) VALUES (?, ?, ?)");
    db.transaction(() => {
      for (let i = 1; i <= 100; i++) insert.run(i, vector(0, i, 0), i % 2 ? "en" : "de");
    })();
    const knn = "SELECT rowid FROM docs_idx WHERE vector MATCH ? AND k = 2 AND lang = 'en'";
    const before = db.prepare(knn).all(vector(0, 40, 0));
    db.close();

    db = open(path);
    const other = open(path);
    assert.deepEqual(db.prepare(knn).all(vector(0, 40, 0)), before);
    db.prepare("INSERT INTO docs_idx(rowid, vector, lang) VALUES (1000, ?, 'en')").run(vector(0, 40, 0));
    assert.deepEqual(other.prepare(knn).all(vector(0, 40, 0)).map((h) => h.rowid), [1000, 39]);
    other.close();
    db.close();

    // Without the module the table cannot be read, and the message says which module is missing.
    const plain = new Database(path);
    assert.throws(() => plain.prepare("SELECT count(*) FROM docs_idx").get(), /no such module: diskann/);
    plain.close();
  });
});
