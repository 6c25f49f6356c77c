/**
 * A database connection that can load a SQLite extension: a better-sqlite3 `Database`, a `node:sqlite`
 * `DatabaseSync` opened with `allowExtension: true`, or anything else with this method.
 */
export interface ExtensionLoader {
  loadExtension(path: string, entryPoint?: string): unknown;
}

/**
 * The absolute path of the `diskann` loadable extension for this platform (linux-x64: `diskann.so`), for
 * `db.loadExtension(path)` or `sqlite3_load_extension()`. Throws on a platform the package has no library for.
 */
export declare function getLoadablePath(): string;

/**
 * Loads the extension into `db`: registers the `diskann` virtual-table module, the `diskann_status` table and the
 * `vector_*` functions on that connection. Each connection loads it once; needs SQLite 3.38.0 or later.
 */
export declare function load(db: ExtensionLoader): void;

/** The extension's entry point, `sqlite3_diskann_init`. */
export declare const entryPoint: string;
