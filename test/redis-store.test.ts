// redisStore on its own: the exact commands it sends, its options, its bounded waits, and (with a real
// Redis) claim ownership across instances and both supported clients.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { createClient } from "redis";
import { redisStore, RedisCommandTimeoutError, type SendCommand } from "../src/dedupe/redis.js";
import {
  advanceRedisClock,
  deleteKeysUnder,
  freshPrefix,
  ioredisClient,
  REDIS,
  REDIS_URL,
} from "./support/redis-helpers.js";
import { describeNeeding } from "./support/services.js";

/** A fake client that records commands and answers from `reply` (no Redis needed). */
function recorder(reply: (args: string[]) => unknown = () => "OK") {
  const sent: string[][] = [];
  const sendCommand: SendCommand = async (...args) => {
    sent.push(args);
    return reply(args);
  };
  return { sent, sendCommand };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

describe("redisStore: options", () => {
  test("sendCommand is required, with a message showing how to pass it", () => {
    assert.throws(() => redisStore({} as never), {
      name: "TypeError",
      message: /sendCommand.*client\.call.*client\.sendCommand/,
    });
    assert.throws(() => redisStore(undefined as never), TypeError);
  });

  test("TTLs and timeout must be positive integers of ms; unknown options are refused", () => {
    const { sendCommand } = recorder();
    for (const name of ["ttlMs", "inFlightTtlMs", "commandTimeoutMs"]) {
      for (const bad of [0, -1, 1.5, Number.NaN, "100"]) {
        assert.throws(() => redisStore({ sendCommand, [name]: bad }), { name: "TypeError", message: new RegExp(name) });
      }
    }
    assert.throws(() => redisStore({ sendCommand, prefix: 1 as never }), /prefix/);
    assert.throws(() => redisStore({ sendCommand, ttl: 5 } as never), /unknown option "ttl"/);
  });

  test("the subpath gemini-webhooks-express/redis exports the store, from import and from require", async () => {
    const esm = await import("gemini-webhooks-express/redis");
    const cjs = createRequire(import.meta.url)("gemini-webhooks-express/redis");
    for (const entry of [esm, cjs]) {
      assert.equal(typeof entry.redisStore, "function");
      assert.equal(typeof entry.RedisCommandTimeoutError, "function");
      assert.equal(typeof entry.redisStore({ sendCommand: recorder().sendCommand }).claim, "function");
    }
  });

  test("the README's ioredis, ioredis Cluster and node-redis setups type-check against the built declarations", () => {
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const project = fileURLToPath(new URL("./types/redis.tsconfig.json", import.meta.url));
    const result = spawnSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});

describe("redisStore: commands", () => {
  test("claim is SET <prefix><id> <unique token> NX PX <inFlightTtlMs>", async () => {
    const { sent, sendCommand } = recorder();
    const store = redisStore({ sendCommand, prefix: "app:", inFlightTtlMs: 30_000 });
    assert.equal(await store.claim("msg_1"), "claimed");
    assert.equal(await store.claim("msg_2"), "claimed");
    const [first, second] = sent;
    assert.deepEqual([first![0], first![1], ...first!.slice(3)], ["SET", "app:msg_1", "NX", "PX", "30000"]);
    assert.notEqual(first![2], second![2], "each claim has its own token");
    assert.notEqual(first![2], "done");
  });

  test("a lost SET NX reads the key: done → done, a token → in-flight", async () => {
    const replies: Record<string, unknown> = { "app:finished": "done", "app:running": "c0ffee" };
    const { sent, sendCommand } = recorder((args) => (args[0] === "SET" ? null : replies[args[1]!]));
    const store = redisStore({ sendCommand, prefix: "app:" });
    assert.equal(await store.claim("finished"), "done");
    assert.equal(await store.claim("running"), "in-flight");
    assert.deepEqual(sent[1], ["GET", "app:finished"]);
  });

  test("Buffer replies (binary-mode clients) are read like strings", async () => {
    const { sendCommand } = recorder((args) => (args[0] === "SET" ? null : Buffer.from("done")));
    assert.equal(await redisStore({ sendCommand }).claim("msg_1"), "done");
  });

  test("a key that vanishes between SET NX and GET is claimed on a second try", async () => {
    let sets = 0;
    const { sendCommand } = recorder((args) => (args[0] === "SET" ? (++sets === 1 ? null : "OK") : null));
    assert.equal(await redisStore({ sendCommand }).claim("msg_1"), "claimed");
    assert.equal(sets, 2);
  });

  test("complete is SET <key> done PX <ttlMs>", async () => {
    const { sent, sendCommand } = recorder();
    const store = redisStore({ sendCommand, ttlMs: 90_000_000 });
    await store.claim("msg_1");
    await store.complete("msg_1");
    assert.deepEqual(sent[1], ["SET", "gemini-webhooks:msg_1", "done", "PX", "90000000"]);
  });

  test("release deletes only with this claim's token (compare-and-delete in Lua), once", async () => {
    const { sent, sendCommand } = recorder((args) => (args[0] === "EVAL" ? 1 : "OK"));
    const store = redisStore({ sendCommand });
    await store.claim("msg_1");
    const token = sent[0]![2]!;
    await store.release("msg_1");
    const [command, script, keyCount, key, arg] = sent[1]!;
    assert.equal(command, "EVAL");
    assert.match(script!, /GET.*==\s*ARGV\[1\].*DEL/s);
    assert.deepEqual([keyCount, key, arg], ["1", "gemini-webhooks:msg_1", token]);
    await store.release("msg_1");
    assert.equal(sent.length, 2, "a second release has nothing left to release");
  });

  test("release of an id this instance never claimed sends nothing", async () => {
    const { sent, sendCommand } = recorder();
    await redisStore({ sendCommand }).release("msg_other");
    assert.equal(sent.length, 0);
  });
});

describe("redisStore: failures", () => {
  test("a command with no answer rejects with RedisCommandTimeoutError after commandTimeoutMs", async () => {
    const store = redisStore({ sendCommand: () => new Promise(() => {}), commandTimeoutMs: 20 });
    await assert.rejects(store.claim("msg_1"), (error: unknown) => {
      assert.ok(error instanceof RedisCommandTimeoutError);
      assert.equal(error.command, "SET");
      assert.equal(error.timeoutMs, 20);
      return true;
    });
    await assert.rejects(store.complete("msg_1"), RedisCommandTimeoutError);
  });

  test("a client that throws or rejects makes the operation reject with its error", async () => {
    const boom = new Error("connection refused");
    const throwing = redisStore({
      sendCommand: () => {
        throw boom;
      },
    });
    await assert.rejects(throwing.claim("msg_1"), (error) => error === boom);
    const rejecting = redisStore({
      sendCommand: async () => {
        throw boom;
      },
    });
    await assert.rejects(rejecting.claim("msg_1"), (error) => error === boom);
  });

  test("no broken state is kept: once the client answers again, the store works", async () => {
    let up = false;
    const store = redisStore({
      sendCommand: async () => {
        if (!up) throw new Error("ECONNREFUSED");
        return "OK";
      },
    });
    await assert.rejects(store.claim("msg_1"));
    up = true;
    assert.equal(await store.claim("msg_1"), "claimed");
  });

  test("a SET that succeeds after its claim timed out is undone, so the id is not blocked", async () => {
    const late = deferred<unknown>();
    const released = deferred<string[]>();
    const store = redisStore({
      commandTimeoutMs: 10,
      sendCommand: async (...args) => {
        if (args[0] === "SET") return late.promise;
        released.resolve(args);
        return 1;
      },
    });
    await assert.rejects(store.claim("msg_1"), RedisCommandTimeoutError);
    late.resolve("OK");
    const [command, , , key] = await released.promise;
    assert.deepEqual([command, key], ["EVAL", "gemini-webhooks:msg_1"]);
  });
});

describeNeeding(REDIS, "redisStore against a real Redis", () => {
  let redis: Redis;
  const prefixes: string[] = [];
  const store = (prefix: string, options: { inFlightTtlMs?: number; ttlMs?: number } = {}) =>
    redisStore({ sendCommand: (...args) => redis.call(...args), prefix, ...options });
  const prefix = () => {
    const value = freshPrefix("store");
    prefixes.push(value);
    return value;
  };

  before(() => {
    redis = ioredisClient();
  });
  after(async () => {
    for (const value of prefixes) await deleteKeysUnder(redis, value);
    await redis.quit();
  });

  test("keys carry the prefix and the TTLs: in-flight short, done long", async () => {
    const keyPrefix = prefix();
    const instance = store(keyPrefix, { inFlightTtlMs: 60_000, ttlMs: 90_000_000 });
    await instance.claim("msg_1");
    const inFlightTtl = Number(await redis.call("PTTL", `${keyPrefix}msg_1`));
    assert.ok(inFlightTtl > 50_000 && inFlightTtl <= 60_000, `in-flight PTTL ${inFlightTtl}`);
    await instance.complete("msg_1");
    assert.equal(await redis.call("GET", `${keyPrefix}msg_1`), "done");
    const doneTtl = Number(await redis.call("PTTL", `${keyPrefix}msg_1`));
    assert.ok(doneTtl > 89_000_000 && doneTtl <= 90_000_000, `done PTTL ${doneTtl}`);
  });

  test("a stale claimer's release never deletes the claim another instance took after expiry", async () => {
    const keyPrefix = prefix();
    const [slow, retry, third] = [store(keyPrefix), store(keyPrefix), store(keyPrefix)];
    assert.equal(await slow.claim("msg_1"), "claimed");
    await advanceRedisClock(redis, keyPrefix, 61_000); // slow's claim expires mid-handler
    assert.equal(await retry.claim("msg_1"), "claimed");
    await slow.release("msg_1"); // slow's handler fails late
    assert.equal(await third.claim("msg_1"), "in-flight", "retry still holds the id");
    await retry.complete("msg_1");
    assert.equal(await third.claim("msg_1"), "done");
  });

  test("an in-flight claim really expires in Redis (PX), with no help", async () => {
    const keyPrefix = prefix();
    const instance = store(keyPrefix, { inFlightTtlMs: 1 });
    assert.equal(await instance.claim("msg_1"), "claimed");
    // Redis expires it on its own within a few ms; poll (bounded), assert only the outcome.
    let result = await instance.claim("msg_1");
    for (let i = 0; i < 200 && result !== "claimed"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      result = await instance.claim("msg_1");
    }
    assert.equal(result, "claimed");
  });

  test("node-redis works through sendCommand(args), sharing state with an ioredis instance", async () => {
    const client = createClient({ url: REDIS_URL });
    client.on("error", () => {});
    await client.connect();
    try {
      const keyPrefix = prefix();
      const viaNodeRedis = redisStore({ sendCommand: (...args) => client.sendCommand(args), prefix: keyPrefix });
      const viaIoredis = store(keyPrefix);
      assert.equal(await viaNodeRedis.claim("msg_1"), "claimed");
      assert.equal(await viaIoredis.claim("msg_1"), "in-flight");
      await viaNodeRedis.release("msg_1");
      assert.equal(await viaIoredis.claim("msg_1"), "claimed");
      await viaIoredis.complete("msg_1");
      assert.equal(await viaNodeRedis.claim("msg_1"), "done");
      assert.equal(await viaNodeRedis.claim("msg_2"), "claimed");
      await viaNodeRedis.complete("msg_2");
      assert.equal(await viaIoredis.claim("msg_2"), "done");
    } finally {
      await client.quit();
    }
  });
});
