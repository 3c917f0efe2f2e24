// Test utilities for the Redis store: a real Redis from REDIS_URL (.ci/run starts one), isolated key
// prefixes, simulated time for TTLs, and a TCP proxy that can stall or cut the connection to Redis.
import { randomBytes } from "node:crypto";
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Redis, type RedisOptions } from "ioredis";
import type { Service } from "./services.js";

/** The Redis the tests use, e.g. redis://127.0.0.1:6390. */
export const REDIS_URL = process.env.REDIS_URL;

/** Why Redis tests cannot run, or false when they can. */
export const SKIP_WITHOUT_REDIS: string | false = REDIS_URL
  ? false
  : "REDIS_URL is not set. `npm test` starts a redis-server itself when one is installed " +
    "(apt-get install redis-server); or start one and set it, e.g. " +
    "`redis-server --port 6390 --save '' & REDIS_URL=redis://127.0.0.1:6390 npm test`.";

/** The service a Redis suite declares with describeNeeding(REDIS, …) (test/support/services.ts). */
export const REDIS: Service = { name: "Redis", missing: SKIP_WITHOUT_REDIS };

/** A key prefix no other test (or test file running in parallel) uses. */
export function freshPrefix(label = "t"): string {
  return `gwx-test:${label}:${process.pid}:${randomBytes(4).toString("hex")}:`;
}

/** An ioredis client on REDIS_URL (or `url`). Close it with `quit()` or `disconnect()`. */
export function ioredisClient(url = REDIS_URL!, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, ...options });
}

/** Every key under `prefix` (SCAN, never KEYS). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = (await client.call("SCAN", cursor, "MATCH", `${escapeGlob(prefix)}*`, "COUNT", "1000")) as [
      string,
      string[],
    ];
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys;
}

/**
 * Moves Redis's clock forward by `ms` for the keys under `prefix`: a key whose TTL would run out is
 * deleted, the others get their TTL shortened. Redis has no injectable clock; this tests the TTLs we
 * set without sleeping. A few ms of real time pass meanwhile, so callers keep ~1 s away from boundaries.
 */
export async function advanceRedisClock(client: Redis, prefix: string, ms: number): Promise<void> {
  for (const key of await keysUnder(client, prefix)) {
    const pttl = Number(await client.call("PTTL", key));
    if (pttl < 0) continue; // no TTL (-1) or already gone (-2)
    if (pttl <= ms) await client.call("DEL", key);
    else await client.call("PEXPIRE", key, String(pttl - ms));
  }
}

export async function deleteKeysUnder(client: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(client, prefix);
  if (keys.length > 0) await client.call("DEL", ...keys);
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

export type ProxyMode = "up" | "stall" | "down";

/**
 * A TCP proxy in front of Redis, on a loopback port. "up" forwards; "stall" accepts connections and
 * never answers (a hung Redis); "down" refuses them (resets at once). Changing the mode drops every
 * open connection, as a Redis restart or a network cut would, so the client has to reconnect.
 */
export class RedisProxy {
  mode: ProxyMode = "up";
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(redisUrl = REDIS_URL!): Promise<RedisProxy> {
    const url = new URL(redisUrl);
    const target = { host: url.hostname, port: Number(url.port || 6379) };
    const server = createServer();
    const proxy = new RedisProxy(server, target);
    server.on("connection", (socket) => proxy.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return proxy;
  }

  /** The URL clients use to reach Redis through the proxy. */
  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.setMode("down");
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.mode === "down") {
      client.resetAndDestroy();
      return;
    }
    this.track(client);
    client.on("error", () => client.destroy());
    if (this.mode === "stall") return; // read nothing, answer nothing
    const upstream = createConnection(this.target);
    this.track(upstream);
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
  }
}
