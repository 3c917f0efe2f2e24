// The BullMQ hand-off's own CPU per enqueue, without HTTP: this build's bullmqQueue().enqueue() against
// REDIS_URL, interleaved with other builds' (--compare <dist/esm/bullmq.js>, repeatable) in the same process for A/B.
// Fresh webhook-ids (the 202 path), then a duplicate of each id (the copy path). --concurrency C keeps C
// enqueues in flight (as C HTTP connections would; default 1), which is where batching on the connection shows.
//   npm run build && REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/tools/enqueue-micro.ts [--rounds N] [--concurrency C] [--compare path]
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import type * as Bullmq from "../../src/bullmq.js";

const argument = (name: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const url = process.env.REDIS_URL;
if (!url) throw new Error("set REDIS_URL");
const load = async (path: string) => (await import(pathToFileURL(path).href)) as typeof Bullmq;
// This build, then one per --compare, named by the directory before its /dist/ (the base's worktree name).
const comparePaths = process.argv.flatMap((arg, i) => (arg === "--compare" ? [process.argv[i + 1]!] : []));
const builds: [string, typeof Bullmq][] = [
  ["this", await load(new URL("../../dist/esm/bullmq.js", import.meta.url).pathname)],
];
for (const path of comparePaths)
  builds.push([/([^/]+)\/dist\//.exec(path)?.[1] ?? `compare${builds.length}`, await load(path)]);
const tag = randomBytes(4).toString("hex");
const queues = builds.map(
  ([name, lib]) => [name, lib.bullmqQueue({ connection: url, name: `enqueue-micro-${tag}-${name}` })] as const,
);

let sequence = 0;
function delivery(webhookId: string) {
  const event = {
    type: "batch.succeeded",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { id: `batches/${webhookId}` },
  };
  return {
    event,
    context: { webhookId, timestamp: Math.floor(Date.now() / 1000), scheme: "v1" as const, secretIndex: 0 },
    rawBody: Buffer.from(JSON.stringify(event)).toString("base64"),
    receivedAt: Date.now(),
  } as unknown as Bullmq.QueuedDelivery;
}

const rounds = Number(argument("--rounds")) || 20;
const concurrency = Number(argument("--concurrency")) || 1;
const perBatch = 500;
const took: Record<string, { fresh: number[]; copy: number[] }> = Object.fromEntries(
  queues.map(([n]) => [n, { fresh: [], copy: [] }]),
);
for (let round = 0; round < rounds + 2; round++) {
  for (let i = 0; i < queues.length; i++) {
    const [name, queue] = queues[(i + round) % queues.length]!;
    const batch = Array.from({ length: perBatch }, () => delivery(`msg_${tag}_${++sequence}`));
    for (const kind of ["fresh", "copy"] as const) {
      const start = process.cpuUsage();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < batch.length) {
            const result = await queue.enqueue(batch[next++]!);
            if (result !== (kind === "fresh" ? "queued" : "duplicate"))
              throw new Error(`${name}: ${kind} enqueue answered ${result}`);
          }
        }),
      );
      const { user, system } = process.cpuUsage(start);
      if (round >= 2) took[name]![kind].push((user + system) / perBatch);
    }
  }
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[list.length >> 1]!;
for (const [name] of queues) {
  console.log(
    `${name.padEnd(12)} fresh ${median(took[name]!.fresh).toFixed(1)} µs, duplicate ${median(took[name]!.copy).toFixed(1)} µs CPU per enqueue (medians of ${rounds} rounds, ${concurrency} in flight)`,
  );
}
for (const [, queue] of queues) {
  await queue.queue().obliterate({ force: true });
  await queue.close();
}
