// Builds dist/esm (import) and dist/cjs (require) from src/ with the TypeScript compiler.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
rmSync("dist", { recursive: true, force: true });
for (const project of ["tsconfig.build.json", "tsconfig.build.cjs.json"]) {
  execFileSync(process.execPath, [tsc, "-p", project], { stdio: "inherit" });
}
// Files in dist/cjs are CommonJS although the package is "type": "module".
mkdirSync("dist/cjs", { recursive: true });
writeFileSync("dist/cjs/package.json", '{ "type": "commonjs" }\n');
// The package's bin: runnable straight from dist (it starts with a #!/usr/bin/env node line).
chmodSync("dist/esm/cli.js", 0o755);
