import { bullmqQueue, type BullmqDeliveryQueue } from "gemini-webhooks-express/bullmq";
import { pgBossQueue, type PgBossDeliveryQueue } from "gemini-webhooks-express/pg-boss";

/**
 * `--queue` (BullMQ on REDIS_URL) or `--queue postgres` (pg-boss on DATABASE_URL): deliveries go to a durable
 * queue and a worker in this process runs the handlers (see docs/long-running-work.md). The batch.succeeded
 * handler then pretends to download the batch's results for SLOW_HANDLER_MS, to show that a slow handler no
 * longer slows the answer.
 */
export const SLOW_HANDLER_MS = 2_000;

export type QueueEngine = "redis" | "postgres";

export interface ExampleQueue {
  queue: BullmqDeliveryQueue | PgBossDeliveryQueue;
  /** For the banner: which engine, which queue, where. */
  description: string;
  /** What `webhooks.work()` is given. */
  workerOptions: { concurrency: number; pollingIntervalSeconds?: number };
  /** Closes the queue; the demo's own queue is emptied first, so nothing is left behind. */
  close(): Promise<void>;
}

/** `--queue` alone, or followed by `redis` or `postgres`. */
export function queueEngine(args: string[]): QueueEngine | undefined {
  const at = args.indexOf("--queue");
  if (at === -1) return undefined;
  const next = args[at + 1];
  if (next === "postgres" || next === "redis") return next;
  return "redis";
}

export function exampleQueue(engine: QueueEngine, env: NodeJS.ProcessEnv, demo: boolean): ExampleQueue {
  // The demo's jobs go to a queue of their own, emptied when it ends, so runs never see each other's.
  const name = demo ? `gemini-webhooks-example-demo-${process.pid}` : "gemini-webhooks-example";
  if (engine === "postgres") {
    if (!env.DATABASE_URL) {
      throw new Error(
        "--queue postgres needs a PostgreSQL: start a throwaway one (node scripts/services/postgres.mjs prints its URL) " +
          "and set DATABASE_URL=postgres://postgres@127.0.0.1:<port>/postgres",
      );
    }
    const queue = pgBossQueue({ connectionString: env.DATABASE_URL, name });
    return {
      queue,
      description: `pg-boss "${queue.name}" on DATABASE_URL`,
      // Idle workers poll: every half second, so the demo's deliveries start promptly.
      workerOptions: { concurrency: 8, pollingIntervalSeconds: 0.5 },
      async close() {
        if (demo) {
          const boss = await queue.boss().catch(() => undefined);
          await boss?.deleteQueue(queue.name).catch(() => {});
          await boss?.deleteQueue(queue.failedName).catch(() => {});
        }
        await queue.close();
      },
    };
  }
  if (!env.REDIS_URL) {
    throw new Error(
      "--queue needs a Redis: start one (redis-server --port 6379 --save '' --daemonize yes) and set REDIS_URL=redis://127.0.0.1:6379",
    );
  }
  const queue = bullmqQueue({ connection: env.REDIS_URL, name });
  return {
    queue,
    description: `BullMQ "${queue.name}" on REDIS_URL`,
    workerOptions: { concurrency: 8 },
    async close() {
      if (demo)
        await queue
          .queue()
          .obliterate({ force: true })
          .catch(() => {});
      await queue.close();
    },
  };
}
