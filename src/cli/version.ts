import { readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

const PACKAGE_NAME = "gemini-webhooks-express";

/**
 * The installed package's version, from its package.json, found by walking up from the running script
 * (dist/esm/cli.js, dist/cjs/cli.js or src/cli.ts: the same file serves both builds, which cannot share
 * `import.meta`). Undefined when no package.json of this package is found.
 */
export function packageVersion(scriptPath: string): string | undefined {
  let directory: string;
  try {
    directory = dirname(realpathSync(scriptPath));
  } catch {
    return undefined;
  }
  for (;;) {
    const manifest = readManifest(join(directory, "package.json"));
    if (manifest?.name === PACKAGE_NAME && typeof manifest.version === "string") return manifest.version;
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

function readManifest(path: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}
