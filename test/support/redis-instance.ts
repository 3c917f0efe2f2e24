// One receiver instance with the Redis store, as an app behind a load balancer would run it. Used
// in-process and from a child process (test/fixtures/redis-instance-process.ts).
import { setTimeout as delay } from "node:timers/promises";
import express from "express";
import { Redis } from "ioredis";
import { geminiWebhooks } from "../../src/index.js";
import type { WebhookError } from "../../src/errors.js";
import { redisStore } from "../../src/redis.js";
import { listen, SECRET } from "./helpers.js";

export interface InstanceOptions {
  /** Names this instance in `runs`; a delivery whose `data.id` is `fail-on:<name>` fails here. */
  name: string;
  redisUrl: string;
  prefix: string;
  commandTimeoutMs?: number;
  /** Called inside the handler before it returns (e.g. to break Redis mid-delivery). */
  duringHandler?: () => void;
}

export interface HandlerRun {
  instance: string;
  webhookId: string;
}

export interface RunningInstance {
  url: string;
  runs: HandlerRun[];
  errors: WebhookError[];
  redis: Redis;
  close(): Promise<void>;
}

export async function startInstance(options: InstanceOptions): Promise<RunningInstance> {
  // ioredis defaults (offline queue, retries): the setup a user copies from the README.
  const redis = new Redis(options.redisUrl);
  redis.on("error", () => {}); // connection errors surface as rejected commands; don't crash the test
  const runs: HandlerRun[] = [];
  const errors: WebhookError[] = [];
  const webhooks = geminiWebhooks({
    secret: SECRET,
    dedupe: redisStore({
      sendCommand: (...args) => redis.call(...args),
      prefix: options.prefix,
      commandTimeoutMs: options.commandTimeoutMs,
    }),
  });
  webhooks.on("batch.succeeded", async (event, ctx) => {
    runs.push({ instance: options.name, webhookId: ctx.webhookId });
    await delay(5); // long enough for concurrent copies to find the claim in flight
    options.duringHandler?.();
    if (event.data.id === `fail-on:${options.name}`) throw new Error("failing on purpose");
  });
  webhooks.onError((error) => errors.push(error));
  const app = express();
  app.use("/webhooks", webhooks);
  const server = await listen(app);
  return {
    url: `${server.url}/webhooks`,
    runs,
    errors,
    redis,
    async close() {
      await server.close();
      redis.disconnect();
    },
  };
}
