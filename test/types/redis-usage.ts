// The README's "Running several instances" setups, compiled against the built declarations of the
// gemini-webhooks-express/redis subpath (what a user's editor sees). Never run.
import { Redis, Cluster } from "ioredis";
import { createClient } from "redis";
import { geminiWebhooks } from "gemini-webhooks-express";
import {
  redisStore,
  RedisCommandTimeoutError,
  type RedisStoreOptions,
  type SendCommand,
} from "gemini-webhooks-express/redis";

export async function setups(log: { warn(error: unknown, message: string): void }) {
  const ioredis = new Redis(process.env.REDIS_URL!);
  ioredis.on("error", (err) => log.warn(err, "redis"));
  geminiWebhooks({
    secret: process.env.GEMINI_WEBHOOK_SECRET,
    dedupe: redisStore({ sendCommand: (...args) => ioredis.call(...args) }),
  });

  const cluster = new Cluster([{ host: "127.0.0.1", port: 7000 }]);
  redisStore({ sendCommand: (...args) => cluster.call(...args), prefix: "app:" });

  const nodeRedis = createClient({ url: process.env.REDIS_URL });
  nodeRedis.on("error", (err) => log.warn(err, "redis"));
  await nodeRedis.connect();
  const webhooks = geminiWebhooks({
    secret: process.env.GEMINI_WEBHOOK_SECRET,
    dedupe: redisStore({ sendCommand: (...args) => nodeRedis.sendCommand(args) }),
  });
  webhooks.onError((error) => {
    if (error.code === "store_unavailable" && error.cause instanceof RedisCommandTimeoutError)
      log.warn(error.cause.command, "slow redis");
  });

  // A function typed the rate-limit-redis way is accepted too.
  const loose: (...args: string[]) => Promise<unknown> = async () => "OK";
  const options: RedisStoreOptions = {
    sendCommand: loose,
    ttlMs: 90_000_000,
    inFlightTtlMs: 60_000,
    commandTimeoutMs: 2_000,
  };
  const store = redisStore(options);
  const claim: "claimed" | "in-flight" | "done" = await store.claim("msg_1");
  await store.complete("msg_1");
  await store.release("msg_1");

  // @ts-expect-error sendCommand is required
  redisStore({});
  // @ts-expect-error TTLs are numbers of ms
  redisStore({ sendCommand: loose, ttlMs: "25h" });
  const typed: SendCommand = (command, ...args) => ioredis.call(command, ...args);
  return { claim, typed };
}
