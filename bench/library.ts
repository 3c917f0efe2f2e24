// The library as users run it: the build in dist/ (tsc output), not src/ through tsx, whose transform adds
// per-closure helper calls that the published code does not have. `npm run bench` builds first.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type * as Library from "../src/index.js";

const entry = new URL("../dist/esm/index.js", import.meta.url);
if (!existsSync(fileURLToPath(entry)))
  throw new Error("dist/ is missing: run `npm run build` first (npm run bench does).");

export const { geminiWebhooks, memoryStore } = (await import(entry.href)) as typeof Library;
