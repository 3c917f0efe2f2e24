// Every ```ts block in README.md and docs/*.md type-checks as written under `tsc --strict`, against this package's
// build as an app would import it. A snippet declares what it assumes (`declare const db: ...`) in plain sight; a
// block that cannot stand alone says so in its first line, `// Not standalone: <why>`, which a reader sees too.
// A snippet whose first line names a file (`// lib/webhooks.ts`) is written there, so the next one can import it
// as an app would (`@/lib/webhooks`, Next.js's default alias). All snippets go through one tsc program: one file
// per snippet, each a module of its own. A block introduced by `<!-- file: runtimes/... -->` is one of the runtime
// matrix's own apps (Deno, Bun, workerd, Next.js types, not Node's): test/runtimes-docs.test.ts holds it equal to
// that file and test/runtimes.test.ts runs it in its real runtime, so it is checked there, not here.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const pages = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];
const NOT_STANDALONE = /^\/\/ Not standalone: \S/;
const NAMED_FILE = /^\/\/ ((?:[\w.-]+\/)*[\w.-]+\.ts)\b/;

interface Snippet {
  page: string;
  /** The line of the page where the snippet's code starts. */
  line: number;
  code: string;
  /** Set when the block is a runtime matrix file (`<!-- file: runtimes/... -->` just above it). */
  runtimeFile?: string;
}

function snippetsOf(page: string): Snippet[] {
  const lines = readFileSync(join(root, page), "utf8").split("\n");
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(```+|~~~+)\s*(\S*)/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.findIndex((line, j) => j > i && line.trim().startsWith(fence[2]!));
    const close = end === -1 ? lines.length : end;
    if (fence[3] === "ts" || fence[3] === "typescript") {
      const marker = /^<!-- file: (runtimes\/\S+) -->$/.exec(lines[i - 1]?.trim() ?? "");
      snippets.push({ page, line: i + 2, code: lines.slice(i + 1, close).join("\n"), runtimeFile: marker?.[1] });
    }
    i = close;
  }
  return snippets;
}

const work = mkdtempSync(join(tmpdir(), "gemini-webhooks-snippets-"));
after(() => rmSync(work, { recursive: true, force: true }));

test("every TypeScript snippet in README.md and docs/*.md type-checks as written (tsc --strict)", () => {
  const snippets = pages.flatMap(snippetsOf);
  assert.ok(snippets.length >= 20, `only ${snippets.length} snippets found: the extraction is broken`);
  const checked = snippets.filter((snippet) => !NOT_STANDALONE.test(snippet.code) && !snippet.runtimeFile);
  const exempt = snippets.filter((snippet) => NOT_STANDALONE.test(snippet.code));
  assert.ok(exempt.length <= 3, `${exempt.length} snippets marked not standalone: keep such exceptions rare`);

  // A temporary app: its node_modules has this package (the repository, so its exports and build) beside the
  // project's own dependencies, which the snippets import as an app would.
  mkdirSync(join(work, "node_modules"));
  for (const name of readdirSync(join(root, "node_modules"))) {
    if (name.startsWith(".")) continue;
    symlinkSync(join(root, "node_modules", name), join(work, "node_modules", name));
  }
  symlinkSync(root, join(work, "node_modules", "gemini-webhooks-express"));
  writeFileSync(join(work, "package.json"), JSON.stringify({ name: "snippets", private: true, type: "module" }));
  const files = checked.map((snippet, index) => {
    const file = NAMED_FILE.exec(snippet.code)?.[1] ?? `${snippet.page.replace(/[/.]/g, "_")}_${index}.ts`;
    mkdirSync(dirname(join(work, file)), { recursive: true });
    // `export {}` makes each file a module, so two snippets' declarations never meet; it changes nothing else.
    writeFileSync(join(work, file), `${snippet.code}\nexport {};\n`);
    return file;
  });
  writeFileSync(
    join(work, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: "es2022",
        module: "esnext",
        moduleResolution: "bundler",
        paths: { "@/*": ["./*"] },
        types: ["node"],
        skipLibCheck: true,
      },
      files,
    }),
  );
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", join(work, "tsconfig.json"), "--pretty", "false"], {
    cwd: work,
    encoding: "utf8",
  });
  // Each error named by the page and line a reader sees.
  const errors = `${run.stdout}${run.stderr}`
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const at = /^(\S+?\.ts)\((\d+),(\d+)\): (.*)$/.exec(line);
      const index = at ? files.indexOf(at[1]!.replace(/\\/g, "/")) : -1;
      if (!at || index === -1) return line;
      const snippet = checked[index]!;
      return `${snippet.page}:${snippet.line + Number(at[2]) - 1}: ${at[4]}`;
    });
  assert.deepEqual(errors, []);
  assert.equal(run.status, 0);
});
