// Test utilities for the BullMQ queue: unique queue names on the shared Redis, queued deliveries made by
// hand, a private redis-server to SIGSTOP, and polling with a deadline instead of fixed sleeps.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import type { QueuedDelivery } from "../../src/queue/queue.js";
import { freshId } from "./helpers.js";

/** A queue name no other test (or test file running in parallel) uses. */
export function freshQueueName(label = "q"): string {
  return `gwx-test-${label}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** A verified delivery as the receiver would enqueue it. */
export function queuedDelivery(
  webhookId = freshId(),
  type = "batch.succeeded",
  data: object = { id: "batches/1" },
): QueuedDelivery {
  const event = { type, version: "v1", timestamp: "2026-01-22T12:00:00Z", data } as QueuedDelivery["event"];
  return {
    event,
    context: { webhookId, timestamp: Math.floor(Date.now() / 1000), scheme: "v1", secretIndex: 0 },
    rawBody: Buffer.from(JSON.stringify(event)).toString("base64"),
    receivedAt: Date.now(),
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 30_000,
  what = "condition",
): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as Exclude<T, false | undefined>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
}

/** A free loopback port (asked of the OS, then released). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A redis-server of the test's own (CI and developers have `redis-server` installed), so the test can
 * SIGSTOP it (a hung Redis: connections stay open, nothing answers) without disturbing other suites.
 */
export class PrivateRedis {
  private constructor(
    readonly process: ChildProcess,
    readonly url: string,
  ) {}

  /** Starts one, on `port` when given (a test that brings "the same Redis" back after killing it). */
  static async start(port?: number): Promise<PrivateRedis> {
    port ??= await freePort();
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: "ignore",
      },
    );
    const url = `redis://127.0.0.1:${port}`;
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    await eventually(
      async () =>
        (await probe.connect().then(
          () => true,
          () => false,
        )) && (await probe.ping()) === "PONG",
      30_000,
      "redis-server to start",
    );
    probe.disconnect();
    return new PrivateRedis(child, url);
  }

  /** Freezes the server: it keeps its connections and answers nothing. */
  stop(): void {
    this.process.kill("SIGSTOP");
  }

  resume(): void {
    this.process.kill("SIGCONT");
  }

  /** Kills the server (its connections drop, new ones are refused) and waits until it is gone. */
  async close(): Promise<void> {
    this.process.kill("SIGCONT");
    this.process.kill("SIGKILL");
    if (this.process.exitCode === null && this.process.signalCode === null) await once(this.process, "exit");
  }
}
