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

/**
 * Heap growth of one store of `max` ids after `seen` ids went through it, measured in a function of its own so
 * that no earlier store is still reachable from this frame when the heap is read (in one frame, the first
 * measurement's store stayed alive into the second's "before" and was freed by its "after": a 0 MB reading).
 */
function heapOf(max: number, seen: number): number {
  const before = used();
  const store = memoryStore({ max });
  for (let i = 0; i < seen; i++) {
    const id = idFor(i);
    store.claim(id);
    store.complete(id);
  }
  const mb = (used() - before) / 2 ** 20;
  // Read after the measurement, which keeps the store alive through it, and shows it still holds its ids.
  if (store.claim(idFor(seen - 1)) !== "done") throw new Error("the store forgot its most recent id");
  return mb;
}

const points = sizes.map((ids) => ({ ids, mb: heapOf(ids, ids) }));
const largest = points[points.length - 1]!;
const steadyIds = 100_000;
const steady = { ids: steadyIds, seen: 3 * steadyIds, mb: heapOf(steadyIds, 3 * steadyIds) };
process.stdout.write(JSON.stringify({ points, mbPer100k: (largest.mb / largest.ids) * 100_000, steady }) + "\n");
