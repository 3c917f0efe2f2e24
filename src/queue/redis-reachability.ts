import type { Redis } from "ioredis";
import { callSafely } from "../listeners.js";

/** What `onConnectionChange` receives: whether the web process's Redis is reachable now, and where it is. */
export interface QueueConnectionReport {
  reachable: boolean;
  /** `host:port` or the socket path: never credentials. */
  address: string;
  /** Why it is not reachable: the client's error message. */
  reason?: string;
  /** The same, as one log line. */
  message: string;
}

export type ConnectionChangeListener = (report: QueueConnectionReport) => unknown;

/** The web process's Redis could not be reached when a delivery was to be queued. Found as `cause` of the 503. */
export class QueueUnreachableError extends Error {
  override readonly name = "QueueUnreachableError";

  constructor(
    readonly address: string,
    readonly reason: string | undefined,
  ) {
    super(`bullmqQueue: Redis at ${address} is not reachable${reason ? ` (${reason})` : ""}.`);
  }
}

/** Where a client connects, for messages: its socket path or host:port (no user name, no password). */
export function redisAddress(client: Redis): string {
  const { path, host, port, sentinels, name } = client.options;
  if (path) return path;
  if (sentinels && sentinels.length > 0) return `the sentinels' "${name ?? "mymaster"}"`;
  return `${host ?? "localhost"}:${port ?? 6379}`;
}

/**
 * Follows whether the web process's Redis connection is usable, so that
 * - a delivery is refused at once while Redis is known to be down, instead of waiting out the enqueue timeout;
 * - a job is only ever sent on a ready connection, so a delivery answered 503 is never stored behind the
 *   answer's back once Redis comes up (the add is not left waiting for the connection);
 * - the operator hears once when it is first reached or found unreachable, and once at every change after.
 */
export class RedisReachability {
  readonly address: string;
  private lastError: string | undefined;
  private reported: boolean | undefined;

  constructor(
    private readonly client: Redis,
    private readonly listener: ConnectionChangeListener,
  ) {
    this.address = redisAddress(client);
    client.on("ready", () => {
      this.lastError = undefined;
      this.report(true);
    });
    client.on("error", (error: Error) => {
      this.lastError = error?.message;
      if (client.status !== "ready") this.report(false);
    });
    if (client.status === "ready") this.report(true);
  }

  /** Resolves once the connection is ready; rejects at once when it is known to be down, or when it fails first. */
  untilReady(): Promise<void> {
    const { client } = this;
    if (client.status === "ready") return Promise.resolve();
    // Between reconnect attempts, or closed: the last attempt failed, so the answer is known now.
    if (client.status === "reconnecting" || client.status === "close" || client.status === "end") {
      return Promise.reject(new QueueUnreachableError(this.address, this.lastError));
    }
    return new Promise((resolve, reject) => {
      const settle = (error?: Error) => {
        client.off("ready", onReady);
        client.off("error", onError);
        client.off("end", onEnd);
        if (error) reject(new QueueUnreachableError(this.address, error.message));
        else resolve();
      };
      const onReady = () => settle();
      const onError = (error: Error) => settle(error ?? new Error("connection error"));
      const onEnd = () => settle(new Error("connection closed"));
      client.once("ready", onReady);
      client.once("error", onError);
      client.once("end", onEnd);
    });
  }

  private report(reachable: boolean): void {
    if (this.reported === reachable) return;
    const again = this.reported !== undefined;
    this.reported = reachable;
    const reason = reachable ? undefined : this.lastError;
    const message = reachable
      ? `[gemini-webhooks] bullmqQueue: Redis at ${this.address} is reachable${again ? " again: deliveries are queued" : ""}.`
      : `[gemini-webhooks] bullmqQueue: Redis at ${this.address} is not reachable${reason ? ` (${reason})` : ""}: ` +
        "deliveries are answered 503 queue_unavailable (Gemini retries them) until it is.";
    callSafely(this.listener, { reachable, address: this.address, ...(reason ? { reason } : {}), message });
  }
}

/** The default `onConnectionChange`: one console line per change. */
export function logConnectionChange(report: QueueConnectionReport): void {
  if (report.reachable) console.info(report.message);
  else console.warn(report.message);
}
