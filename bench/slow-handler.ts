// How long Gemini waits for an answer when the handler takes 5 s: inline (the answer waits for the handler)
// vs queued (verify, store in BullMQ or pg-boss, answer; a worker runs the handler). Prints JSON on its last
// line. Needs REDIS_URL (BullMQ: `queuedMs`) or DATABASE_URL (pg-boss: `pgbossMs`), or both. `--quick`: 3
// deliveries each instead of 10. Deliveries are sent at once, so the run takes about one handler's time.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import express from "express";
import { signV1 } from "./deliveries.js";
import { geminiWebhooks } from "./library.js";
import type { DeliveryQueue, QueueWorker } from "../src/queue/queue.js";

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

/** A queued receiver on one engine, with a worker in this process; `empty` removes what the run stored. */
interface Engine {
  queue: DeliveryQueue<{ concurrency?: number }, QueueWorker>;
  empty(): Promise<void>;
}

// Each engine's adapter is loaded only when its service is there (the other may not even be installed).
async function bullmqEngine(connection: string): Promise<Engine> {
  const { benchQueueName, bullmqQueue } = await import("./library-bullmq.js");
  const queue = bullmqQueue({ connection, name: benchQueueName("slow-handler") });
  return {
    queue,
    async empty() {
      await queue.queue().obliterate({ force: true });
      await queue.close();
    },
  };
}

async function pgBossEngine(connectionString: string): Promise<Engine> {
  const { benchPgName, dropBenchSchema, pgBossQueue } = await import("./library-pgboss.js");
  const schema = benchPgName("slow-handler");
  const queue = pgBossQueue({ connectionString, schema, name: "deliveries" });
  return {
    queue,
    async empty() {
      await queue.close();
      await dropBenchSchema(connectionString, schema);
    },
  };
}

/** The median time to answer `count` fresh deliveries sent at once to a receiver on `engine`. */
async function queuedAnswerMs(engine: Engine): Promise<number> {
  const webhooks = geminiWebhooks({ secret, queue: engine.queue });
  webhooks.on("batch.succeeded", slowHandler);
  const worker = webhooks.work({ concurrency: count });
  const server = await listen(express().use("/webhook", webhooks));
  try {
    // One warm-up delivery: the first enqueue also opens the connection (and, with pg-boss, starts it).
    const warmUp = await fetch(server.url, { method: "POST", ...signV1(secret) });
    await warmUp.text();
    return await medianAnswerMs(server.url);
  } finally {
    server.server.close();
    await worker.close();
    await engine.empty();
  }
}

async function main(): Promise<void> {
  const { REDIS_URL, DATABASE_URL } = process.env;
  if (!REDIS_URL && !DATABASE_URL) throw new Error("neither REDIS_URL nor DATABASE_URL is set");
  const inline = geminiWebhooks({ secret });
  inline.on("batch.succeeded", slowHandler);
  const inlineServer = await listen(express().use("/webhook", inline));
  try {
    // All at once: each measurement takes about one handler's time.
    const [inlineMs, queuedMs, pgbossMs] = await Promise.all([
      medianAnswerMs(inlineServer.url),
      REDIS_URL ? bullmqEngine(REDIS_URL).then(queuedAnswerMs) : undefined,
      DATABASE_URL ? pgBossEngine(DATABASE_URL).then(queuedAnswerMs) : undefined,
    ]);
    console.log(JSON.stringify({ handlerMs: HANDLER_MS, deliveries: count, inlineMs, queuedMs, pgbossMs }));
  } finally {
    inlineServer.server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
