// One app with a durable queue, as a user would deploy it: a receiver (web process), a worker, or both. BullMQ
// here (startQueueInstance); pg-boss in test/support/pgboss-instance.ts, through the same startInstanceOn.
// Used in-process and from child processes (test/fixtures/queue-instance-process.ts). What a handler does
// is chosen by the delivery's `data.id`:
//   "sleep:<ms>"        waits that long, then succeeds
//   "fail-until:<n>"    throws on attempts < n
//   "fail-always"       throws on every attempt
//   "fail-while-listed" throws while its webhook-id is in the instance's `failing` set
//   "hang-here"         never settles when the instance was started with `hang: true` (for SIGKILL tests)
//   anything else       succeeds at once
import { setTimeout as delay } from "node:timers/promises";
import express from "express";
import { geminiWebhooks } from "../../src/index.js";
import type { DeliveryContext } from "../../src/context.js";
import type { WebhookError } from "../../src/errors.js";
import type { DeliveryLifecycleEvent } from "../../src/lifecycle.js";
import { bullmqQueue, type BullmqDeliveryQueue, type BullmqQueueOptions } from "../../src/bullmq.js";
import type { AnyDeliveryQueue, QueueWorker, WorkerOptionsOf } from "../../src/queue/queue.js";
import { listen, SECRET } from "./helpers.js";

/** How an instance runs, whatever its engine. */
export interface InstanceOptions {
  name: string;
  /** Mount the receiver on HTTP (the web process). */
  receive?: boolean;
  /** Start a worker with these worker options (the engine's; a worker process). */
  work?: object;
  /** Don't start the worker yet: `startWork()` does (a process started ahead of time, to save the fork). */
  deferWork?: boolean;
  /** `data.id: "hang-here"` never settles in this instance. */
  hang?: boolean;
  dedupe?: false;
  /** Called when a handler starts and when it ends (IPC forwarding in a child process). */
  onRun?: (run: HandlerRun) => void;
}

export interface QueueInstanceOptions extends InstanceOptions {
  queue: BullmqQueueOptions;
}

export interface HandlerRun {
  instance: string;
  pid: number;
  phase: "start" | "end";
  webhookId: string;
  type: string;
  attempt?: number;
  maxAttempts?: number;
  /** Which ctx keys the handler saw (to check what a worker's ctx holds). */
  ctxKeys: string[];
  /** ctx.rawBody as text. */
  rawBody?: string;
  at: number;
}

export interface QueueInstance<Q = BullmqDeliveryQueue> {
  url?: string;
  queue: Q;
  worker?: QueueWorker;
  /** webhook-ids whose "fail-while-listed" deliveries fail (in-process tests change it). */
  failing: Set<string>;
  /** Starts the worker of a `deferWork` instance. */
  startWork(): void;
  runs: HandlerRun[];
  errors: WebhookError[];
  stages: DeliveryLifecycleEvent[];
  close(): Promise<void>;
}

export function startQueueInstance(options: QueueInstanceOptions): Promise<QueueInstance> {
  // Silent unless the test listens itself: every instance would otherwise print its "Redis is reachable" line.
  return startInstanceOn(bullmqQueue({ onConnectionChange: () => {}, ...options.queue }), options);
}

/** An instance on `queue` (any engine's adapter); `close()` closes the queue too. */
export async function startInstanceOn<Q extends AnyDeliveryQueue & { close(): Promise<void> }>(
  queue: Q,
  options: InstanceOptions,
): Promise<QueueInstance<Q>> {
  const runs: HandlerRun[] = [];
  const errors: WebhookError[] = [];
  const stages: DeliveryLifecycleEvent[] = [];
  const failing = new Set<string>();
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
    if (verb === "fail-while-listed" && failing.has(ctx.webhookId)) throw new Error("listed as failing");
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
  const instance: QueueInstance<Q> = {
    url: server ? `${server.url}/webhooks` : undefined,
    queue,
    failing,
    startWork() {
      instance.worker ??= webhooks.work(options.work as WorkerOptionsOf<Q> | undefined);
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
