// The BullMQ hand-off's own CPU per enqueue, without HTTP: this build's bullmqQueue().enqueue() against
// REDIS_URL, interleaved with a second build's (--compare <dist/esm/bullmq.js>) in the same process for A/B.
// Fresh webhook-ids (the 202 path); half the rounds also send a duplicate of each id (the copy path).
//   npm run build && REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/enqueue-micro.ts [--rounds N] [--compare path]
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import type * as Bullmq from "../src/bullmq.js";

const argument = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const url = process.env.REDIS_URL;
if (!url) throw new Error("set REDIS_URL");
const load = async (path: string) => (await import(pathToFileURL(path).href)) as typeof Bullmq;
const builds: [string, typeof Bullmq][] = [["this", await load(new URL("../dist/esm/bullmq.js", import.meta.url).pathname)]];
const compare = argument("--compare");
if (compare) builds.push(["compare", await load(compare)]);
const tag = randomBytes(4).toString("hex");
const queues = builds.map(([name, lib]) => [name, lib.bullmqQueue({ connection: url, name: `enqueue-micro-${tag}-${name}` })] as const);

let sequence = 0;
function delivery(webhookId: string) {
  const event = { type: "batch.succeeded", version: "v1", timestamp: "2026-01-22T12:00:00Z", data: { id: `batches/${webhookId}` } };
  return {
    event,
    context: { webhookId, timestamp: Math.floor(Date.now() / 1000), scheme: "v1" as const, secretIndex: 0 },
    rawBody: Buffer.from(JSON.stringify(event)).toString("base64"),
    receivedAt: Date.now(),
  } as unknown as Bullmq.QueuedDelivery;
}

const rounds = Number(argument("--rounds")) || 20;
const perBatch = 500;
const took: Record<string, { fresh: number[]; copy: number[] }> = Object.fromEntries(queues.map(([n]) => [n, { fresh: [], copy: [] }]));
for (let round = 0; round < rounds + 2; round++) {
  for (let i = 0; i < queues.length; i++) {
    const [name, queue] = queues[(i + round) % queues.length]!;
    const batch = Array.from({ length: perBatch }, () => delivery(`msg_${tag}_${++sequence}`));
    for (const kind of ["fresh", "copy"] as const) {
      const start = process.cpuUsage();
      for (const d of batch) {
        const result = await queue.enqueue(d);
        if (result !== (kind === "fresh" ? "queued" : "duplicate")) throw new Error(`${name}: ${kind} enqueue answered ${result}`);
      }
      const { user, system } = process.cpuUsage(start);
      if (round >= 2) took[name]![kind].push((user + system) / perBatch);
    }
  }
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[list.length >> 1]!;
for (const [name] of queues) {
  console.log(
    `${name.padEnd(8)} fresh ${median(took[name]!.fresh).toFixed(1)} µs, duplicate ${median(took[name]!.copy).toFixed(1)} µs CPU per enqueue (medians of ${rounds} rounds)`,
  );
}
for (const [, queue] of queues) {
  await queue.queue().obliterate({ force: true });
  await queue.close();
}
