"""The diskann loadable extension from Python's own sqlite3 module: the checks the npm package's tests make with
better-sqlite3 (bindings/node/test), here with the standard library only.

    python3 bindings/python/test_diskann.py path/to/diskann.so

Needs a python3 whose sqlite3 module can load extensions (Debian's /usr/bin/python3 can; pyenv builds often
cannot) and SQLite 3.38.0 or later. tests/FunctionalTests runs it against the library it publishes.
"""
import os
import sqlite3
import struct
import sys
import tempfile
import unittest

LIBRARY = os.environ.get("DISKANN_SO", "")


def vector(*values):
    """A vector as the module stores it: float32, little-endian, as a BLOB."""
    return struct.pack("<%df" % len(values), *values)


def connect(path):
    """A connection in autocommit (transactions are explicit) with the extension loaded."""
    db = sqlite3.connect(path, isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(LIBRARY)
    db.enable_load_extension(False)
    return db


def rowids(rows):
    return [r[0] for r in rows]


class DiskAnnFromPython(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory(prefix="diskann-python-")

    def tearDown(self):
        self.folder.cleanup()

    def test_create_insert_in_a_transaction_and_knn(self):
        db = connect(":memory:")
        db.execute("CREATE VIRTUAL TABLE docs_idx USING diskann(dimension=3, metric=l2)")
        db.execute("BEGIN")
        db.executemany("INSERT INTO docs_idx(rowid, vector) VALUES (?, ?)",
                       [(i, vector(i, i % 7, 0)) for i in range(1, 301)])
        db.execute("COMMIT")
        self.assertEqual(db.execute("SELECT count(*) FROM docs_idx").fetchone(), (300,))
        hits = db.execute("SELECT rowid, distance FROM docs_idx WHERE vector MATCH ? AND k = 3",
                          (vector(100, 2.5, 0),)).fetchall()
        self.assertEqual(rowids(hits), [100, 101, 99])
        self.assertAlmostEqual(hits[0][1], 0.5, places=6)   # l2: the Euclidean distance, not its square
        self.assertEqual(db.execute("SELECT vector_to_json(vector) FROM docs_idx WHERE rowid = 10").fetchone(),
                         ("[10,3,0]",))
        db.close()

    def test_a_filter_column_is_evaluated_inside_the_search(self):
        db = connect(":memory:")
        db.execute("CREATE VIRTUAL TABLE docs_idx USING diskann(dimension=3, metric=l2, lang TEXT)")
        db.execute("BEGIN")
        db.executemany("INSERT INTO docs_idx(rowid, vector, lang) VALUES (?, ?, ?)",
                       [(i, vector(i, 0, 0), "en" if i % 4 == 0 else "de") for i in range(1, 201)])
        db.execute("COMMIT")
        hits = db.execute("SELECT rowid, lang FROM docs_idx WHERE vector MATCH ? AND k = 3 AND lang = 'en'",
                          (vector(49, 0, 0),)).fetchall()
        self.assertEqual(hits, [(48, "en"), (52, "en"), (44, "en")])
        db.close()

    def test_a_vector_of_the_wrong_dimension_is_a_clear_error_and_changes_nothing(self):
        db = connect(":memory:")
        db.execute("CREATE VIRTUAL TABLE docs_idx USING diskann(dimension=3, metric=l2)")
        db.execute("INSERT INTO docs_idx(rowid, vector) VALUES (1, ?)", (vector(1, 0, 0),))
        with self.assertRaisesRegex(sqlite3.Error, r"vector has 8 bytes \(2 float32 values\) but the index has dimension 3"):
            db.execute("INSERT INTO docs_idx(rowid, vector) VALUES (2, ?)", (vector(1, 0),))
        with self.assertRaisesRegex(sqlite3.Error, "needs k"):
            db.execute("SELECT rowid FROM docs_idx WHERE vector MATCH ?", (vector(1, 0, 0),)).fetchall()
        self.assertEqual(db.execute("SELECT count(*) FROM docs_idx").fetchone(), (1,))
        db.close()

    def test_the_integrity_check_passes(self):
        db = connect(os.path.join(self.folder.name, "check.db"))
        db.execute("CREATE VIRTUAL TABLE docs_idx USING diskann(dimension=3, metric=cosine, lang TEXT)")
        db.execute("BEGIN")
        db.executemany("INSERT INTO docs_idx(rowid, vector, lang) VALUES (?, ?, ?)",
                       [(i, vector((i % 11) - 5, (i % 13) - 6, i % 5), "en" if i % 2 else "fr") for i in range(1, 501)])
        db.execute("COMMIT")
        db.execute("DELETE FROM docs_idx WHERE rowid % 3 = 0")
        db.execute("INSERT INTO docs_idx(docs_idx) VALUES ('integrity-check')")   # raises on a fault
        if sqlite3.sqlite_version_info >= (3, 44, 0):   # from 3.44 PRAGMA integrity_check reaches virtual tables
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        db.close()

    def test_closing_and_reopening(self):
        path = os.path.join(self.folder.name, "app.db")
        db = connect(path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE VIRTUAL TABLE docs_idx USING diskann(dimension=3, metric=l2, lang TEXT)")
        db.execute("BEGIN")
        db.executemany("INSERT INTO docs_idx(rowid, vector, lang) VALUES (?, ?, ?)",
                       [(i, vector(0, i, 0), "en" if i % 2 else "de") for i in range(1, 101)])
        db.execute("COMMIT")
        knn = "SELECT rowid FROM docs_idx WHERE vector MATCH ? AND k = 2 AND lang = 'en'"
        before = db.execute(knn, (vector(0, 40, 0),)).fetchall()
        self.assertEqual(rowids(before), [39, 41])
        db.close()

        db, other = connect(path), connect(path)
        self.assertEqual(db.execute(knn, (vector(0, 40, 0),)).fetchall(), before)
        db.execute("INSERT INTO docs_idx(rowid, vector, lang) VALUES (1000, ?, 'en')", (vector(0, 40, 0),))
        self.assertEqual(rowids(other.execute(knn, (vector(0, 40, 0),)).fetchall()), [1000, 39])
        other.close()
        db.close()

        plain = sqlite3.connect(path)   # without the module the table cannot be read, and the message says why
        with self.assertRaisesRegex(sqlite3.Error, "no such module: diskann"):
            plain.execute("SELECT count(*) FROM docs_idx").fetchall()
        plain.close()


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        LIBRARY = sys.argv.pop(1)
    if not LIBRARY or not os.path.exists(LIBRARY):
        sys.exit("usage: python3 test_diskann.py path/to/diskann.so  (or DISKANN_SO=...)")
    unittest.main(verbosity=2)
