import { parseArgs } from "node:util";
import type { BullmqDeliveryQueue, FailedDelivery } from "../queue/bullmq.js";
import type { Io } from "./io.js";
import { QUEUE_HELP } from "./queue-help.js";
import { UsageError } from "./usage.js";

/**
 * `gemini-webhooks queue failed|retry`: lists the deliveries whose attempts are exhausted, and moves
 * them back to the queue, on the Redis at `--redis` (default `$REDIS_URL`). Exit status 0 when every
 * asked-for retry happened, 1 otherwise.
 */
export async function queueCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      redis: { type: "string" },
      name: { type: "string" },
      prefix: { type: "string" },
      limit: { type: "string" },
      all: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [action, ...ids] = positionals;
  if (values.help || action === undefined) {
    io.out(QUEUE_HELP);
    return values.help ? 0 : 2;
  }
  if (action !== "failed" && action !== "retry")
    throw new UsageError(`unknown queue action "${action}" (failed or retry).`, "queue");
  const redis = values.redis ?? io.env.REDIS_URL;
  if (!redis) throw new UsageError("--redis <url> (or $REDIS_URL) is required.", "queue");
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError("--limit must be a positive integer.", "queue");
  if (action === "retry" && ids.length === 0 && !values.all)
    throw new UsageError("retry needs webhook-ids, or --all.", "queue");

  const queue = await openQueue({
    connection: redis,
    name: values.name,
    prefix: values.prefix,
    enqueueTimeoutMs: 5_000,
  });
  try {
    if (action === "failed") {
      const failed = await queue.failed({ limit });
      if (values.json) io.out(JSON.stringify(failed, null, 2));
      else printFailed(failed, io);
      return 0;
    }
    const targets = values.all ? (await allFailed(queue)).map((delivery) => delivery.webhookId) : ids;
    let missed = 0;
    for (const id of targets) {
      const result = await queue.retry(id);
      if (result !== "retried") missed++;
      io.out(
        `${id}  ${result === "retried" ? "retried" : result === "not_found" ? "not found" : "not failed (nothing to retry)"}`,
      );
    }
    if (targets.length === 0) io.out("No failed deliveries.");
    return missed === 0 ? 0 : 1;
  } finally {
    await queue.close();
  }
}

async function openQueue(
  options: Parameters<typeof import("../queue/bullmq.js").bullmqQueue>[0],
): Promise<BullmqDeliveryQueue> {
  let module: typeof import("../queue/bullmq.js");
  try {
    module = await import("../queue/bullmq.js");
  } catch (error) {
    if (
      (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" ||
      (error as { code?: string }).code === "MODULE_NOT_FOUND"
    ) {
      throw new UsageError("the queue commands need BullMQ: npm install bullmq ioredis", "queue");
    }
    throw error;
  }
  return module.bullmqQueue(options);
}

async function allFailed(queue: BullmqDeliveryQueue): Promise<FailedDelivery[]> {
  const all: FailedDelivery[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await queue.failed({ offset, limit: 500 });
    all.push(...page);
    if (page.length < 500) return all;
  }
}

function printFailed(failed: FailedDelivery[], io: Io): void {
  if (failed.length === 0) {
    io.out("No failed deliveries.");
    return;
  }
  io.out(`${failed.length} failed ${failed.length === 1 ? "delivery" : "deliveries"} (most recent first):`);
  for (const delivery of failed) {
    const when = delivery.failedAt === undefined ? "?" : new Date(delivery.failedAt).toISOString();
    // The reason is a handler's error message: one line, bounded, so a long stack cannot flood the terminal.
    const reason = delivery.failedReason.replace(/\s+/g, " ").slice(0, 200);
    io.out(`  ${delivery.webhookId}  ${delivery.type}  ${delivery.attemptsMade} attempts  failed ${when}  ${reason}`);
  }
  io.out('Retry one with "gemini-webhooks queue retry <webhook-id>", or all with "gemini-webhooks queue retry --all".');
}
