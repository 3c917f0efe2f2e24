// One app with the pg-boss queue, as a user would deploy it: a receiver (web process), a worker, or both.
// Used in-process and from child processes (test/fixtures/pgboss-instance-process.ts). What a handler does
// is chosen by the delivery's `data.id`, as in test/support/queue-instance.ts (the BullMQ one):
//   "sleep:<ms>"     waits that long, then succeeds
//   "fail-until:<n>" throws on attempts < n
//   "fail-always"    throws on every attempt
//   "hang-here"      never settles when the instance was started with `hang: true` (for SIGKILL tests)
//   anything else    succeeds at once
import { setTimeout as delay } from "node:timers/promises";
import express from "express";
import { geminiWebhooks } from "../../src/index.js";
import type { DeliveryContext } from "../../src/context.js";
import type { WebhookError } from "../../src/errors.js";
import type { DeliveryLifecycleEvent } from "../../src/lifecycle.js";
import { pgBossQueue, type PgBossDeliveryQueue, type PgBossQueueOptions } from "../../src/pg-boss.js";
import type { PgBossWorkerOptions } from "../../src/queue/pg-boss.js";
import type { QueueWorker } from "../../src/queue/queue.js";
import type { HandlerRun } from "./queue-instance.js";
import { listen, SECRET } from "./helpers.js";

export interface PgBossInstanceOptions {
  name: string;
  queue: PgBossQueueOptions;
  /** Mount the receiver on HTTP (the web process). */
  receive?: boolean;
  /** Start a worker with these options (a worker process). */
  work?: PgBossWorkerOptions;
  /** Don't start the worker yet: `startWork()` does. */
  deferWork?: boolean;
  /** `data.id: "hang-here"` never settles in this instance. */
  hang?: boolean;
  dedupe?: false;
  /** Called when a handler starts and when it ends (IPC forwarding in a child process). */
  onRun?: (run: HandlerRun) => void;
}

export interface PgBossInstance {
  url?: string;
  queue: PgBossDeliveryQueue;
  worker?: QueueWorker;
  startWork(): void;
  runs: HandlerRun[];
  errors: WebhookError[];
  stages: DeliveryLifecycleEvent[];
  close(): Promise<void>;
}

export async function startPgBossInstance(options: PgBossInstanceOptions): Promise<PgBossInstance> {
  const queue = pgBossQueue(options.queue);
  const runs: HandlerRun[] = [];
  const errors: WebhookError[] = [];
  const stages: DeliveryLifecycleEvent[] = [];
  const webhooks = geminiWebhooks({
    secret: SECRET,
    queue,
    ...(options.dedupe === false ? { dedupe: false as const } : {}),
  });

  const record = (phase: HandlerRun["phase"], type: string, ctx: DeliveryContext) => {
    const run: HandlerRun = {
      instance: options.name,
      pid: process.pid,
      phase,
      webhookId: ctx.webhookId,
      type,
      attempt: ctx.attempt,
      maxAttempts: ctx.maxAttempts,
      ctxKeys: Object.keys(ctx).sort(),
      rawBody: ctx.rawBody ? Buffer.from(ctx.rawBody).toString("utf8") : undefined,
      at: Date.now(),
    };
    runs.push(run);
    options.onRun?.(run);
  };
  webhooks.onAny(async (event, ctx) => {
    record("start", event.type, ctx);
    const behaviour = String((event.data as { id?: unknown } | undefined)?.id ?? "");
    const [verb, argument] = behaviour.split(":");
    if (verb === "sleep") await delay(Number(argument));
    if (verb === "hang-here" && options.hang) await new Promise(() => {});
    if (verb === "fail-until" && (ctx.attempt ?? 1) < Number(argument))
      throw new Error(`failing attempt ${ctx.attempt}`);
    if (verb === "fail-always") throw new Error("always failing");
    record("end", event.type, ctx);
  });
  webhooks.onError((error) => errors.push(error));
  webhooks.onLifecycle((event) => stages.push(event));

  let server: Awaited<ReturnType<typeof listen>> | undefined;
  if (options.receive) {
    const app = express();
    app.use("/webhooks", webhooks);
    server = await listen(app);
  }
  const instance: PgBossInstance = {
    url: server ? `${server.url}/webhooks` : undefined,
    queue,
    startWork() {
      instance.worker ??= webhooks.work(options.work);
    },
    runs,
    errors,
    stages,
    async close() {
      await server?.close();
      await instance.worker?.close();
      await queue.close();
    },
  };
  if (options.work && !options.deferWork) instance.startWork();
  return instance;
}
