// Every link in the project's Markdown resolves, without fetching anything: a relative link names a file in the
// repository (and its #anchor a heading there), an absolute link to this repository maps to a file in it.
// README.md links only absolutely, because the registry's page shows the README outside the repository, where a
// relative link points nowhere.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const pages = [
  "README.md",
  "CONTRIBUTING.md",
  "CHANGELOG.md",
  "bench/README.md",
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

const packageJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { homepage: string };
// The repository's address on the code host, as package.json's homepage names it.
const repositoryUrl = packageJson.homepage.replace(/#.*$/, "");

/** Markdown prose without fenced code blocks and inline code, where brackets are not links. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "``");
}

function linksOf(markdown: string): string[] {
  const text = prose(markdown);
  const links: string[] = [];
  for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push(match[1]!);
  for (const match of text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) links.push(match[1]!);
  return links;
}

/** The anchors a code host gives a page's headings (GitHub's rule: lowercase, punctuation dropped, spaces to -). */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const match of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = match[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/<[^>]+>/g, "");
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(match[1]!);
  return anchors;
}

/** The repository file (and anchor) a link names, or undefined for a link outside the repository. */
function target(page: string, link: string): { file: string; anchor?: string } | undefined {
  const [path, anchor] = link.split("#", 2) as [string, string | undefined];
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
    if (!path.startsWith(`${repositoryUrl}/`) && path !== repositoryUrl) return undefined;
    const inRepo = path.slice(repositoryUrl.length).replace(/^\/(?:blob|tree|raw)\/main\/?/, "");
    if (inRepo === "" || inRepo === "/") return { file: "README.md", ...(anchor ? { anchor } : {}) };
    return { file: decodeURIComponent(inRepo), ...(anchor ? { anchor } : {}) };
  }
  const file = path === "" ? page : relative(root, join(root, dirname(page), decodeURIComponent(path)));
  return { file, ...(anchor ? { anchor } : {}) };
}

test("every link in README.md, CONTRIBUTING.md, CHANGELOG.md, bench/README.md and docs/*.md resolves", () => {
  const broken: string[] = [];
  let checked = 0;
  for (const page of pages) {
    for (const link of linksOf(readFileSync(join(root, page), "utf8"))) {
      const resolved = target(page, link);
      if (!resolved) continue;
      checked++;
      const file = join(root, resolved.file);
      if (!existsSync(file)) {
        broken.push(`${page}: ${link} (no file ${resolved.file})`);
        continue;
      }
      if (resolved.anchor === undefined) continue;
      if (statSync(file).isDirectory() || !file.endsWith(".md")) {
        if (!/^L\d+(-L\d+)?$/.test(resolved.anchor)) broken.push(`${page}: ${link} (an anchor into a non-page)`);
        continue;
      }
      if (!anchorsOf(readFileSync(file, "utf8")).has(resolved.anchor)) {
        broken.push(`${page}: ${link} (no heading #${resolved.anchor} in ${resolved.file})`);
      }
    }
  }
  assert.ok(checked > 50, `only ${checked} links checked: the extraction is broken`);
  assert.deepEqual(broken, []);
});

test("README.md links absolutely (the registry's page shows it outside the repository)", () => {
  const relativeLinks = linksOf(readFileSync(join(root, "README.md"), "utf8")).filter(
    (link) => !/^[a-z][a-z0-9+.-]*:/i.test(link) && !link.startsWith("#"),
  );
  assert.deepEqual(relativeLinks, []);
});

test("the heading anchors follow the code host's rule", () => {
  const anchors = anchorsOf("# Next.js, Hono, Bun (Web `Request`)\n## Why two builds\n## Why two builds\n");
  assert.deepEqual([...anchors], ["nextjs-hono-bun-web-request", "why-two-builds", "why-two-builds-1"]);
});
