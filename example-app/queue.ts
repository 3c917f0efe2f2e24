import { bullmqQueue, type BullmqDeliveryQueue } from "gemini-webhooks-express/bullmq";

/**
 * `--queue`: deliveries go to a BullMQ queue on REDIS_URL and a worker in this process runs the handlers
 * (see the README's "Long-running work"). The batch.succeeded handler then pretends to download the
 * batch's results for SLOW_HANDLER_MS, to show that a slow handler no longer slows the answer.
 */
export const SLOW_HANDLER_MS = 2_000;

export function exampleQueue(redisUrl: string | undefined, demo: boolean): BullmqDeliveryQueue {
  if (!redisUrl) {
    throw new Error(
      "--queue needs a Redis: start one (redis-server --port 6379 --save '' --daemonize yes) and set REDIS_URL=redis://127.0.0.1:6379",
    );
  }
  // The demo's jobs go to a queue of their own, emptied when it ends, so runs never see each other's.
  return bullmqQueue({
    connection: redisUrl,
    name: demo ? `gemini-webhooks-example-demo-${process.pid}` : "gemini-webhooks-example",
  });
}
