// Resource bounds (a script, not a test: it takes a minute and reports numbers rather than pass/fail
// on time). Run: `npm run bounds` (or `npm run bounds -- --ids 200000 --invalid 200000 --dynamic 20000` for a quicker look).
//
// 1. A flood of invalid requests (missing/garbled headers, wrong signatures, stale timestamps, bodies
//    that stall, compressed bodies): nothing may stay behind: no claim, no timer, no heap growth.
// 2. The same for dynamic webhooks (forged v1a signatures, JWTs from a stranger's key or an unknown
//    kid) against a key set: the key source must not grow per request either.
// 3. A flood of distinct genuine deliveries: the default memory store must stay bounded by its `max`
//    (100 000 ids), so the heap after 1 000 000 ids is about the heap once the store is full.
// 4. What one forged request costs in CPU (large bodies, a large key set, a header stuffed with entries):
//    the work an unauthenticated request can cause must stay bounded. Figures only, for README § Security
//    model (`npm run bounds -- --only cpu` runs this part alone, in a few seconds).
//
// The middleware is called with fake req/res objects (test/fake-http.ts): no sockets, so what is
// measured is the receiver's own state.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { geminiWebhooks, memoryStore, type DedupeStore } from "../src/index.js";
import { resolveOptions } from "../src/options.js";
import { callMiddleware, type BodyMode } from "../test/support/fake-http.js";
import { hmacSignature, keySet, makeKey, signJwt, v1aSignature } from "../test/support/signer.js";

const { values } = parseArgs({
  options: {
    ids: { type: "string", default: "1000000" },
    invalid: { type: "string", default: "1000000" },
    dynamic: { type: "string", default: "100000" },
    only: { type: "string" },
  },
});
const VALID_IDS = Number(values.ids);
const INVALID_REQUESTS = Number(values.invalid);
/** Fewer: each costs a public-key verification (Ed25519 or RSA). */
const INVALID_DYNAMIC = Number(values.dynamic);
const STORE_MAX = 100_000;
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW_SECONDS = 1_800_000_000;
const BODY = Buffer.from(
  JSON.stringify({
    type: "batch.succeeded",
    version: "v1",
    data: { id: "batches/123", output_file_uri: "gs://b/r.jsonl" },
  }),
);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error("Run with --expose-gc (npm run bounds does).");
  process.exit(2);
}

function heapMiB(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
}
const mib = (value: number) => `${value.toFixed(1)} MiB`;

function sign(id: string, timestamp: number, body: Buffer): string {
  return `v1,${hmacSignature(SECRET, id, timestamp, body)}`;
}

/** Counts claims that were never completed or released (a leak would show here first). */
function watched(inner: DedupeStore) {
  let claims = 0;
  const open = new Set<string>();
  const store: DedupeStore = {
    claim(id) {
      const result = inner.claim(id);
      if (typeof result !== "string") throw new Error("the memory store answers synchronously");
      if (result === "claimed") {
        claims += 1;
        open.add(id);
      }
      return result;
    },
    complete(id) {
      open.delete(id);
      return inner.complete(id);
    },
    release(id) {
      open.delete(id);
      return inner.release(id);
    },
  };
  return { store, claims: () => claims, open };
}

function activeResources(): string {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return JSON.stringify(counts);
}

