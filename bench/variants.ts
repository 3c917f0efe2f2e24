// The server variants both runners measure (run.ts: time over HTTP; instructions.ts: instruction counts).
import { DeliveryPool, freshId, signJwt, signV1, signV1a, type BenchKeys } from "./deliveries.js";

export interface Variant {
  name: string;
  server: string;
  /**
   * Every variant's requests come from a pool signed before the round, through the same autocannon hook,
   * so the client (which shares the 2 cores with the server) spends the same on each variant.
   */
  pool: DeliveryPool;
  /**
   * Signed again before each measurement: the docs handler allows only ±300 s, and a full run lasts longer.
   * The other pools are signed once and never reused: every webhook-id is new to the server's dedupe store.
   */
  resignEachRound: boolean;
  /**
   * The variant this one is judged against (server CPU, paired within rounds): the floor plus exactly the
   * crypto (or the store write) this variant cannot avoid. Default: `floor`.
   */
  reference?: string;
}

/**
 * Every variant, with pools signing for `keys`; the BullMQ rows only `withRedis`, the pg-boss rows only
 * `withPostgres` (by default: when DATABASE_URL is set, so both runners get them without asking).
 */
export function benchVariants(
  keys: BenchKeys,
  withRedis: boolean,
  withPostgres = process.env.DATABASE_URL !== undefined,
): Variant[] {
  const v1 = () => new DeliveryPool(() => signV1(keys.config.secret));
  const v1a = () => new DeliveryPool(() => signV1a(keys.ed25519));
  const jwt = () => new DeliveryPool(() => signJwt(keys.rsa, keys.config.audience));
  const duplicateId = freshId();
  return [
    { name: "floor", server: "servers/floor.ts", pool: v1(), resignEachRound: true },
    { name: "docs-handler", server: "servers/docs-handler.ts", pool: v1(), resignEachRound: true },
    { name: "receiver-v1", server: "servers/receiver-v1.ts", pool: v1(), resignEachRound: true },
    {
      name: "receiver-v1a",
      server: "servers/receiver-dynamic.ts",
      pool: v1a(),
      resignEachRound: false,
      reference: "floor+ed25519",
    },
    {
      name: "receiver-jwt",
      server: "servers/receiver-dynamic.ts",
      pool: jwt(),
      resignEachRound: false,
      reference: "floor+jose-jwt",
    },
    // One webhook-id, again and again: the first is handled, the rest answered as duplicates.
    {
      name: "receiver-v1-duplicates",
      server: "servers/receiver-v1.ts",
      pool: new DeliveryPool(() => signV1(keys.config.secret, duplicateId)),
      resignEachRound: true,
    },
    // References: the floor plus only the crypto a scheme must do (the fair floor of v1a and JWT), and the
    // floor plus only a v1 HMAC check with each implementation (what the HMAC alone costs).
    { name: "floor+ed25519", server: "servers/floor-ed25519.ts", pool: v1a(), resignEachRound: false },
    { name: "floor+jose-jwt", server: "servers/floor-jose-jwt.ts", pool: jwt(), resignEachRound: false },
    {
      name: "floor+hmac-standardwebhooks",
      server: "servers/floor-hmac-standardwebhooks.ts",
      pool: v1(),
      resignEachRound: true,
    },
    { name: "floor+hmac-node-crypto", server: "servers/floor-hmac-node-crypto.ts", pool: v1(), resignEachRound: true },
    // With REDIS_URL: the BullMQ hand-off (verify, dedupe, enqueue, 202), and its floor (Express + one Redis SET).
    ...(withRedis
      ? [
          {
            name: "receiver-v1-queued",
            server: "servers/receiver-v1-queued.ts",
            pool: v1(),
            resignEachRound: true,
            reference: "floor+redis-set",
          },
          { name: "floor+redis-set", server: "servers/floor-redis-set.ts", pool: v1(), resignEachRound: true },
          // The floor plus one bare BullMQ add: how much of the queued row is BullMQ's own (not a target's floor).
          {
            name: "floor+bullmq-add",
            server: "servers/floor-bullmq-add.ts",
            pool: v1(),
            resignEachRound: true,
            reference: "floor+redis-set",
          },
        ]
      : []),
    // With DATABASE_URL: the pg-boss hand-off, judged against the floor plus one bare pg-boss send (what any
    // pg-boss hand-off costs), which is judged against the floor plus one bare INSERT.
    ...(withPostgres
      ? [
          {
            name: "receiver-v1-pgboss",
            server: "servers/receiver-v1-pgboss.ts",
            pool: v1(),
            resignEachRound: true,
            reference: "floor+pgboss-send",
          },
          {
            name: "floor+pgboss-send",
            server: "servers/floor-pgboss-send.ts",
            pool: v1(),
            resignEachRound: true,
            reference: "floor+pg-insert",
          },
          { name: "floor+pg-insert", server: "servers/floor-pg-insert.ts", pool: v1(), resignEachRound: true },
        ]
      : []),
  ];
}
