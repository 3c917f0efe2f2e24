// Property tests (fast-check): whatever headers, bodies and lengths arrive, the receiver never crashes,
// never answers 5xx except the documented ones, never runs a handler unless the signature is valid,
// and never loses a genuinely signed event. The middleware is called with fake req/res objects (no
// sockets) so tens of thousands of requests stay fast; test/mutation.test.ts covers the real wire.
import assert from "node:assert/strict";
import { isUtf8 } from "node:buffer";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { geminiWebhooks, type GeminiWebhooks } from "../src/index.js";
import { ANSWERS } from "../src/errors.js";
import { NOW_SECONDS, SCHEMES, countingStore, type CountingStore, type SchemeUnderTest } from "./support/adversary.js";
import { callMiddleware, nodeHeaders, type BodyMode, type FakeAnswer } from "./support/fake-http.js";

const MAX_BODY_BYTES = 4096;
const TOLERANCE_SECONDS = 300;
/** Runs per property; their sum is the number of generated requests (≥ 10 000 in CI). */
const RUNS = { garbage: 3500, nearGenuine: 3500, signedAnyBody: 3500 };
const MODES: BodyMode[] = ["stream", "stream", "stream", "rawBody", "bufferBody", "stringBody", "consumed"];

type Lines = Array<[string, string]>;

interface Case {
  lines: Lines;
  body: Buffer;
  mode: BodyMode;
  chunkSizes: number[];
}

/** What the genuine sender signed, before any change. */
interface Signed {
  id: string;
  timestamp: string;
  body: Buffer;
  /** The `webhook-signature` entry the sender made. */
  entry: string;
}

const isJws = (entry: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(entry);
/**
 * `webhook-signature` entries as the README describes them: whitespace-separated, a trailing comma is a
 * separator; an entry is `version,value` or a compact JWT, anything else is skipped.
 */
function entriesOf(signature: string): string[] {
  return signature
    .split(/\s+/)
    .map((token) => token.replace(/,+$/, ""))
    .filter((token) => token.indexOf(",") > 0 || isJws(token));
}
const usableId = (id: string) => id.length <= 256 && /^[\x21-\x7e]+$/.test(id);
const freshTimestamp = (ts: string) =>
  /^(0|[1-9]\d{0,11})$/.test(ts) && Math.abs(Number(ts) - NOW_SECONDS) <= TOLERANCE_SECONDS;

/**
 * Whether a delivery deserves a handler run, computed independently of the receiver from the
 * documented rules (README: Security model). `v1`/`v1a`: Standard Webhooks: the signature is
 * recomputed over the headers and body as received. JWT: the sender's token must be among the
 * entries tried, the body must be the one its digest claim binds, `webhook-id` (if sent) must be
 * its `jti`, and `webhook-timestamp` (if sent) must be fresh.
 */
async function deserves(
  scheme: SchemeUnderTest,
  lines: Lines,
  body: Buffer,
  signed: Signed | undefined,
): Promise<boolean> {
  if (!signed) return false;
  const headers = nodeHeaders(lines);
  const id = headers["webhook-id"] || undefined;
  const ts = headers["webhook-timestamp"] || undefined;
  const signature = headers["webhook-signature"];
  if (!signature) return false;
  const entries = entriesOf(signature);
  if (scheme.prefix !== "") {
    if (!id || !ts || !usableId(id) || !freshTimestamp(ts)) return false;
    return entries.includes(`${scheme.prefix}${await scheme.sign(id, ts, body)}`);
  }
  const tokens = entries.filter((entry) => !entry.includes(",") && isJws(entry)).slice(0, 2);
  if (!tokens.includes(signed.entry) || !body.equals(signed.body)) return false;
  if ((!id || !ts) && !entries.every((entry) => !entry.includes(",") && isJws(entry))) return false; // token-only needs only tokens
  if (id !== undefined && (!usableId(id) || id !== signed.id)) return false;
  return ts === undefined || freshTimestamp(ts);
}

function isEvent(body: Buffer): boolean {
  if (!isUtf8(body)) return false;
  try {
    const value = JSON.parse(body.toString("utf8"));
    return (
      typeof value === "object" &&
      value !== null &&
      !Array.isArray(value) &&
      typeof value.type === "string" &&
      value.type !== ""
    );
  } catch {
    return false;
  }
}

/** 5xx answers a request can provoke by itself: only a body consumed by a parser with no raw copy. */
function isDocumented5xx(answer: FakeAnswer, mode: BodyMode): boolean {
  return (
    answer.status === ANSWERS.raw_body_unavailable.status &&
    answer.json?.error === "raw_body_unavailable" &&
    mode === "consumed"
  );
}

// --- arbitraries -------------------------------------------------------------------------------------

const headerName = fc.constantFrom("webhook-id", "webhook-timestamp", "webhook-signature");
const anyText = fc.oneof(
  fc.string({ unit: "binary-ascii", maxLength: 120 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    ",",
    "v1,",
    "v1a,",
    "v1,,",
    "a.b.c",
    "..",
    "0",
    "-1",
    "1e9",
    "9".repeat(40),
    "v1," + "A".repeat(44),
  ),
);
const mode = fc.constantFrom(...MODES);
const chunkSizes = fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 8 });
const anyBody = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
  fc.uint8Array({ minLength: MAX_BODY_BYTES - 8, maxLength: MAX_BODY_BYTES + 8 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? "null")),
  fc.string({ unit: "grapheme", maxLength: 200 }).map((text) => Buffer.from(text)),
);
const eventBody = fc
  .record({
    type: fc.oneof(
      fc.constantFrom("batch.succeeded", "batch.failed", "video.generated", "future.event"),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }),
    ),
    version: fc.constant("v1"),
    data: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
  })
  .map((event) => Buffer.from(JSON.stringify(event)));