async function validFlood(): Promise<boolean> {
  console.log(
    `\n3. ${VALID_IDS.toLocaleString("en")} distinct genuine deliveries, default memory store (max ${STORE_MAX.toLocaleString("en")})`,
  );
  const memory = watched(memoryStore({ max: STORE_MAX }));
  const receiver = geminiWebhooks({ secret: SECRET, dedupe: memory.store, now: () => NOW_SECONDS * 1000 });
  let runs = 0;
  receiver.onAny(() => void runs++);
  const before = heapMiB();
  console.log(`   heap before: ${mib(before)}`);
  const checkpoints = new Set([STORE_MAX, 2 * STORE_MAX, VALID_IDS >> 1, VALID_IDS]);
  const heapAt = new Map<number, number>();
  for (let index = 1; index <= VALID_IDS; index++) {
    const id = `msg_${index.toString(16).padStart(8, "0")}-5e1c-4b7a-9d2f-0c3a8e6b1f47`;
    const answer = await callMiddleware(receiver, {
      headers: [
        ["webhook-id", id],
        ["webhook-timestamp", String(NOW_SECONDS)],
        ["webhook-signature", sign(id, NOW_SECONDS, BODY)],
      ],
      body: BODY,
      mode: "bufferBody",
    });
    if (answer.status !== 200) throw new Error(`genuine delivery ${index} answered ${answer.status}`);
    if (checkpoints.has(index)) {
      const heap = heapMiB();
      heapAt.set(index, heap);
      console.log(`   after ${index.toLocaleString("en").padStart(9)} ids: heap ${mib(heap)} (+${mib(heap - before)})`);
    }
  }
  const after = heapMiB();
  // Once the store is full (and has evicted a round), more ids must not cost more memory.
  const full = heapAt.get(2 * STORE_MAX) ?? after;
  const plateau = after - full;
  const openClaims = memory.open.size;
  // The oldest ids were evicted (bounded), the newest are remembered (still de-duplicated).
  const oldest = memory.store.claim(`msg_${(1).toString(16).padStart(8, "0")}-5e1c-4b7a-9d2f-0c3a8e6b1f47`);
  const newest = memory.store.claim(`msg_${VALID_IDS.toString(16).padStart(8, "0")}-5e1c-4b7a-9d2f-0c3a8e6b1f47`);
  console.log(`   handler runs: ${runs.toLocaleString("en")}; claims left open: ${openClaims}`);
  console.log(
    `   oldest id now: ${String(oldest)} (evicted, as max allows); newest id: ${String(newest)} (remembered)`,
  );
  console.log(
    `   heap growth from ${(2 * STORE_MAX).toLocaleString("en")} to ${VALID_IDS.toLocaleString("en")} ids: ${mib(plateau)} ` +
      `(the store, full, holds ${mib(full - before)} for ${STORE_MAX.toLocaleString("en")} ids)`,
  );
  return runs === VALID_IDS && openClaims === 0 && newest === "done" && plateau < 0.1 * (full - before) + 0.5;
}

async function invalidFlood(): Promise<boolean> {
  console.log(`\n1. ${INVALID_REQUESTS.toLocaleString("en")} invalid requests (5 kinds, round robin)`);
  const memory = watched(memoryStore({ max: STORE_MAX }));
  const receiver = geminiWebhooks({
    secret: SECRET,
    dedupe: memory.store,
    now: () => NOW_SECONDS * 1000,
    bodyTimeoutMs: 5,
  });
  let runs = 0;
  receiver.onAny(() => void runs++);
  receiver.onError(() => {});
  const kinds: Array<
    (index: number) => { headers: Array<[string, string]>; body: Buffer; mode?: BodyMode; chunkSizes?: number[] }
  > = [
    () => ({ headers: [["webhook-id", "msg_x"]], body: BODY }),
    (i) => ({
      headers: [
        ["webhook-id", `msg_${i}`],
        ["webhook-timestamp", "soon"],
        ["webhook-signature", "v1,AAAA"],
      ],
      body: BODY,
    }),
    (i) => ({
      headers: [
        ["webhook-id", `msg_${i}`],
        ["webhook-timestamp", String(NOW_SECONDS)],
        ["webhook-signature", sign(`msg_${i}`, NOW_SECONDS, Buffer.from("other"))],
      ],
      body: BODY,
      mode: "stream",
      chunkSizes: [16, 16],
    }),
    (i) => ({
      headers: [
        ["webhook-id", `msg_${i}`],
        ["webhook-timestamp", String(NOW_SECONDS - 3600)],
        ["webhook-signature", sign(`msg_${i}`, NOW_SECONDS - 3600, BODY)],
      ],
      body: BODY,
    }),
    (i) => ({
      headers: [
        ["webhook-id", `msg_${i}`],
        ["webhook-timestamp", String(NOW_SECONDS)],
        ["webhook-signature", sign(`msg_${i}`, NOW_SECONDS, BODY)],
        ["content-encoding", "gzip"],
      ],
      body: BODY,
    }),
  ];
  const send = (index: number) =>
    callMiddleware(receiver, { mode: "bufferBody", ...kinds[index % kinds.length]!(index) });
  for (let index = 0; index < 5000; index++) await send(index); // warm-up: JIT and lazy initialisation are not leaks
  return measureFlood(
    INVALID_REQUESTS,
    send,
    memory,
    () => runs,
    () =>
      // A body that stalls (never ends): the body timeout must clean up after itself too.
      Promise.all(
        Array.from({ length: 1000 }, (_, i) => {
          const id = `msg_stall_${i}`;
          return callMiddleware(receiver, {
            headers: [
              ["webhook-id", id],
              ["webhook-timestamp", String(NOW_SECONDS)],
              ["webhook-signature", sign(id, NOW_SECONDS, BODY)],
            ],
            body: BODY,
            mode: "stream",
            stall: true,
          });
        }),
      ),
  );
}

