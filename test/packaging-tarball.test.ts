// The package as the registry would ship it: `npm pack`'s tarball, unpacked into a temporary app's node_modules
// beside the app's own dependencies (the repository's, linked: nothing is downloaded). Every entry loads both ways,
// TypeScript consumers in a CommonJS package type-check against it, nothing ships that no entry uses, and publint and
// @arethetypeswrong/cli find nothing. The last test is why there are two builds (CONTRIBUTING.md, "Why two builds"):
// the same package without its CommonJS build is refused by a `module: "node16"` CommonJS consumer (TS1479).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const require = createRequire(import.meta.url);
const NAME = "gemini-webhooks-express";

interface Manifest {
  exports: Record<string, unknown>;
  bin: Record<string, string>;
  main: string;
  types: string;
}

/** Every file path an export condition tree names. */
function targets(tree: unknown): string[] {
  if (typeof tree === "string") return [tree];
  if (tree && typeof tree === "object") return Object.values(tree).flatMap(targets);
  return [];
}

/** The files of the package a module names by a relative specifier (import, export from, import(), require()). */
function relativeImports(code: string): string[] {
  const found: string[] = [];
  for (const match of code.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g))
    found.push(match[1]!);
  return found;
}

function tsc(project: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", project, "--pretty", "false"], {
    encoding: "utf8",
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

describe("packaging: the packed tarball", () => {
  const work = mkdtempSync(join(tmpdir(), "gemini-webhooks-pack-"));
  const app = join(work, "app");
  const installed = join(app, "node_modules", NAME);
  let tarball = "";
  let files: string[] = [];
  let manifest: Manifest;
  const entries = () => Object.keys(manifest.exports).filter((entry) => entry !== "./package.json");
  const specifier = (entry: string) => (entry === "." ? NAME : `${NAME}/${entry.slice(2)}`);

  before(() => {
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" }),
    ) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, packed[0]!.filename);
    files = packed[0]!.files.map((file) => file.path).sort();
    mkdirSync(installed, { recursive: true });
    execFileSync("tar", ["-xzf", tarball, "-C", installed, "--strip-components", "1"]);
    for (const name of readdirSync(join(root, "node_modules"))) {
      if (name.startsWith(".") || name === NAME) continue;
      symlinkSync(join(root, "node_modules", name), join(app, "node_modules", name));
    }
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "commonjs" }));
    manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as Manifest;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("ships only what an entry, the bin or a reader of the package uses", () => {
    const reached = new Set<string>(["package.json", "README.md", "LICENSE", "CHANGELOG.md", "dist/cjs/package.json"]);
    const queue = [
      ...entries().flatMap((entry) => targets(manifest.exports[entry])),
      ...Object.values(manifest.bin),
      manifest.main,
      manifest.types,
    ]
      .map((path) => path.replace(/^\.\//, ""))
      // The bin is run, never imported: its declarations are for no one.
      .flatMap((path) =>
        Object.values(manifest.bin).includes(`./${path}`) ? [path] : [path, path.replace(/\.js$/, ".d.ts")],
      );
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (reached.has(file)) continue;
      reached.add(file);
      if (!files.includes(file)) continue;
      for (const imported of relativeImports(readFileSync(join(installed, file), "utf8"))) {
        const path = relative(installed, join(installed, dirname(file), imported))
          .split("\\")
          .join("/");
        // A module is used when an entry reaches it by code or by types; it ships as its code and its
        // declarations (a type-only module's code is empty; an internal module's declarations are small).
        queue.push(path, path.replace(/\.js$/, ".d.ts"));
      }
    }
    assert.deepEqual(
      files.filter((file) => !reached.has(file)),
      [],
    );
    assert.ok(files.length > 100, `only ${files.length} files packed`);
  });

  it("every entry loads with require() from a CommonJS app", () => {
    const list = JSON.stringify(entries().map(specifier));
    const output = execFileSync(
      process.execPath,
      ["-e", `for (const s of ${list}) console.log(s, Object.keys(require(s)).length)`],
      { cwd: app, encoding: "utf8" },
    );
    for (const entry of entries()) assert.match(output, new RegExp(`^${specifier(entry)} [1-9]`, "m"), output);
  });

  it("every entry loads with import from an ES module", () => {
    const list = JSON.stringify(entries().map(specifier));
    const output = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", `for (const s of ${list}) console.log(s, Object.keys(await import(s)).length)`],
      { cwd: app, encoding: "utf8" },
    );
    for (const entry of entries()) assert.match(output, new RegExp(`^${specifier(entry)} [1-9]`, "m"), output);
  });

  for (const module of ["commonjs", "node16"] as const) {
    it(`a TypeScript consumer with module "${module}" in a CommonJS package type-checks against it`, () => {
      const project = join(app, `ts-${module}`);
      mkdirSync(project);
      // module "commonjs" resolves as node10, which reads no "exports": only the root entry has types there.
      // skipLibCheck, as `tsc --init` sets it: without it, node16 also checks our declarations' imports of jose,
      // which is ES-module-only, and refuses them (TS1479/TS1541): CONTRIBUTING.md, "Why two builds".
      const imported = module === "commonjs" ? ["."] : entries();
      const lines = imported.map((entry, i) => `import * as entry${i} from "${specifier(entry)}";`);
      lines.push(`export const loaded = [${imported.map((_, i) => `entry${i}`).join(", ")}];`);
      lines.push(`import { geminiWebhooks } from "${NAME}";`);
      lines.push(`export const webhooks = geminiWebhooks({ secret: process.env.GEMINI_WEBHOOK_SECRET });`);
      lines.push(`webhooks.on("batch.succeeded", (event) => { const id: string = event.data.id; void id; });`);
      writeFileSync(join(project, "consumer.ts"), `${lines.join("\n")}\n`);
      writeFileSync(
        join(project, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            module,
            target: "es2022",
            types: ["node"],
            skipLibCheck: true,
          },
          files: ["consumer.ts"],
        }),
      );
      const result = tsc(project);
      assert.equal(result.status, 0, result.output);
    });
  }

  it('without its CommonJS build, a module "node16" CommonJS consumer is refused with TS1479 (why two builds)', () => {
    const esmOnly = join(app, "node_modules", "esm-only-probe");
    cpSync(installed, esmOnly, { recursive: true });
    const probe = JSON.parse(readFileSync(join(esmOnly, "package.json"), "utf8")) as Record<string, unknown>;
    // The same package, as it would be with dist/cjs dropped: every "require" condition and "main" gone.
    const withoutRequire = (tree: unknown): unknown =>
      tree && typeof tree === "object"
        ? Object.fromEntries(
            Object.entries(tree)
              .filter(([condition]) => condition !== "require")
              .map(([key, value]) => [key, withoutRequire(value)]),
          )
        : tree;
    probe.name = "esm-only-probe";
    // An ES-module-only package answers every condition with its ES build ("default"), as jose does.
    probe.exports = JSON.parse(JSON.stringify(withoutRequire(probe.exports)).replaceAll('"import":', '"default":'));
    delete probe.main;
    writeFileSync(join(esmOnly, "package.json"), JSON.stringify(probe));
    const project = join(app, "ts-esm-only");
    mkdirSync(project);
    writeFileSync(
      join(project, "consumer.ts"),
      `import { geminiWebhooks } from "esm-only-probe";\nvoid geminiWebhooks;\n`,
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: "node16",
          target: "es2022",
          types: ["node"],
          skipLibCheck: true,
        },
        files: ["consumer.ts"],
      }),
    );
    const result = tsc(project);
    assert.notEqual(result.status, 0);
    assert.match(result.output, /TS1479/);
  });

  it("publint and @arethetypeswrong/cli find nothing in the tarball", () => {
    const publint = spawnSync(
      process.execPath,
      [join(root, "node_modules/publint/src/cli.js"), "--strict", installed],
      {
        encoding: "utf8",
      },
    );
    assert.equal(publint.status, 0, `${publint.stdout}${publint.stderr}`);
    // node10 resolution reads no "exports", so subpaths cannot resolve there: CONTRIBUTING.md, "Publishing".
    const attw = spawnSync(
      process.execPath,
      [
        join(root, "node_modules/@arethetypeswrong/cli/dist/index.js"),
        tarball,
        "--profile",
        "node16",
        "--format",
        "ascii",
      ],
      { encoding: "utf8" },
    );
    assert.equal(attw.status, 0, `${attw.stdout}${attw.stderr}`);
  });
});
