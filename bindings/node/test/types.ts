// Type-checked (not run) by scripts/test.sh: the typings accept better-sqlite3's Database and say what comes back.
import Database from "better-sqlite3";
import { entryPoint, getLoadablePath, load, type ExtensionLoader } from "sqlite-diskann";

const db = new Database(":memory:");
load(db);
const path: string = getLoadablePath();
db.loadExtension(path);
const name: string = entryPoint;
const loader: ExtensionLoader = db;
load(loader);
// @ts-expect-error: load needs a connection
load();
