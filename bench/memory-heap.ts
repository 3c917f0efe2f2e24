// Heap used by the default memory dedupe store holding N handled webhook-ids (run with --expose-gc).
// Prints one JSON line: { points: [{ ids, mb }], mbPer100k, steady }: `points` after the store first fills up,
// `steady` for a 100 000-id store that has seen 3× that many ids (forgetting the oldest all along, as in production).
import { memoryStore } from "./library.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");

const quick = process.argv.includes("--quick");
const sizes = quick ? [100_000] : [100_000, 1_000_000];

function used(): number {
  gc!();
  gc!();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  // Typed-array memory (outside the JS heap) is counted too, so that no store can hide its bookkeeping there.
  return heapUsed + arrayBuffers;
}

// Ids like Gemini's (`msg_` + 26 characters), made as flat strings, the way the HTTP parser hands them over.
const scratch = Buffer.alloc(30);
scratch.write("msg_", 0, "latin1");
function idFor(n: number): string {
  scratch.write(n.toString(36).padStart(26, "0"), 4, "latin1");
  return scratch.toString("latin1");
}

const points: { ids: number; mb: number }[] = [];
for (const ids of sizes) {
  const before = used();
  const store = memoryStore({ max: ids });
  for (let i = 0; i < ids; i++) {
    const id = idFor(i);
    store.claim(id);
    store.complete(id);
  }
  const after = used();
  if (store.claim(idFor(0)) !== "done") throw new Error("the store forgot an id it should hold");
  points.push({ ids, mb: (after - before) / 2 ** 20 });
}
const largest = points[points.length - 1]!;

const steadyIds = 100_000;
const beforeSteady = used();
const steadyStore = memoryStore({ max: steadyIds });
for (let i = 0; i < 3 * steadyIds; i++) {
  const id = idFor(i);
  steadyStore.claim(id);
  steadyStore.complete(id);
}
const steady = { ids: steadyIds, seen: 3 * steadyIds, mb: (used() - beforeSteady) / 2 ** 20 };
if (steadyStore.claim(idFor(3 * steadyIds - 1)) !== "done") throw new Error("the store forgot its most recent id");
process.stdout.write(JSON.stringify({ points, mbPer100k: (largest.mb / largest.ids) * 100_000, steady }) + "\n");
