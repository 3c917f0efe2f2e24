// One contract, every store: what the receiver relies on from a DedupeStore, run against the memory
// store, the Redis store (a real Redis from REDIS_URL) and the Postgres store (a real PostgreSQL from DATABASE_URL) alike.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Redis } from "ioredis";
import { memoryStore } from "../src/dedupe/memory.js";
import { redisStore } from "../src/dedupe/redis.js";
import { postgresStore } from "../src/dedupe/postgres.js";
import type { ClaimResult, DedupeStore } from "../src/dedupe/store.js";
import { advanceRedisClock, deleteKeysUnder, freshPrefix, ioredisClient, REDIS } from "./support/redis-helpers.js";
import { advanceTableClock, freshName, pool as postgresPool, POSTGRES } from "./support/postgres-helpers.js";
import { describeNeeding, type Service } from "./support/services.js";

const IN_FLIGHT_TTL_MS = 60_000;
const TTL_MS = 25 * 60 * 60 * 1000;
const MARGIN_MS = 1_000; // keeps simulated time clear of TTL boundaries (real time passes on Redis too)

/** A fresh, empty store namespace: `store` plus `peers` (other instances sharing its state), and time travel. */
interface StoreUnderTest {
  store: DedupeStore;
  peer(): DedupeStore;
  advance(ms: number): Promise<void>;
}

interface StoreKind {
  name: string;
  /** The outside service the kind needs, if any. */
  needs?: Service;
  setUp?(): Promise<void>;
  tearDown?(): Promise<void>;
  create(): StoreUnderTest;
}

let clock = 1_000_000;
const memoryKind: StoreKind = {
  name: "memoryStore()",
  create() {
    const store = memoryStore({ ttlMs: TTL_MS, inFlightTtlMs: IN_FLIGHT_TTL_MS, now: () => clock });
    return {
      store,
      peer: () => store, // one process: every caller shares the one store
      advance: async (ms) => {
        clock += ms;
      },
    };
  },
};

let redis: Redis | undefined;
const redisPrefixes: string[] = [];
const redisKind: StoreKind = {
  name: "redisStore() against a real Redis",
  needs: REDIS,
  async setUp() {
    redis = ioredisClient();
  },
  async tearDown() {
    for (const prefix of redisPrefixes) await deleteKeysUnder(redis!, prefix);
    await redis?.quit();
  },
  create() {
    const prefix = freshPrefix("contract");
    redisPrefixes.push(prefix);
    const open = () =>
      redisStore({
        sendCommand: (...args) => redis!.call(...args),
        prefix,
        ttlMs: TTL_MS,
        inFlightTtlMs: IN_FLIGHT_TTL_MS,
      });
    return { store: open(), peer: open, advance: (ms) => advanceRedisClock(redis!, prefix, ms) };
  },
};

let postgres: ReturnType<typeof postgresPool> | undefined;
const postgresTables: string[] = [];
const postgresKind: StoreKind = {
  name: "postgresStore() against a real PostgreSQL",
  needs: POSTGRES,
  async setUp() {
    postgres = postgresPool();
  },
  async tearDown() {
    for (const table of postgresTables) await postgres!.query(`DROP TABLE IF EXISTS "${table}"`);
    await postgres?.end();
  },
  create() {
    const table = freshName("contract");
    postgresTables.push(table);
    // Each instance has its own pool, as separate processes would.
    const open = () => {
      const own = postgresPool(undefined, { max: 4 });
      postgresPools.push(own);
      return postgresStore({
        query: (text, values) => own.query(text, values),
        table,
        ttlMs: TTL_MS,
        inFlightTtlMs: IN_FLIGHT_TTL_MS,
      });
    };
    return { store: open(), peer: open, advance: (ms) => advanceTableClock(postgres!, table, ms) };
  },
};
const postgresPools: Array<ReturnType<typeof postgresPool>> = [];
after(() => Promise.all(postgresPools.map((own) => own.end())));

