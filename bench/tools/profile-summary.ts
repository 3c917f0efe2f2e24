// Summarizes a .cpuprofile written by `npm run bench -- --profile <variant>`: where the server's time went.
// Usage: node --import tsx bench/tools/profile-summary.ts bench/profiles/<file>.cpuprofile [--top 30] [--match text]
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, ...rest] = process.argv.slice(2);
if (!file) throw new Error("usage: profile-summary.ts <file.cpuprofile> [--top N] [--match text]");
const top = Number(rest[rest.indexOf("--top") + 1]) || 30;
const match = rest.includes("--match") ? rest[rest.indexOf("--match") + 1] : undefined;
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const label = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*\/(node_modules\/|src\/|bench\/)/, "$1")}:${lineNumber + 1}` : "";
  return `${functionName || "(anonymous)"} ${where}`.trim();
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
let idle = 0;
profile.samples.forEach((id, index) => {
  const dt = profile.timeDeltas[index] ?? 0;
  total += dt;
  const node = byId.get(id)!;
  if (node.callFrame.functionName === "(idle)") idle += dt;
  self.set(label(node), (self.get(label(node)) ?? 0) + dt);
  // Inclusive: count each distinct function once per sample along the stack.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const name = label(byId.get(at)!);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
  }
});

const busy = total - idle;
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
console.log(`total ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s; percentages are of busy time`);
const show = (title: string, table: Map<string, number>) => {
  console.log(`\n${title}`);
  [...table]
    .filter(([name]) => !match || name.includes(match))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([name, us]) => console.log(`${pct(us)}  ${name}`));
};
show("self time", self);
show("inclusive time", inclusive);
