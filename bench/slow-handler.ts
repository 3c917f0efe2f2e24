// How long Gemini waits for an answer when the handler takes 5 s: inline (the answer waits for the handler)
// vs queued (verify, store in BullMQ, answer; a worker runs the handler). Prints JSON on its last line.
// Needs REDIS_URL. `--quick`: 3 deliveries each instead of 10. Deliveries are sent at once, so the run
// takes about one handler's time.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import express from "express";
import { signV1 } from "./deliveries.js";
import { geminiWebhooks } from "./library.js";
import { benchQueueName, bullmqQueue } from "./library-bullmq.js";

const HANDLER_MS = 5_000;
const count = process.argv.includes("--quick") ? 3 : 10;
const secret = `whsec_${randomBytes(24).toString("base64")}`;
const slowHandler = () => delay(HANDLER_MS);

async function listen(app: express.Express): Promise<{ url: string; server: Server }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`, server };
}

/** Sends `count` fresh deliveries at once; the median time to an answer, in ms. */
async function medianAnswerMs(url: string): Promise<number> {
  const times = await Promise.all(
    Array.from({ length: count }, async () => {
      const delivery = signV1(secret);
      const started = performance.now();
      const response = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body });
      await response.text();
      if (response.status >= 300) throw new Error(`answered ${response.status}`);
      return performance.now() - started;
    }),
  );
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function main(): Promise<void> {
  if (!process.env.REDIS_URL) throw new Error("REDIS_URL is not set");
  const inline = geminiWebhooks({ secret });
  inline.on("batch.succeeded", slowHandler);
  const queue = bullmqQueue({ connection: process.env.REDIS_URL, name: benchQueueName("slow-handler") });
  const queued = geminiWebhooks({ secret, queue });
  queued.on("batch.succeeded", slowHandler);
  const worker = queued.work({ concurrency: count });
  const inlineServer = await listen(express().use("/webhook", inline));
  const queuedServer = await listen(express().use("/webhook", queued));
  try {
    // One warm-up delivery to the queued receiver: its first enqueue also opens the Redis connection.
    await fetch(queuedServer.url, { method: "POST", ...signV1(secret) });
    const [inlineMs, queuedMs] = await Promise.all([
      medianAnswerMs(inlineServer.url),
      medianAnswerMs(queuedServer.url),
    ]);
    console.log(JSON.stringify({ handlerMs: HANDLER_MS, deliveries: count, inlineMs, queuedMs }));
  } finally {
    inlineServer.server.close();
    queuedServer.server.close();
    await worker.close();
    await queue.queue().obliterate({ force: true });
    await queue.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