for (const kind of [memoryKind, redisKind, postgresKind]) {
  const needs: Service = kind.needs ?? { name: "nothing", missing: false };
  describeNeeding(needs, `DedupeStore contract: ${kind.name}`, () => {
    before(() => kind.setUp?.());
    after(() => kind.tearDown?.());

    test("the first claim wins; a second claim while it runs is in-flight", async () => {
      const { store, peer } = kind.create();
      assert.equal(await store.claim("msg_1"), "claimed");
      assert.equal(await store.claim("msg_1"), "in-flight");
      assert.equal(await peer().claim("msg_1"), "in-flight");
    });

    test("after complete, every claim is done, on every instance", async () => {
      const { store, peer } = kind.create();
      assert.equal(await store.claim("msg_1"), "claimed");
      await store.complete("msg_1");
      assert.equal(await store.claim("msg_1"), "done");
      assert.equal(await peer().claim("msg_1"), "done");
    });

    test("after release, the next claim (the retry) is claimed again", async () => {
      const { store, peer } = kind.create();
      assert.equal(await store.claim("msg_1"), "claimed");
      await store.release("msg_1");
      const retry = peer();
      assert.equal(await retry.claim("msg_1"), "claimed");
      await retry.complete("msg_1");
      assert.equal(await store.claim("msg_1"), "done");
    });

    test("ids are independent", async () => {
      const { store } = kind.create();
      assert.equal(await store.claim("msg_a"), "claimed");
      await store.complete("msg_a");
      assert.equal(await store.claim("msg_b"), "claimed");
      assert.equal(await store.claim("msg_a"), "done");
      assert.equal(await store.claim("msg_c"), "claimed");
      assert.equal(await store.claim("msg_b"), "in-flight");
    });

    test("an in-flight claim that is never finished expires on its own after the in-flight TTL", async () => {
      const { store, peer, advance } = kind.create();
      assert.equal(await store.claim("msg_1"), "claimed");
      await advance(IN_FLIGHT_TTL_MS - MARGIN_MS);
      assert.equal(await peer().claim("msg_1"), "in-flight");
      await advance(2 * MARGIN_MS);
      assert.equal(await peer().claim("msg_1"), "claimed");
    });

    test("a done id is remembered for the whole TTL (longer than the in-flight TTL), then forgotten", async () => {
      const { store, advance } = kind.create();
      assert.equal(await store.claim("msg_1"), "claimed");
      await store.complete("msg_1");
      await advance(IN_FLIGHT_TTL_MS + MARGIN_MS);
      assert.equal(await store.claim("msg_1"), "done");
      await advance(TTL_MS - IN_FLIGHT_TTL_MS - 2 * MARGIN_MS);
      assert.equal(await store.claim("msg_1"), "done");
      await advance(2 * MARGIN_MS);
      assert.equal(await store.claim("msg_1"), "claimed");
    });

    test("release never forgets a done id", async () => {
      const { store, peer } = kind.create();
      assert.equal(await store.claim("msg_1"), "claimed");
      await store.complete("msg_1");
      await store.release("msg_1");
      await peer().release("msg_1");
      assert.equal(await store.claim("msg_1"), "done");
    });

    test("release of an id nobody claimed is a no-op", async () => {
      const { store } = kind.create();
      await store.release("msg_never");
      assert.equal(await store.claim("msg_never"), "claimed");
    });

    test("complete after the claim expired still marks the id done (the handlers did succeed)", async () => {
      const { store, peer, advance } = kind.create();
      assert.equal(await store.claim("msg_1"), "claimed");
      await advance(IN_FLIGHT_TTL_MS + MARGIN_MS);
      await store.complete("msg_1");
      assert.equal(await peer().claim("msg_1"), "done");
    });

    test("many concurrent claims from many callers: exactly one is claimed", async () => {
      const { store, peer } = kind.create();
      const callers = [store, peer(), peer(), peer()];
      const claims = (ids: string[]) => Promise.all(ids.map((id, i) => callers[i % callers.length]!.claim(id)));
      const same = Array.from({ length: 200 }, () => "msg_storm");

      const first = await claims(same);
      assert.deepEqual(count(first), { claimed: 1, "in-flight": 199 });

      // The winner fails: its release lets exactly one retry through again.
      await callers[first.indexOf("claimed") % callers.length]!.release("msg_storm");
      const second = await claims(same);
      assert.deepEqual(count(second), { claimed: 1, "in-flight": 199 });

      await callers[second.indexOf("claimed") % callers.length]!.complete("msg_storm");
      assert.deepEqual(count(await claims(same)), { done: 200 });
    });
  });
}

function count(results: ClaimResult[]): Partial<Record<ClaimResult, number>> {
  const counts: Partial<Record<ClaimResult, number>> = {};
  for (const result of results) counts[result] = (counts[result] ?? 0) + 1;
  return counts;
}
