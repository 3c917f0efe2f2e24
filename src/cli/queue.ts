import { parseArgs } from "node:util";
import type { FailedDeliveries, FailedDelivery } from "../queue/failed-deliveries.js";
import type { Io } from "./io.js";
import { QUEUE_HELP } from "./queue-help.js";
import { UsageError } from "./usage.js";

/**
 * `gemini-webhooks queue failed|retry`: lists the deliveries whose attempts are exhausted, and moves
 * them back to the queue, on the Redis at `--redis` (default `$REDIS_URL`: BullMQ) or the PostgreSQL at
 * `--postgres` (default `$DATABASE_URL`: pg-boss). Exit status 0 when every
 * asked-for retry happened, 1 otherwise.
 */
export async function queueCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      redis: { type: "string" },
      postgres: { type: "string" },
      engine: { type: "string" },
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
  const target = queueTarget(values, io);
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError("--limit must be a positive integer.", "queue");
  if (action === "retry" && ids.length === 0 && !values.all)
    throw new UsageError("retry needs webhook-ids, or --all.", "queue");

  if (target.engine === "pg-boss" && values.prefix !== undefined)
    throw new UsageError("--prefix is BullMQ's key prefix; a pg-boss queue has none.", "queue");
  const queue =
    target.engine === "bullmq"
      ? await openQueue({ connection: target.url, name: values.name, prefix: values.prefix, enqueueTimeoutMs: 5_000 })
      : await openPgBossQueue({ connectionString: target.url, name: values.name, enqueueTimeoutMs: 5_000 });
  try {
    if (action === "failed") {
      const failed = await queue.failed({ limit });
      if (values.json) io.out(JSON.stringify(failed, null, 2));
      else printFailed(failed, io, target.engine === "bullmq" ? "most recent first" : "oldest first");
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

/** What `failed` and `retry` need of a queue, whichever the engine. */
type AdminQueue = FailedDeliveries;

/**
 * Which engine, and where. BullMQ unless told otherwise (as before pg-boss existed): `--redis` or $REDIS_URL.
 * pg-boss with `--postgres <url>`, or `--engine pg-boss` and $DATABASE_URL (a URL with a password stays out of `ps`).
 */
function queueTarget(
  values: { redis?: string; postgres?: string; engine?: string },
  io: Io,
): { engine: "bullmq" | "pg-boss"; url: string } {
  const engine = values.engine ?? (values.postgres !== undefined ? "pg-boss" : "bullmq");
  if (engine !== "bullmq" && engine !== "pg-boss")
    throw new UsageError('--engine must be "bullmq" or "pg-boss".', "queue");
  if (engine === "bullmq") {
    if (values.postgres !== undefined)
      throw new UsageError("--postgres is for a pg-boss queue: drop --engine bullmq, or give --redis.", "queue");
    const url = values.redis ?? io.env.REDIS_URL;
    if (!url) throw new UsageError("--redis <url> (or $REDIS_URL) is required.", "queue");
    return { engine, url };
  }
  if (values.redis !== undefined)
    throw new UsageError("--redis is for a BullMQ queue: a pg-boss queue takes --postgres <url>.", "queue");
  const url = values.postgres ?? io.env.DATABASE_URL;
  if (!url) throw new UsageError("--postgres <url> (or $DATABASE_URL) is required with --engine pg-boss.", "queue");
  return { engine, url };
}

async function openPgBossQueue(
  options: Parameters<typeof import("../queue/pg-boss.js").pgBossQueue>[0],
): Promise<AdminQueue> {
  let module: typeof import("../queue/pg-boss.js");
  try {
    module = await import("../queue/pg-boss.js");
  } catch (error) {
    if (
      (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" ||
      (error as { code?: string }).code === "MODULE_NOT_FOUND"
    ) {
      throw new UsageError("the queue commands on PostgreSQL need pg-boss: npm install pg-boss", "queue");
    }
    throw error;
  }
  return module.pgBossQueue(options);
}

async function openQueue(options: Parameters<typeof import("../queue/bullmq.js").bullmqQueue>[0]): Promise<AdminQueue> {
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
  // The command reports a connection failure itself, and its stdout may be --json: no connection log lines.
  return module.bullmqQueue({ ...options, onConnectionChange: () => {} });
}

async function allFailed(queue: AdminQueue): Promise<FailedDelivery[]> {
  const all: FailedDelivery[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await queue.failed({ offset, limit: 500 });
    all.push(...page);
    if (page.length < 500) return all;
  }
}

function printFailed(failed: FailedDelivery[], io: Io, order: string): void {
  if (failed.length === 0) {
    io.out("No failed deliveries.");
    return;
  }
  io.out(`${failed.length} failed ${failed.length === 1 ? "delivery" : "deliveries"} (${order}):`);
  for (const delivery of failed) {
    const when = delivery.failedAt === undefined ? "?" : new Date(delivery.failedAt).toISOString();
    // The reason is a handler's error message: one line, bounded, so a long stack cannot flood the terminal.
    const reason = delivery.failedReason.replace(/\s+/g, " ").slice(0, 200);
    io.out(`  ${delivery.webhookId}  ${delivery.type}  ${delivery.attemptsMade} attempts  failed ${when}  ${reason}`);
  }
  io.out('Retry one with "gemini-webhooks queue retry <webhook-id>", or all with "gemini-webhooks queue retry --all".');
}