const idArb = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:~"),
  minLength: 1,
  maxLength: 40,
});

/** One change to a genuine delivery; the oracle, not the change, decides whether it still deserves a run. */
type Perturbation = (c: Case) => void;
const setHeader = (c: Case, name: string, change: (value: string) => string) => {
  c.lines = c.lines.map(([n, v]): [string, string] => [n, n.toLowerCase() === name ? change(v) : v]);
};
/** Names a perturbation so fast-check prints a readable counterexample. */
function named(label: string, change: Perturbation): Perturbation {
  return Object.assign(change, { toString: () => label });
}
const perturbation: fc.Arbitrary<Perturbation> = fc.oneof(
  headerName.map((name) =>
    named(`remove ${name}`, (c) => void (c.lines = c.lines.filter(([n]) => n.toLowerCase() !== name))),
  ),
  fc
    .tuple(headerName, anyText)
    .map(([name, text]) => named(`set ${name} to ${JSON.stringify(text)}`, (c) => setHeader(c, name, () => text))),
  fc
    .tuple(headerName, fc.nat(), fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }))
    .map(([name, at, char]) =>
      named(`replace char ${at} of ${name} with ${JSON.stringify(char)}`, (c) =>
        setHeader(c, name, (v) => v.slice(0, at % (v.length + 1)) + char + v.slice((at % (v.length + 1)) + 1)),
      ),
    ),
  fc
    .tuple(headerName, fc.nat(), anyText)
    .map(([name, at, text]) =>
      named(`insert ${JSON.stringify(text)} at ${at} of ${name}`, (c) =>
        setHeader(c, name, (v) => v.slice(0, at % (v.length + 1)) + text + v.slice(at % (v.length + 1))),
      ),
    ),
  fc
    .tuple(headerName, anyText)
    .map(([name, text]) => named(`add a ${name} line ${JSON.stringify(text)}`, (c) => void c.lines.push([name, text]))),
  fc.tuple(headerName, fc.boolean()).map(([name, upper]) =>
    named(`${upper ? "upper" : "title"}-case the name ${name}`, (c) => {
      c.lines = c.lines.map(([n, v]): [string, string] => [
        n.toLowerCase() === name ? (upper ? n.toUpperCase() : n.replace(/\b\w/g, (x) => x.toUpperCase())) : n,
        v,
      ]);
    }),
  ),
  fc
    .tuple(headerName, fc.constantFrom(" ", "\t", "  \t "))
    .map(([name, pad]) => named(`pad ${name}`, (c) => setHeader(c, name, (v) => `${pad}${v}${pad}`))),
  fc
    .constantFrom("v2,Zm9v", "v1a,QUJD", "v1,AAAA", "eyJhbGciOiJIUzI1NiJ9.e30.x")
    .map((entry) =>
      named(`prepend the entry ${entry}`, (c) => setHeader(c, "webhook-signature", (v) => `${entry}  ${v}`)),
    ),
  fc
    .integer({ min: -1000, max: 1000 })
    .map((delta) =>
      named(`shift webhook-timestamp by ${delta}`, (c) =>
        setHeader(c, "webhook-timestamp", (v) => String(Number(v) + delta)),
      ),
    ),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]) =>
    named(`flip bit ${bit} of body byte ${at}`, (c) => {
      if (c.body.length === 0) return;
      const copy = Buffer.from(c.body);
      copy[at % copy.length] = copy[at % copy.length]! ^ (1 << bit);
      c.body = copy;
    }),
  ),
  fc
    .nat()
    .map((cut) =>
      named(`cut the body at ${cut}`, (c) => void (c.body = c.body.subarray(0, cut % (c.body.length + 1)))),
    ),
  fc
    .uint8Array({ minLength: 1, maxLength: 8 })
    .map((bytes) =>
      named(`append ${bytes.length} bytes to the body`, (c) => void (c.body = Buffer.concat([c.body, bytes]))),
    ),
);

