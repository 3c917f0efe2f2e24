// The receiver contract: what every adapter (Express, the Web handler, Fastify, ...) must answer, run once per adapter
// by test/contract.test.ts. An adapter only says how to serve a receiver and how to send it one request.
import assert from "node:assert/strict";
import { request as httpRequest, Agent } from "node:http";
import { after, before, describe, it } from "node:test";
import { geminiWebhooks, type DeliveryContext, type GeminiWebhooks, type WebhookError } from "../../src/index.js";
import {
  OTHER_SECRET,
  SECRET,
  batchSucceeded,
  freshId,
  jwtDelivery,
  signedDelivery,
  v1aDelivery,
  type Delivery,
} from "./helpers.js";
import { keySet, makeKey, signJwt } from "./signer.js";

export interface DoorRequest {
  method?: string;
  headers: Record<string, string>;
  body?: string | Buffer | ChunkedBody;
}

export interface DoorAnswer {
  status: number;
  headers: Headers;
  json: any;
}

export interface DoorConnection {
  send(request: DoorRequest): Promise<DoorAnswer>;
  close(): Promise<void>;
}

export interface Adapter {
  name: string;
  /** Whether `value` is the request object this adapter hands handlers as `ctx.request`. */
  isRequest(value: unknown): boolean;
  /** Serves `webhooks` (on loopback, or not at all for an adapter that is a plain function) and sends to it. */
  open(webhooks: GeminiWebhooks): Promise<DoorConnection>;
}

/**
 * A body sent chunk by chunk: `count` chunks (Infinity: until stopped), optionally stalling forever after
 * `stallAfter` of them. Records how much the adapter pulled, to prove limits act while reading, not after.
 */
export class ChunkedBody {
  sent = 0;
  stopped = false;
  private release: (() => void) | undefined;
  constructor(
    private readonly chunk: Buffer,
    private readonly count: number,
    private readonly stallAfter = Infinity,
  ) {}

  /** The next chunk, or undefined at the end (or once stopped). A stall waits until `stop()`. */
  async next(): Promise<Buffer | undefined> {
    if (this.stopped || this.sent >= this.count * this.chunk.length) return undefined;
    if (this.sent >= this.stallAfter * this.chunk.length) {
      await new Promise<void>((resolve) => (this.release = resolve));
      return undefined;
    }
    // A macrotask per chunk, like a network: an adapter that never stops reading then fails on its timeout, not hangs.
    await new Promise((resolve) => setImmediate(resolve));
    this.sent += this.chunk.length;
    return this.chunk;
  }

  stop(): void {
    this.stopped = true;
    this.release?.();
  }
}

/** Sends over HTTP/1.1 with node:http (a streamed body is written while the answer may already be coming). */
export function httpSender(url: () => string): DoorConnection {
  const agent = new Agent({ keepAlive: true });
  return {
    send: (request) =>
      new Promise<DoorAnswer>((resolve, reject) => {
        const { body } = request;
        let answered = false;
        const client = httpRequest(
          url(),
          { method: request.method ?? "POST", headers: request.headers, agent },
          (response) => {
            answered = true;
            if (body instanceof ChunkedBody) body.stop();
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("end", () => {
              const headers = new Headers();
              for (const [name, value] of Object.entries(response.headers))
                if (typeof value === "string") headers.set(name, value);
              resolve({
                status: response.statusCode!,
                headers,
                json: parseJson(Buffer.concat(chunks).toString("utf8")),
              });
            });
            response.on("error", reject);
          },
        );
        // Once answered, a reset while we were still writing is the server closing as it said it would.
        client.on("error", (error) => void (answered || reject(error)));
        if (!(body instanceof ChunkedBody)) return void client.end(body);
        void (async () => {
          for (let chunk = await body.next(); chunk && !answered; chunk = await body.next()) {
            if (!client.write(chunk))
              await new Promise((drained) => client.once("drain", drained).once("close", drained));
          }
          if (!answered && !client.destroyed) client.end();
        })();
      }),
    close: async () => agent.destroy(),
  };
}

/** A Web `Request` as a runtime would build it, streamed when the body is chunked. */
export function webRequest(url: string, { method = "POST", headers, body }: DoorRequest): Request {
  if (!(body instanceof ChunkedBody)) {
    // As a server builds it from the wire (Next.js does): Content-Length included.
    const length = body === undefined ? undefined : String(Buffer.byteLength(body));
    return new Request(url, { method, headers: length ? { ...headers, "content-length": length } : headers, body });
  }
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await body.next();
      if (chunk) controller.enqueue(new Uint8Array(chunk));
      else controller.close();
    },
    cancel: () => body.stop(),
  });
  return new Request(url, { method, headers, body: stream, duplex: "half" } as RequestInit);
}

