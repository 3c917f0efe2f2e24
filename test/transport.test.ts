// Hostile transport: bodies that trickle, stall, stop half-way, grow past the limit, arrive chunked or
// compressed. Written on raw sockets so the test controls every byte and sees when the server hangs up.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { describe, test } from "node:test";
import express from "express";
import { captureRawBody, geminiWebhooks } from "../src/index.js";
import {
  NOW_SECONDS,
  SCHEMES,
  countingStore,
  genuine,
  sampleEventWithText,
  sendWire,
  startTarget,
  wireOf,
  type GenuineDelivery,
  type Target,
} from "./support/adversary.js";
import { listen } from "./support/helpers.js";

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  json: any;
}

/** A client on a raw socket: the test writes bytes when it wants and observes the answer and the hang-up. */
class RawClient {
  readonly socket: Socket;
  readonly answer: Promise<RawAnswer>;
  /** Resolves when the server closed the connection (or it was destroyed). */
  readonly closed: Promise<void>;
  private received = Buffer.alloc(0);

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect(Number(port), hostname);
    this.socket.on("error", () => {}); // writes after the server hung up fail; that is the point
    this.closed = new Promise((resolve) => this.socket.once("close", () => resolve()));
    this.answer = new Promise((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.received = Buffer.concat([this.received, chunk]);
        const parsed = parseAnswer(this.received);
        if (parsed) {
          this.socket.off("data", onData);
          resolve(parsed);
        }
      };
      this.socket.on("data", onData);
      this.socket.once("close", () =>
        reject(new Error(`connection closed without a complete answer: ${JSON.stringify(this.received.toString())}`)),
      );
    });
    this.answer.catch(() => {}); // observed by the tests that expect an answer
  }

  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function parseAnswer(bytes: Buffer): RawAnswer | undefined {
  const end = bytes.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"] ?? 0);
  if (bytes.length < end + 4 + length) return undefined;
  const text = bytes.subarray(end + 4, end + 4 + length).toString("utf8");
  return { status: Number(statusLine!.split(" ")[1]), headers, json: JSON.parse(text) };
}