// --- the properties ----------------------------------------------------------------------------------

for (const scheme of SCHEMES) {
  describe(`property: arbitrary requests against a ${scheme.name} receiver`, () => {
    let receiver: GeminiWebhooks;
    let store: CountingStore;
    let runCount = 0;
    let lastRun: Buffer | undefined;
    const tally = { generated: 0, rejected: 0, accepted: 0, forgedAccepted: 0, genuineLost: 0, documented5xx: 0 };
    let sequence = 0;
    const crashes: unknown[] = [];
    const onCrash = (error: unknown) => crashes.push(error);

    before(() => {
      store = countingStore();
      receiver = geminiWebhooks({
        ...scheme.receiverOptions,
        dedupe: store,
        maxBodyBytes: MAX_BODY_BYTES,
        toleranceSeconds: TOLERANCE_SECONDS,
        now: () => NOW_SECONDS * 1000,
      });
      // A listener keeps the documented 500s out of console.error (the default for 5xx without one).
      receiver.onError(() => {});
      receiver.onAny((_event, ctx) => {
        runCount += 1;
        lastRun = Buffer.from(ctx.rawBody);
      });
      process.on("uncaughtException", onCrash);
      process.on("unhandledRejection", onCrash);
    });
    after(() => {
      process.off("uncaughtException", onCrash);
      process.off("unhandledRejection", onCrash);
      console.log(
        `[property ${scheme.name}] generated ${tally.generated} requests / rejected ${tally.rejected} / accepted ${tally.accepted} — ` +
          `forged accepted ${tally.forgedAccepted}, genuine lost ${tally.genuineLost}, documented 5xx ${tally.documented5xx} (raw_body_unavailable)`,
      );
    });

    /** Sends one case and checks what must hold for every request; returns the answer and whether a handler ran. */
    async function check(
      c: Case,
      signed?: Signed,
    ): Promise<{ answer: FakeAnswer; ran: Buffer | undefined; deserved: boolean }> {
      tally.generated += 1;
      const before = runCount;
      const answer = await callMiddleware(receiver, {
        headers: c.lines,
        body: c.body,
        mode: c.mode,
        chunkSizes: c.chunkSizes,
      });
      const ran = runCount > before ? lastRun : undefined;
      const deserved = await deserves(scheme, c.lines, c.body, signed);

      assert.equal(answer.passed, false, "a POST must be answered, not passed on");
      if (answer.status >= 500) {
        assert.ok(isDocumented5xx(answer, c.mode), `undocumented ${answer.status} ${JSON.stringify(answer.json)}`);
        tally.documented5xx += 1;
      }
      assert.ok([200, 400, 401, 413, 415, 500].includes(answer.status), `unexpected status ${answer.status}`);
      if (answer.status !== 200) assert.equal(typeof answer.json?.error, "string");
      assert.ok(runCount - before <= 1, "one request ran the handlers more than once");
      if (ran) {
        if (!deserved) tally.forgedAccepted += 1;
        assert.ok(deserved, `a handler ran for a delivery that is not genuinely signed: ${JSON.stringify(c.lines)}`);
        assert.ok(ran.equals(c.body), "the handler saw other bytes than the ones sent");
      }
      if (answer.status === 200) tally.accepted += 1;
      else tally.rejected += 1;
      assert.equal(crashes.length, 0, `the process saw an uncaught error: ${String(crashes[0])}`);
      return { answer, ran, deserved };
    }

    async function genuineCase(
      id: string,
      body: Buffer,
      bodyMode: BodyMode,
      sizes: number[],
    ): Promise<{ c: Case; signed: Signed }> {
      const timestamp = String(NOW_SECONDS);
      const entry = `${scheme.prefix}${await scheme.sign(id, timestamp, body)}`;
      const c: Case = {
        lines: [
          ["webhook-id", id],
          ["webhook-timestamp", timestamp],
          ["webhook-signature", entry],
        ],
        body,
        mode: bodyMode,
        chunkSizes: sizes,
      };
      return { c, signed: { id, timestamp, body, entry } };
    }

    test(`${RUNS.garbage} requests with arbitrary headers and bodies: never a crash, never an undocumented 5xx, never a handler run`, async () => {
      const lines = fc.array(
        fc.tuple(
          fc.oneof(headerName, fc.constantFrom("content-length", "content-type", "content-encoding", "x-other")),
          anyText,
        ),
        {
          maxLength: 6,
        },
      );
      await fc.assert(
        fc.asyncProperty(lines, anyBody, mode, chunkSizes, async (headerLines, body, bodyMode, sizes) => {
          const { ran } = await check({ lines: headerLines, body, mode: bodyMode, chunkSizes: sizes });
          assert.equal(ran, undefined);
        }),
        { numRuns: RUNS.garbage },
      );
    });

    test(`${RUNS.nearGenuine} genuine deliveries with 0–3 random changes: a handler runs exactly when the oracle says the delivery is genuine`, async () => {
      await fc.assert(
        fc.asyncProperty(
          idArb,
          eventBody,
          mode,
          chunkSizes,
          fc.array(perturbation, { maxLength: 3 }),
          async (idStem, body, bodyMode, sizes, changes) => {
            const { c, signed } = await genuineCase(`${idStem}-${++sequence}`, body, bodyMode, sizes);
            for (const change of changes) change(c);
            const { answer, ran, deserved } = await check(c, signed);
            // Nothing lost: a genuinely signed, well-formed, fresh delivery is always handled.
            if (deserved && isEvent(c.body) && c.body.length <= MAX_BODY_BYTES && c.mode !== "consumed") {
              if (!ran) tally.genuineLost += 1;
              assert.deepEqual(
                [answer.status, answer.json],
                [200, { status: "received" }],
                `genuine delivery lost: ${JSON.stringify(c.lines)}`,
              );
            }
          },
        ),
        { numRuns: RUNS.nearGenuine },
      );
    });

    test(`${RUNS.signedAnyBody} genuinely signed arbitrary bodies get exactly the documented answer`, async () => {
      await fc.assert(
        fc.asyncProperty(
          idArb,
          fc.oneof(anyBody, eventBody),
          mode,
          chunkSizes,
          async (idStem, body, bodyMode, sizes) => {
            const { c, signed } = await genuineCase(`${idStem}-${++sequence}`, body, bodyMode, sizes);
            const { answer, ran } = await check(c, signed);
            // express.text() hands over decoded text: invalid UTF-8 is already lost (and longer) by then.
            const received = bodyMode === "stringBody" ? Buffer.from(body.toString("utf8")) : body;
            // In "consumed" mode no copy of the body exists, so its size is unknown: the 500 comes first.
            const expected =
              bodyMode === "consumed"
                ? [500, "raw_body_unavailable"]
                : received.length > MAX_BODY_BYTES
                  ? [413, "payload_too_large"]
                  : !received.equals(body)
                    ? [401, "invalid_signature"] // other bytes than signed (every scheme signs bytes, UTF-8 or not)
                    : !isEvent(body)
                      ? [400, "invalid_payload"]
                      : [200, "received"];
            if (expected[0] === 200 && !ran) tally.genuineLost += 1;
            assert.deepEqual([answer.status, answer.json?.error ?? answer.json?.status], expected);
            assert.equal(Boolean(ran), expected[0] === 200);
          },
        ),
        { numRuns: RUNS.signedAnyBody },
      );
    });

    test("afterwards: no claim left behind, and the counts add up", () => {
      assert.equal(store.outstanding.size, 0, "a claim leaked");
      assert.equal(tally.forgedAccepted, 0);
      assert.equal(tally.genuineLost, 0);
      assert.ok(tally.generated >= 10_000, `only ${tally.generated} requests generated`);
    });
  });
}