export async function answerOf(response: Response): Promise<DoorAnswer> {
  return { status: response.status, headers: response.headers, json: parseJson(await response.text()) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const NOW_S = 1_800_000_000;
const LIMIT = 64 * 1024;
const BODY_TIMEOUT_MS = 300;
const AUDIENCE = "contract-suite";
const ed25519 = makeKey("EdDSA");
const rsa = makeKey("RS256");

/** The whole contract, against one adapter. */
export function receiverContract(adapter: Adapter): void {
  describe(`receiver contract: ${adapter.name}`, () => {
    let connection: DoorConnection;
    const calls: Array<{ type: string; data: any; ctx: DeliveryContext }> = [];
    const errors: WebhookError[] = [];
    const failOnce = new Set<string>();
    let gate: { entered: () => void; open: Promise<void> } | undefined;

    before(async () => {
      const webhooks = geminiWebhooks({
        secret: [SECRET],
        jwks: { keys: keySet(ed25519, rsa), audience: AUDIENCE },
        now: () => NOW_S * 1000,
        maxBodyBytes: LIMIT,
        bodyTimeoutMs: BODY_TIMEOUT_MS,
      });
      webhooks.on(["batch.succeeded", "batch.failed"], async (event, ctx) => {
        if (gate) {
          gate.entered();
          await gate.open;
        }
        if (failOnce.delete(ctx.webhookId)) throw new Error("database down: password=hunter2");
        calls.push({ type: event.type, data: event.data, ctx });
      });
      webhooks.onError((error) => void errors.push(error));
      connection = await adapter.open(webhooks);
    });
    after(() => connection.close());

    const send = (delivery: Delivery | DoorRequest) => connection.send(delivery);
    const callsFor = (delivery: Delivery) =>
      calls.filter((call) => call.ctx.webhookId === delivery.headers["webhook-id"]);
    // Each a completion of its own: the receiver handles a completion (type + data.id) once, whatever its webhook-id.
    let completions = 0;
    const signed = (
      event: unknown = batchSucceeded(`batches/123-${++completions}`),
      options: { secret?: string; timestamp?: number } = {},
    ) => signedDelivery(event, { timestamp: NOW_S, ...options });

    /** A refusal: the status, our JSON shape, no handler run, and the same code reported to onError. */
    async function expectRefusal(request: Delivery | DoorRequest, status: number, code: string): Promise<DoorAnswer> {
      const before = calls.length;
      const reported = errors.length;
      const answer = await send(request);
      assert.equal(answer.status, status, JSON.stringify(answer.json));
      assert.equal(answer.json.error, code);
      assert.equal(typeof answer.json.message, "string");
      assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
      assert.doesNotMatch(JSON.stringify(answer.json), /whsec_|hunter2|database/);
      assert.equal(calls.length, before, "no handler runs");
      assert.deepEqual(
        errors.slice(reported).map((error) => error.code),
        [code],
      );
      return answer;
    }

    it("a genuine v1 delivery: 200 received, the handler gets the event, the exact bytes and the adapter's request", async () => {
      // Whitespace a re-serialization would lose: the adapter must hand over the bytes as sent.
      const body = '{ "type":"batch.succeeded",  "data": {"id":"batches/contract", "output_file_uri":"gs://b/o"} }';
      const delivery = signed(body);
      const answer = await send(delivery);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, { status: "received" });
      assert.equal(answer.headers.get("cache-control"), "no-store");
      const [call, ...more] = callsFor(delivery);
      assert.equal(more.length, 0);
      assert.deepEqual(call!.data, { id: "batches/contract", output_file_uri: "gs://b/o" });
      assert.equal(call!.ctx.scheme, "v1");
      assert.equal(call!.ctx.secretIndex, 0);
      assert.equal(Buffer.from(call!.ctx.rawBody).toString("utf8"), body);
      assert.ok(adapter.isRequest(call!.ctx.request), "ctx.request is the adapter's request object");
    });

    it("several signatures in one header, as a repeated header arrives joined by ', ': the valid one verifies", async () => {
      const delivery = signed();
      const valid = delivery.headers["webhook-signature"]!;
      delivery.headers["webhook-signature"] = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=, ${valid}`;
      assert.deepEqual((await send(delivery)).json, { status: "received" });
    });

    it("a duplicate: 200 duplicate, the handler not run again", async () => {
      const delivery = signed();
      assert.equal((await send(delivery)).status, 200);
      const again = await send(delivery);
      assert.equal(again.status, 200);
      assert.deepEqual(again.json, { status: "duplicate" });
      assert.equal(callsFor(delivery).length, 1);
    });

    it("a type with no handler: 200 unhandled", async () => {
      const answer = await send(signed({ type: "some.future_type", data: {} }));
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, { status: "unhandled" });
    });

    it("forged: 401 invalid_signature", async () => {
      await expectRefusal(signed(batchSucceeded(), { secret: OTHER_SECRET }), 401, "invalid_signature");
      const delivery = signed();
      await expectRefusal({ ...delivery, body: delivery.body.replace("123", "124") }, 401, "invalid_signature");
    });

    it("stale or early: 401 timestamp_too_old / timestamp_too_new", async () => {
      await expectRefusal(signed(batchSucceeded(), { timestamp: NOW_S - 301 }), 401, "timestamp_too_old");
      await expectRefusal(signed(batchSucceeded(), { timestamp: NOW_S + 301 }), 401, "timestamp_too_new");
    });

    it("a webhook header missing: 400 missing_headers", async () => {
      for (const header of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
        const delivery = signed();
        delete delivery.headers[header];
        await expectRefusal(delivery, 400, "missing_headers");
      }
    });

    it("a signed body that is not an event: 400 invalid_payload", async () => {
      for (const body of ["not json", "[1]", '{"type":42}']) await expectRefusal(signed(body), 400, "invalid_payload");
    });

    it("a handler that throws: 500 handler_failed without its text, then Gemini's retry is handled", async () => {
      const delivery = signed({ type: "batch.failed", data: { id: "b", error_code: 13, error_message: "x" } });
      failOnce.add(delivery.headers["webhook-id"]!);
      await expectRefusal(delivery, 500, "handler_failed");
      const retry = await send(delivery);
      assert.deepEqual([retry.status, retry.json], [200, { status: "received" }]);
      assert.equal(callsFor(delivery).length, 1);
    });

    it("the same delivery in flight: 409 delivery_in_progress with Retry-After", async () => {
      let entered!: () => void;
      let open!: () => void;
      const inHandler = new Promise<void>((resolve) => (entered = resolve));
      gate = { entered, open: new Promise<void>((resolve) => (open = resolve)) };
      const delivery = signed();
      const first = send(delivery);
      await inHandler;
      const copy = await expectRefusal(delivery, 409, "delivery_in_progress");
      assert.equal(copy.headers.get("retry-after"), "5");
      gate = undefined;
      open();
      assert.deepEqual((await first).json, { status: "received" });
    });

    it("a declared Content-Length over maxBodyBytes: 413 payload_too_large, and the connection is closed", async () => {
      const pad = "x".repeat(LIMIT);
      const answer = await expectRefusal(signed({ ...batchSucceeded(), pad }), 413, "payload_too_large");
      assert.equal(answer.headers.get("connection"), "close");
    });

    it("a streamed body over maxBodyBytes: 413 as soon as it crosses the limit, not after reading it all", async () => {
      const delivery = signed();
      const headers = { ...delivery.headers };
      delete headers["content-length"];
      const body = new ChunkedBody(Buffer.alloc(16 * 1024, 0x20), Infinity);
      await expectRefusal({ headers, body }, 413, "payload_too_large");
      assert.ok(body.stopped, "the sender was stopped");
      assert.ok(body.sent < 64 * LIMIT, `the adapter pulled ${body.sent} bytes`);
    });

    it("a body that stops arriving: 408 body_timeout, and the connection is closed", async () => {
      const delivery = signed();
      const body = new ChunkedBody(Buffer.from(delivery.body.slice(0, 10)), Infinity, 1);
      const started = Date.now();
      const answer = await expectRefusal({ headers: delivery.headers, body }, 408, "body_timeout");
      assert.ok(Date.now() - started >= BODY_TIMEOUT_MS - 20);
      assert.equal(answer.headers.get("connection"), "close");
    });

    it("a compressed body: 415 unsupported_encoding", async () => {
      const delivery = signed();
      await expectRefusal(
        { ...delivery, headers: { ...delivery.headers, "content-encoding": "gzip" } },
        415,
        "unsupported_encoding",
      );
    });

    it("dynamic webhooks: v1a (Ed25519) and JWT deliveries are handled", async () => {
      const v1a = v1aDelivery(batchSucceeded("batches/dynamic-v1a"), ed25519, { id: freshId(), timestamp: NOW_S });
      assert.deepEqual((await send(v1a)).json, { status: "received" });
      assert.equal(callsFor(v1a)[0]?.ctx.scheme, "v1a");

      const claims = { aud: AUDIENCE, iat: NOW_S, exp: NOW_S + 300 };
      const jwt = jwtDelivery(signJwt(claims, { key: rsa }), batchSucceeded("batches/dynamic-jwt"), {
        id: freshId(),
        timestamp: NOW_S,
      });
      assert.deepEqual((await send(jwt)).json, { status: "received" });
      assert.equal(callsFor(jwt)[0]?.ctx.scheme, "jwt");
    });
  });
}