async function invalidDynamicFlood(): Promise<boolean> {
  console.log(
    `\n2. ${INVALID_DYNAMIC.toLocaleString("en")} invalid v1a and JWT requests against a key set (4 kinds, round robin)`,
  );
  const ed = makeKey("EdDSA", null);
  const rsa = makeKey("RS256", "rsa-1");
  const stranger = makeKey("RS256", "rsa-1");
  const memory = watched(memoryStore({ max: STORE_MAX }));
  const receiver = geminiWebhooks({
    jwks: { keys: keySet(ed, rsa), audience: "bounds", cooldownMs: 0 },
    dedupe: memory.store,
    now: () => NOW_SECONDS * 1000,
  });
  let runs = 0;
  receiver.onAny(() => void runs++);
  receiver.onError(() => {});
  const jwt = (key: typeof rsa, kid: string, id: string) =>
    signJwt({ aud: "bounds", iat: NOW_SECONDS, exp: NOW_SECONDS + 300, jti: id }, { key, kid });
  const strangerToken = jwt(stranger, "rsa-1", "msg_fixed");
  const unknownKid = jwt(stranger, "rsa-unknown", "msg_fixed");
  const kinds: Array<(i: number) => Array<[string, string]>> = [
    (i) => [
      ["webhook-id", `msg_${i}`],
      ["webhook-timestamp", String(NOW_SECONDS)],
      ["webhook-signature", `v1a,${randomBytes(64).toString("base64")}`],
    ],
    (i) => [
      ["webhook-id", `msg_${i}`],
      ["webhook-timestamp", String(NOW_SECONDS)],
      ["webhook-signature", `v1a,${v1aSignature(ed.privateKey, `msg_${i}`, NOW_SECONDS, "other")}`],
    ],
    () => [
      ["webhook-id", "msg_fixed"],
      ["webhook-timestamp", String(NOW_SECONDS)],
      ["webhook-signature", strangerToken],
    ],
    () => [["webhook-signature", unknownKid]],
  ];
  const send = (index: number) =>
    callMiddleware(receiver, { headers: kinds[index % kinds.length]!(index), body: BODY, mode: "bufferBody" });
  for (let index = 0; index < 2000; index++) await send(index); // warm-up: key import, JIT
  return measureFlood(INVALID_DYNAMIC, send, memory, () => runs);
}

/**
 * Sends `count` invalid requests (then the `extra` ones, if any) and checks they left nothing behind: no handler run,
 * no claim, no timer or socket, and no heap growth beyond noise.
 */
async function measureFlood(
  count: number,
  send: (index: number) => Promise<{ status: number }>,
  memory: ReturnType<typeof watched>,
  runs: () => number,
  extra?: () => Promise<Array<{ status: number }>>,
): Promise<boolean> {
  const resourcesBefore = activeResources();
  const before = heapMiB();
  console.log(`   heap before: ${mib(before)}; active resources: ${resourcesBefore}`);
  const statuses: Record<number, number> = {};
  const tally = (answer: { status: number }) => void (statuses[answer.status] = (statuses[answer.status] ?? 0) + 1);
  for (let index = 0; index < count; index++) tally(await send(index));
  if (extra) for (const answer of await extra()) tally(answer);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const after = heapMiB();
  const resourcesAfter = activeResources();
  console.log(`   answers: ${JSON.stringify(statuses)}`);
  console.log(
    `   heap after: ${mib(after)} (${after - before >= 0 ? "+" : ""}${mib(after - before)}); active resources: ${resourcesAfter}`,
  );
  console.log(`   handler runs: ${runs()}; claims taken: ${memory.claims()}; claims left open: ${memory.open.size}`);
  return runs() === 0 && memory.claims() === 0 && resourcesAfter === resourcesBefore && after - before < 5;
}

/** CPU (all threads: Ed25519 runs on the thread pool) and wall time of one request, averaged over `runs` sequential ones. */
async function costOf(label: string, runs: number, send: () => Promise<{ status: number }>): Promise<void> {
  for (let i = 0; i < 2; i++) await send(); // warm-up: JIT, key imports
  const statuses = new Set<number>();
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) statuses.add((await send()).status);
  const wallMs = Number(process.hrtime.bigint() - wallBefore) / 1e6 / runs;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000 / runs;
  console.log(
    `   ${label.padEnd(64)} ${cpuMs.toFixed(2).padStart(7)} ms CPU ${wallMs.toFixed(2).padStart(7)} ms wall  → ${[...statuses].join(",")}`,
  );
}

