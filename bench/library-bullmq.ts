// The BullMQ adapter as users run it: from the build in dist/ (see library.ts), loaded only by the queued variants.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type * as Bullmq from "../src/bullmq.js";

const entry = new URL("../dist/esm/bullmq.js", import.meta.url);
if (!existsSync(fileURLToPath(entry)))
  throw new Error("dist/ is missing: run `npm run build` first (npm run bench does).");

export const { bullmqQueue } = (await import(entry.href)) as typeof Bullmq;

/** A queue name of this process's own, emptied when the bench ends: a bench run leaves nothing in Redis. */
export function benchQueueName(label: string): string {
  return `gemini-webhooks-bench-${label}-${process.pid}`;
}
