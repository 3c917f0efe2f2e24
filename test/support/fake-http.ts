// Lightweight stand-ins for IncomingMessage/ServerResponse, to call the middleware tens of thousands of
// times without sockets (property tests, resource-bounds script). They model what the pipeline reads:
// Node's header normalisation, a body stream (or a body left by earlier middleware) and the answer.
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

/** How the body reaches the receiver. */
export type BodyMode =
  /** Streamed, in the given chunk sizes (the receiver reads it itself). */
  | "stream"
  /** `req.rawBody` Buffer, as `express.json({ verify: captureRawBody })` leaves it. */
  | "rawBody"
  /** A Buffer `req.body`, as `express.raw()` leaves it. */
  | "bufferBody"
  /** A string `req.body`, as `express.text()` leaves it. */
  | "stringBody"
  /** A parser consumed the stream and kept no copy (the documented 500 `raw_body_unavailable`). */
  | "consumed";

export interface FakeRequestInit {
  method?: string;
  /** Header lines as a client writes them: any name case, repeats allowed. */
  headers: Array<[string, string]>;
  body: Buffer;
  mode?: BodyMode;
  /** Sizes to cut a streamed body into (the rest goes in one last chunk). */
  chunkSizes?: number[];
  /** Streamed body only: send the first chunk and then nothing, never ending (a stalled client). */
  stall?: boolean;
}

/** Node lower-cases names and joins repeated custom headers with ", " (and trims surrounding whitespace). */
export function nodeHeaders(lines: Array<[string, string]>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [rawName, rawValue] of lines) {
    const name = rawName.toLowerCase();
    const value = rawValue.replace(/^[ \t]+|[ \t]+$/g, "");
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

export function fakeRequest({
  method = "POST",
  headers,
  body,
  mode = "stream",
  chunkSizes = [],
  stall = false,
}: FakeRequestInit): IncomingMessage {
  const chunks: Buffer[] = [];
  if (mode === "stream") {
    let offset = 0;
    for (const size of chunkSizes) {
      if (offset >= body.length) break;
      chunks.push(body.subarray(offset, offset + Math.max(1, size)));
      offset += Math.max(1, size);
    }
    if (offset < body.length) chunks.push(body.subarray(offset));
    if (stall) chunks.length = Math.min(chunks.length, 1);
  }
  const stream = new Readable({
    read() {
      const next = chunks.shift();
      if (next) this.push(next);
      else if (stall) return;
      else {
        (this as unknown as { complete: boolean }).complete = true;
        this.push(null);
      }
    },
  });
  const req = Object.assign(stream, {
    method,
    url: "/",
    headers: nodeHeaders(headers),
    complete: false,
  }) as unknown as IncomingMessage & Record<string, unknown>;
  if (mode === "rawBody") req.rawBody = body;
  if (mode === "bufferBody") req.body = body;
  if (mode === "stringBody") req.body = body.toString("utf8");
  if (mode === "consumed") {
    req.body = {};
    req._body = true;
  }
  return req;
}

export interface FakeAnswer {
  status: number;
  headers: Record<string, string>;
  json: any;
  /** The middleware called `next()` instead of answering. */
  passed: boolean;
}

class FakeResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  readonly headers: Record<string, string> = {};
  constructor(private readonly done: (answer: FakeAnswer) => void) {
    super();
  }
  setHeader(name: string, value: string): this {
    this.headers[name.toLowerCase()] = String(value);
    return this;
  }
  getHeader(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }
  end(body?: string): this {
    this.headersSent = true;
    this.writableEnded = true;
    let json: unknown = body;
    try {
      json = JSON.parse(body ?? "");
    } catch {
      /* keep the text */
    }
    this.done({ status: this.statusCode, headers: this.headers, json, passed: false });
    this.emit("finish");
    return this;
  }
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** Calls `middleware` with a fake request and resolves with its answer. */
export function callMiddleware(middleware: Middleware, init: FakeRequestInit): Promise<FakeAnswer> {
  return new Promise((resolve, reject) => {
    const res = new FakeResponse(resolve);
    try {
      middleware(fakeRequest(init), res as unknown as ServerResponse, (error) =>
        error ? reject(error) : resolve({ status: 0, headers: {}, json: undefined, passed: true }),
      );
    } catch (error) {
      reject(error);
    }
  });
}