/** The request head of `d` (path, Host, webhook headers, and the framing the test chooses). */
function head(url: string, d: GenuineDelivery, framing: Record<string, string | number>): string {
  const { host, pathname } = new URL(url);
  const lines = [
    `POST ${pathname} HTTP/1.1`,
    `Host: ${host}`,
    `webhook-id: ${d.id}`,
    `webhook-timestamp: ${d.timestamp}`,
    `webhook-signature: ${d.signature}`,
  ];
  for (const [name, value] of Object.entries(framing)) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

function chunk(data: Buffer | string): string | Buffer {
  const bytes = Buffer.from(data);
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
}

/** Resolves with the next lifecycle report that has `code`. */
function nextRejection(target: Target, code: string): Promise<void> {
  return new Promise((resolve) => target.receiver.onLifecycle((event) => event.code === code && resolve()));
}

async function assertNothingLeftBehind(target: Target, delivery: GenuineDelivery): Promise<void> {
  assert.deepEqual(target.runs, [], "a handler ran");
  assert.equal(target.store.outstanding.size, 0, "a claim was left behind");
  // The id was not burned: the same delivery, sent properly, is handled.
  const retry = await sendWire(target.url, wireOf(delivery));
  assert.deepEqual([retry.status, retry.json], [200, { status: "received" }]);
  assert.deepEqual(target.runs, [delivery.id]);
}

/** Runs `body` against a fresh receiver (rejections reported to a silent onError) and a raw client, then cleans both up. */
async function withRawClient(
  scheme: (typeof SCHEMES)[number],
  options: Parameters<typeof startTarget>[1],
  body: (target: Target, client: RawClient) => Promise<void>,
): Promise<void> {
  const target = await startTarget(scheme, options);
  target.receiver.onError(() => {});
  const client = new RawClient(target.url);
  try {
    await body(target, client);
  } finally {
    client.destroy();
    await target.close();
  }
}

for (const scheme of SCHEMES) {
  describe(`hostile transport (${scheme.name})`, () => {
    test("refused at the header stage while the body drips: answered at once, then the connection is closed (not drained)", async () => {
      await withRawClient(scheme, {}, async (target, client) => {
        const delivery = await genuine(scheme, sampleEventWithText());
        // No webhook-timestamp (and a signature that is no token): refused before the body is read.
        // Announce a large body and send a byte of it, then keep dripping.
        const { host, pathname } = new URL(target.url);
        client.write(
          `POST ${pathname} HTTP/1.1\r\nHost: ${host}\r\nwebhook-id: ${delivery.id}\r\nwebhook-signature: v1,AAAA\r\nContent-Length: 60000\r\n\r\nx`,
        );
        const drip = setInterval(() => client.write("x"), 20);
        try {
          const answer = await client.answer;
          assert.deepEqual(
            [answer.status, answer.json.error, answer.headers.connection],
            [400, "missing_headers", "close"],
          );
          const closedInTime = await Promise.race([
            client.closed.then(() => true),
            new Promise((r) => setTimeout(() => r(false), 2000)),
          ]);
          assert.equal(closedInTime, true, "the server kept draining the dripping body instead of hanging up");
        } finally {
          clearInterval(drip);
        }
        await assertNothingLeftBehind(target, delivery);
      });
    });

    test("a body that stalls longer than bodyTimeoutMs: 408 body_timeout, connection closed, nothing left behind", async () => {
      await withRawClient(scheme, { bodyTimeoutMs: 150 }, async (target, client) => {
        const delivery = await genuine(scheme, sampleEventWithText());
        client.write(head(target.url, delivery, { "Content-Length": delivery.body.length }));
        client.write(delivery.body.subarray(0, 10)); // …and then nothing
        const answer = await client.answer;
        assert.deepEqual([answer.status, answer.json.error, answer.headers.connection], [408, "body_timeout", "close"]);
        await client.closed; // the server hung up on the stalled client
        await assertNothingLeftBehind(target, delivery);
      });
    });

    test("a body that keeps trickling but takes longer than bodyTimeoutMs in total: 408 (the limit is total, not idle)", async () => {
      const target = await startTarget(scheme, { bodyTimeoutMs: 150 });
      target.receiver.onError(() => {});
      const client = new RawClient(target.url);
      let trickle: NodeJS.Timeout | undefined;
      try {
        const delivery = await genuine(scheme, sampleEventWithText());
        client.write(head(target.url, delivery, { "Content-Length": delivery.body.length }));
        let sent = 0;
        trickle = setInterval(() => client.write(delivery.body.subarray(sent, ++sent)), 10); // a byte every 10 ms: never idle for long
        const answer = await client.answer;
        assert.deepEqual([answer.status, answer.json.error], [408, "body_timeout"]);
        assert.ok(sent < delivery.body.length, "the whole body arrived: this trickle proved nothing");
        await client.closed;
        clearInterval(trickle);
        await assertNothingLeftBehind(target, delivery);
      } finally {
        clearInterval(trickle);
        client.destroy();
        await target.close();
      }
    });

    test("a client that aborts mid-body: no handler run, no claim left behind", async () => {
      const target = await startTarget(scheme);
      target.receiver.onError(() => {});
      const aborted = nextRejection(target, "request_aborted");
      const reading = new Promise<void>((resolve) =>
        target.receiver.onLifecycle((event) => event.stage === "received" && resolve()),
      );
      const client = new RawClient(target.url);
      try {
        const delivery = await genuine(scheme, sampleEventWithText());
        client.write(head(target.url, delivery, { "Content-Length": delivery.body.length }));
        client.write(delivery.body.subarray(0, delivery.body.length >> 1));
        await reading; // the receiver is waiting for the rest of the body…
        client.destroy(); // …which never comes
        await aborted;
        await assertNothingLeftBehind(target, delivery);
      } finally {
        client.destroy();
        await target.close();
      }
    });

    test("a declared Content-Length over maxBodyBytes: 413 before a single body byte is sent", async () => {
      await withRawClient(scheme, { maxBodyBytes: 1024 }, async (target, client) => {
        const delivery = await genuine(scheme, sampleEventWithText());
        client.write(head(target.url, delivery, { "Content-Length": 10_000_000 }));
        const answer = await client.answer;
        assert.deepEqual(
          [answer.status, answer.json.error, answer.headers.connection],
          [413, "payload_too_large", "close"],
        );
        await client.closed;
        await assertNothingLeftBehind(target, delivery);
      });
    });

    test("a chunked body that grows past maxBodyBytes: 413 as soon as the limit is crossed, and the rest is never read", async () => {
      await withRawClient(scheme, { maxBodyBytes: 1024 }, async (target, client) => {
        const delivery = await genuine(scheme, sampleEventWithText());
        client.write(head(target.url, delivery, { "Transfer-Encoding": "chunked" }));
        client.write(chunk("x".repeat(600)));
        client.write(chunk("x".repeat(600))); // 1200 bytes: over the limit, and the body is not finished
        const answer = await client.answer;
        assert.deepEqual(
          [answer.status, answer.json.error, answer.headers.connection],
          [413, "payload_too_large", "close"],
        );
        await client.closed; // hung up: whatever the client still had to send is never read, let alone buffered
        await assertNothingLeftBehind(target, delivery);
      });
    });

    test("chunked bodies (1-byte chunks, uneven chunks) are handled, byte for byte", async () => {
      const target = await startTarget(scheme);
      try {
        for (const sizes of [[1], [7, 1, 300, 2], [4096]]) {
          const delivery = await genuine(scheme, sampleEventWithText());
          const client = new RawClient(target.url);
          client.write(head(target.url, delivery, { "Transfer-Encoding": "chunked" }));
          for (let offset = 0, index = 0; offset < delivery.body.length; index++) {
            const size = sizes[index % sizes.length]!;
            client.write(chunk(delivery.body.subarray(offset, offset + size)));
            offset += size;
          }
          client.write("0\r\n\r\n");
          const answer = await client.answer;
          client.destroy();
          assert.deepEqual([answer.status, answer.json], [200, { status: "received" }], `chunks of ${sizes}`);
          assert.ok(target.bodies.get(delivery.id)!.equals(delivery.body));
        }
        assert.equal(target.runs.length, 3);
      } finally {
        await target.close();
      }
    });

    describe("content-encoding: compressed bodies are refused with 415 unsupported_encoding", () => {
      async function sendCompressed(target: Target, delivery: GenuineDelivery, body: Buffer, encoding: string) {
        return sendWire(target.url, { headers: [...wireOf(delivery).headers, ["content-encoding", encoding]], body });
      }

      test("gzip, signed over the compressed bytes or over the inflated ones: 415, nothing run or claimed", async () => {
        const target = await startTarget(scheme);
        try {
          const plain = await genuine(scheme, sampleEventWithText());
          const compressed = gzipSync(plain.body);
          const signedCompressed = await genuine(scheme, compressed);
          for (const [delivery, body] of [
            [plain, compressed],
            [signedCompressed, compressed],
          ] as const) {
            const answer = await sendCompressed(target, delivery, body, "gzip");
            assert.deepEqual(
              [answer.status, answer.json.error, answer.headers.connection],
              [415, "unsupported_encoding", "close"],
            );
          }
          // Declared but not actually compressed, other codings, and a list: all refused.
          for (const encoding of ["gzip", "br", "deflate", "GZIP", "identity, gzip"]) {
            const answer = await sendCompressed(target, plain, plain.body, encoding);
            assert.equal(answer.status, 415, encoding);
          }
          await assertNothingLeftBehind(target, plain);
        } finally {
          await target.close();
        }
      });

      test("content-encoding: identity is the bytes as sent: accepted", async () => {
        const target = await startTarget(scheme);
        try {
          const delivery = await genuine(scheme, sampleEventWithText());
          const answer = await sendCompressed(target, delivery, delivery.body, "identity");
          assert.deepEqual([answer.status, answer.json], [200, { status: "received" }]);
        } finally {
          await target.close();
        }
      });

      test("refused before the body is read: a huge declared gzip body gets 415 without being sent", async () => {
        const target = await startTarget(scheme);
        const client = new RawClient(target.url);
        try {
          const delivery = await genuine(scheme, sampleEventWithText());
          client.write(head(target.url, delivery, { "Content-Length": 500_000_000, "Content-Encoding": "gzip" }));
          const answer = await client.answer;
          assert.deepEqual([answer.status, answer.json.error], [415, "unsupported_encoding"]);
          await client.closed;
        } finally {
          client.destroy();
          await target.close();
        }
      });

      test("the same answer when express.json({ verify: captureRawBody }) inflated the body first", async () => {
        const store = countingStore();
        const receiver = geminiWebhooks({ ...scheme.receiverOptions, dedupe: store, now: () => NOW_SECONDS * 1000 });
        let runs = 0;
        receiver.onAny(() => void runs++);
        const app = express();
        app.use(express.json({ verify: captureRawBody }));
        app.use("/hooks", receiver);
        const server = await listen(app);
        try {
          const signedInflated = await genuine(scheme, sampleEventWithText());
          const answer = await sendCompressed(
            { url: `${server.url}/hooks` } as Target,
            signedInflated,
            gzipSync(signedInflated.body),
            "gzip",
          );
          assert.deepEqual([answer.status, answer.json.error], [415, "unsupported_encoding"]);
          assert.equal(runs, 0);
          assert.equal(store.outstanding.size, 0);
        } finally {
          await server.close();
        }
      });
    });
  });
}
