// CONTRIBUTING.md maps src/ one line per file: it must name every file there is, and no file that is gone.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

test("CONTRIBUTING.md's map of src/ names every file in src/, and only those", () => {
  const readme = readFileSync(new URL("../CONTRIBUTING.md", import.meta.url), "utf8");
  const map = readme.slice(readme.indexOf("A map of `src/`, one line per file:"));
  const block = /```text\n([\s\S]*?)```/.exec(map)?.[1];
  assert.ok(block, "CONTRIBUTING.md has the map of src/ in a ```text block");
  const mapped = block
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(/\s+/)[0]!)
    .sort();
  const files = (readdirSync(new URL("../src/", import.meta.url), { recursive: true }) as string[])
    .filter((file) => file.endsWith(".ts"))
    .map((file) => file.split("\\").join("/"))
    .sort();
  assert.deepEqual(
    { missing: files.filter((file) => !mapped.includes(file)), gone: mapped.filter((file) => !files.includes(file)) },
    { missing: [], gone: [] },
  );
});
