import type { IncomingHttpHeaders } from "node:http";
import { errorAnswer, type Answer } from "./answer.js";
import { concatBytes } from "./bytes.js";
import { WebhookError, isWebhookError } from "./errors.js";
import type { Pipeline } from "./pipeline.js";
import type { RawBodyLimits } from "./raw-body.js";

/** A Web `Request` → `Response` handler (Next.js route handlers, Hono, Bun.serve, Deno.serve). */
export type FetchHandler = (request: Request) => Promise<Response>;

const NOT_POST: Answer = errorAnswer(new WebhookError("method_not_allowed"));

/**
 * The Web adapter. A closure, so it works unbound (`export const POST = webhooks.fetch`). It has no `next` to
 * pass other methods to, so they get `405` with `Allow: POST` (not reported: they are not deliveries).
 */
export function createFetchHandler(pipeline: Pipeline, limits: RawBodyLimits): FetchHandler {
  return async function fetch(request: Request): Promise<Response> {
    // A common slip is passing the framework's context (Hono's `c`) instead of its Request: say so.
    if (typeof (request as Partial<Request> | undefined)?.headers?.get !== "function") {
      throw new TypeError("webhooks.fetch(request): expected a Web Request (in Hono: webhooks.fetch(c.req.raw)).");
    }
    if (request.method !== "POST") return toResponse(NOT_POST, { allow: "POST" });
    const answer = await pipeline({
      headers: nodeHeaders(request.headers),
      readBody: () => readRequestBody(request, limits),
      request,
    });
    return toResponse(answer);
  };
}

// The pipeline reads headers as Node gives them: lower-case names, repeated ones joined by ", " (which is
// also what Headers does, set-cookie aside, and no webhook header is a set-cookie).
function nodeHeaders(headers: Headers): IncomingHttpHeaders {
  const result: IncomingHttpHeaders = {};
  headers.forEach((value, name) => {
    result[name] = value;
  });
  return result;
}

function toResponse(answer: Answer, extra?: Record<string, string>): Response {
  const headers = new Headers(answer.headers);
  if (extra) for (const name in extra) headers.set(name, extra[name]!);
  // A Response cannot close or destroy its connection. `Connection: close` asks for the next best thing and
  // Node servers (@hono/node-server, Next.js on Node) honour it; runtimes that drop hop-by-hop headers ignore it.
  if (answer.connection !== "keep") headers.set("connection", "close");
  return new Response(answer.body, { status: answer.status, headers });
}

/**
 * The exact body bytes, with the receiver's limits: a streamed body is refused as soon as it crosses the
 * limit (the stream is cancelled, never buffered whole), and the whole read is bounded in time. (A declared
 * `Content-Length` over the limit is refused by the pipeline before it asks for the body.)
 */
export async function readRequestBody(
  request: Request,
  { maxBodyBytes, bodyTimeoutMs }: RawBodyLimits,
): Promise<Uint8Array> {
  // Already read (e.g. `await request.json()` in a middleware): the signed bytes are gone.
  if (request.bodyUsed) throw new WebhookError("raw_body_unavailable", { detail: "the Request body was already read" });
  if (request.body === null) return joinChunks([], 0);
  // Locked by a reader someone else took (`request.body.getReader()`): the bytes are theirs, not ours to read.
  if (request.body.locked) {
    throw new WebhookError("raw_body_unavailable", { detail: "the Request body is locked by another reader" });
  }

  const reader = request.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WebhookError("body_timeout")), bodyTimeoutMs);
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) break;
      size += value.byteLength;
      if (size > maxBodyBytes) throw new WebhookError("payload_too_large");
      chunks.push(value);
    }
  } catch (caught) {
    chunks.length = 0;
    // Stop the sender's stream: the rest is never read into memory.
    reader.cancel().catch(() => {});
    throw isWebhookError(caught) ? caught : new WebhookError("request_aborted", { cause: caught });
  } finally {
    clearTimeout(timer);
  }
  return joinChunks(chunks, size);
}

/**
 * The body as one byte array: a Buffer where the runtime has one (Node, Bun), so `ctx.rawBody` under Node is
 * what it is with Express; a plain Uint8Array elsewhere (workerd, Vercel Edge, Deno). Both are Uint8Arrays.
 */
function joinChunks(chunks: Uint8Array[], size: number): Uint8Array {
  const NodeBuffer = (globalThis as { Buffer?: { concat(list: Uint8Array[], size: number): Uint8Array } }).Buffer;
  return NodeBuffer ? NodeBuffer.concat(chunks, size) : concatBytes(chunks, size);
}