async function forgedRequestCost(): Promise<void> {
  console.log(
    "\n4. CPU per forged request (mean of sequential requests; body streamed in 64 KiB chunks, Content-Length sent)",
  );
  const MiB = 1024 * 1024;
  const padded = (size: number) => {
    const head = Buffer.from('{"type":"batch.succeeded","pad":"');
    return Buffer.concat([head, Buffer.alloc(size - head.length - 2, "x"), Buffer.from('"}')]);
  };
  const post = (receiver: ReturnType<typeof geminiWebhooks>, signature: string, body: Buffer, id = "msg_forged") =>
    callMiddleware(receiver, {
      headers: [
        ["content-length", String(body.length)],
        ["webhook-id", id],
        ["webhook-timestamp", String(NOW_SECONDS)],
        ["webhook-signature", signature],
      ],
      body,
      mode: "stream",
      chunkSizes: Array.from({ length: Math.ceil(body.length / 65536) }, () => 65536),
    });
  const quiet = (receiver: ReturnType<typeof geminiWebhooks>) => receiver.onError(() => {});
  const forgedV1 = `v1,${randomBytes(32).toString("base64")}`;
  const oneMiB = padded(MiB);

  const defaultReceiver = geminiWebhooks({ secret: SECRET, now: () => NOW_SECONDS * 1000 });
  const oneMiBReceiver = geminiWebhooks({ secret: SECRET, now: () => NOW_SECONDS * 1000, maxBodyBytes: MiB });
  quiet(defaultReceiver);
  quiet(oneMiBReceiver);
  const atDefaultLimit = padded(resolvedDefaultLimit());
  await costOf(`v1 forged, 1 MiB body, maxBodyBytes 1 MiB`, 20, () => post(oneMiBReceiver, forgedV1, oneMiB));
  await costOf(`same body, no v1 entry (reading only)`, 20, () => post(oneMiBReceiver, "v2,Zm9v", oneMiB));
  await costOf(`v1 forged, body at the default limit (${atDefaultLimit.length} B)`, 20, () =>
    post(defaultReceiver, forgedV1, atDefaultLimit),
  );
  await costOf(`v1 forged, 1 MiB body, default maxBodyBytes`, 20, () => post(defaultReceiver, forgedV1, oneMiB));
  await costOf(`v1 forged, thin body (${BODY.length} B)`, 200, () => post(defaultReceiver, forgedV1, BODY));

  const keys = Array.from({ length: 200 }, () => makeKey("EdDSA", null));
  const bigSet = geminiWebhooks({
    secret: SECRET,
    jwks: { keys: keySet(...keys), audience: "bounds", cooldownMs: 0 },
    now: () => NOW_SECONDS * 1000,
  });
  quiet(bigSet);
  const stranger = makeKey("EdDSA", null);
  const forgedV1a = () => `v1a,${v1aSignature(stranger.privateKey, "msg_forged", NOW_SECONDS, "other")}`;
  const kidlessJwt = () =>
    signJwt({ aud: "bounds", iat: NOW_SECONDS, exp: NOW_SECONDS + 300, jti: "msg_forged" }, { key: stranger });
  const v1a = forgedV1a();
  await costOf(`v1a forged, thin body, 200 Ed25519 keys`, 10, () => post(bigSet, v1a, BODY));
  const worst = [
    ...Array.from({ length: 20 }, () => `v1,${randomBytes(32).toString("base64")}`),
    ...Array.from({ length: 5 }, forgedV1a),
    ...Array.from({ length: 3 }, kidlessJwt),
  ].join(" ");
  await costOf(`worst header (20 v1, 5 v1a, 3 kid-less JWTs), 200 keys, thin body`, 5, () => post(bigSet, worst, BODY));
  await costOf(`same header, body at the default limit`, 5, () => post(bigSet, worst, atDefaultLimit));
}

/** The receiver's default body limit, as its options resolve it (whatever this version's default is). */
function resolvedDefaultLimit(): number {
  return resolveOptions({ secret: SECRET }).maxBodyBytes;
}

const started = process.hrtime.bigint();
if (values.only === "cpu") {
  await forgedRequestCost();
} else {
  // The invalid flood first, so its baseline is not blurred by the full store of the valid one.
  const invalidOk = (await invalidFlood()) && (await invalidDynamicFlood());
  const validOk = await validFlood();
  await forgedRequestCost();
  console.log(
    `\n${validOk && invalidOk ? "OK" : "FAILED"}: bounded memory ${validOk ? "yes" : "NO"}, nothing left behind by invalid requests ${invalidOk ? "yes" : "NO"} (${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0)} s)`,
  );
  process.exitCode = validOk && invalidOk ? 0 : 1;
}
