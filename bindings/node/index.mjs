// The ES module face of index.cjs (one implementation, so both agree on where the library is).
import { createRequire } from "node:module";

const cjs = createRequire(import.meta.url)("./index.cjs");

export const getLoadablePath = cjs.getLoadablePath;
export const load = cjs.load;
export const entryPoint = cjs.entryPoint;
