// The folders of src/ depend on each other in one direction only. Inside every folder (src/ itself included), its
// entries (files and subfolders) are nodes and an import from anything in one entry to anything in another is an
// arrow; no arrow may run back up, so no two entries may reach each other. A loop like telemetry/ ↔ queue/ (a type
// imported back from the folder that imports you) fails here, with the files whose imports close it.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

/** One import between two files of src/, both as paths relative to src/ with "/" separators. */
interface FileImport {
  from: string;
  to: string;
}

// Static imports and re-exports (`import … from`, `export … from`, `import "…"`) and `import("…")` with a literal:
// every way a module of src/ names another one.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)["'](\.{1,2}\/[^"']+)["']/gm;

function srcImports(): FileImport[] {
  const files = (readdirSync(SRC, { recursive: true }) as string[])
    .map((file) => file.split("\\").join("/"))
    .filter((file) => file.endsWith(".ts"));
  const known = new Set(files);
  const imports: FileImport[] = [];
  for (const file of files) {
    const text = readFileSync(join(SRC, file), "utf8");
    for (const match of text.matchAll(SPECIFIER)) {
      const target = relative(SRC, normalize(join(SRC, dirname(file), match[1]!)))
        .split("\\")
        .join("/")
        .replace(/\.js$/, ".ts");
      assert.ok(known.has(target), `${file} imports ${match[1]}, which is no file of src/`);
      imports.push({ from: file, to: target });
    }
  }
  return imports;
}

/**
 * Every pair of sibling entries that reach each other: for each folder, the imports between its entries (a file
 * directly in it, or a subfolder with everything below) as arrows; a loop is a strongly connected set of two or
 * more entries. Returned as readable lines, each naming the loop's entries and the imports that make it.
 */
export function loops(imports: FileImport[]): string[] {
  const found: string[] = [];
  const folders = new Set<string>([""]);
  for (const { from, to } of imports)
    for (const file of [from, to]) {
      const parts = file.split("/");
      for (let depth = 1; depth < parts.length; depth++) folders.add(parts.slice(0, depth).join("/"));
    }
  for (const folder of folders) {
    const prefix = folder === "" ? "" : `${folder}/`;
    const entryOf = (file: string): string | undefined =>
      file.startsWith(prefix) ? prefix + file.slice(prefix.length).split("/")[0]! : undefined;
    const arrows = new Map<string, Map<string, string[]>>();
    for (const { from, to } of imports) {
      const a = entryOf(from);
      const b = entryOf(to);
      if (a === undefined || b === undefined || a === b) continue;
      const targets = arrows.get(a) ?? new Map<string, string[]>();
      targets.set(b, [...(targets.get(b) ?? []), `${from} → ${to}`]);
      arrows.set(a, targets);
    }
    const reaches = (start: string, goal: string): boolean => {
      const seen = new Set<string>();
      const stack = [start];
      while (stack.length > 0) {
        const node = stack.pop()!;
        if (node === goal) return true;
        if (seen.has(node)) continue;
        seen.add(node);
        stack.push(...(arrows.get(node)?.keys() ?? []));
      }
      return false;
    };
    for (const [a, targets] of arrows)
      for (const [b, via] of targets)
        if (reaches(b, a)) found.push(`${a} → ${b} (${via.join(", ")}) and ${b} reaches ${a} back`);
  }
  return found.sort();
}

test("no import in src/ runs back up: no two entries of a folder reach each other", () => {
  const imports = srcImports();
  assert.ok(imports.length > 100, `read ${imports.length} imports from src/: the pattern no longer matches them`);
  assert.deepEqual(loops(imports), []);
});

test("the check finds a loop between two folders, through a third one too", () => {
  const direct = [
    { from: "telemetry/otel.ts", to: "queue/queue.ts" },
    { from: "queue/process.ts", to: "telemetry/telemetry.ts" },
  ];
  assert.equal(loops(direct).length, 2);
  assert.match(loops(direct)[0]!, /queue → telemetry \(queue\/process\.ts → telemetry\/telemetry\.ts\)/);
  const through = [
    { from: "a/one.ts", to: "b/two.ts" },
    { from: "b/two.ts", to: "c.ts" },
    { from: "c.ts", to: "a/three.ts" },
  ];
  assert.equal(loops(through).length, 3);
  const nested = [
    { from: "cli/admin/webhooks.ts", to: "cli/io.ts" },
    { from: "cli/io.ts", to: "cli/admin/gemini-api.ts" },
  ];
  assert.deepEqual(loops(nested), [
    "cli/admin → cli/io.ts (cli/admin/webhooks.ts → cli/io.ts) and cli/io.ts reaches cli/admin back",
    "cli/io.ts → cli/admin (cli/io.ts → cli/admin/gemini-api.ts) and cli/admin reaches cli/io.ts back",
  ]);
  assert.deepEqual(loops([{ from: "queue/process.ts", to: "telemetry/telemetry.ts" }]), []);
});
