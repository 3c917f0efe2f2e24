import type { IncomingMessage } from "node:http";
import { WebhookError } from "./errors.js";

/** A request as it may arrive after other middleware: with a raw copy or a parsed body, or neither. */
export interface RequestWithBody extends IncomingMessage {
  rawBody?: Buffer | string;
  body?: unknown;
  /** Set by body-parser 1.x (Express 4) once it has read the stream. */
  _body?: boolean;
}

/**
 * A `verify` hook for Express's body parsers that keeps the exact bytes the signature covers:
 * `app.use(express.json({ verify: captureRawBody }))`.
 */
export function captureRawBody(req: IncomingMessage, _res: unknown, buf: Buffer): void {
  (req as RequestWithBody).rawBody = buf;
}

export interface RawBodyLimits {
  maxBodyBytes: number;
  bodyTimeoutMs: number;
}

/**
 * The exact bytes of the request body. Synchronous when an earlier middleware kept them,
 * otherwise read from the stream with a size limit and a time limit. (`Content-Encoding` is refused by the
 * pipeline before this runs: a parser in front would have inflated the kept copy.)
 */
export function getRawBody(req: RequestWithBody, limits: RawBodyLimits): Buffer | Promise<Buffer> {
  const kept = keptBody(req);
  if (kept !== undefined) {
    if (kept.length > limits.maxBodyBytes) throw new WebhookError("payload_too_large");
    return kept;
  }
  if (req._body === true || streamEnded(req)) {
    // A parser read the stream and kept no copy: re-serializing req.body would not give the signed bytes.
    throw new WebhookError("raw_body_unavailable");
  }
  return readStream(req, limits);
}

/**
 * `req.readableEnded`, read from the stream's own state when it has one: the getter sits on a prototype
 * behind the one Express swaps in for every request, where every delivery's lookup misses V8's inline cache
 * (bench/README.md has the figure).
 */
function streamEnded(req: IncomingMessage): boolean {
  const state = (req as { _readableState?: { endEmitted?: unknown } })._readableState;
  return typeof state?.endEmitted === "boolean" ? state.endEmitted : req.readableEnded;
}

function keptBody(req: RequestWithBody): Buffer | undefined {
  const { rawBody, body } = req;
  if (Buffer.isBuffer(rawBody)) return rawBody;
  if (typeof rawBody === "string") return Buffer.from(rawBody, "utf8");
  if (Buffer.isBuffer(body)) return body; // express.raw()
  if (typeof body === "string") return Buffer.from(body, "utf8"); // express.text()
  return undefined;
}

// A declared Content-Length over the limit never gets here: the pipeline refuses it before asking for the body.
function readStream(req: IncomingMessage, { maxBodyBytes, bodyTimeoutMs }: RawBodyLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const deadlines = deadlinesFor(bodyTimeoutMs);
    const read: PendingRead = {
      deadline: performance.now() + bodyTimeoutMs,
      timeOut: () => fail(new WebhookError("body_timeout")),
    };
    deadlines.add(read);

    function onData(chunk: Buffer): void {
      size += chunk.length;
      if (size > maxBodyBytes) return fail(new WebhookError("payload_too_large"));
      chunks.push(chunk);
    }
    function onEnd(): void {
      // The listeners stay: nothing comes after 'end' but 'close' (complete by then, so ignored), and removing
      // four listeners was a visible share of a delivery's cost. They go with the request.
      deadlines.delete(read);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    }
    function onClose(): void {
      if (!req.complete) fail(new WebhookError("request_aborted"));
    }
    function onError(cause: Error): void {
      fail(new WebhookError("request_aborted", { cause }));
    }
    function fail(error: WebhookError): void {
      cleanup();
      chunks.length = 0;
      // Stop buffering; the answer closes the connection, so the rest is never read into memory.
      req.pause();
      reject(error);
    }
    function cleanup(): void {
      deadlines.delete(read);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      req.off("error", onError);
    }

    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
    req.on("error", onError);
  });
}

/** A body being read, and when it must have arrived (`performance.now()` ms). */
interface PendingRead {
  readonly deadline: number;
  timeOut(): void;
}

/**
 * The reads in progress that share one `bodyTimeoutMs`, under one timer instead of one timer per request
 * (arming and clearing a timer was a visible share of a request's cost). They start in order and all get
 * the same time, so they expire in order: the timer is armed for the oldest only, and when it fires it
 * times out every read past its deadline and re-arms for the next one. Each read still gets exactly its
 * `bodyTimeoutMs`.
 */
class Deadlines {
  // A Set keeps insertion order, which is deadline order.
  private readonly pending = new Set<PendingRead>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  add(read: PendingRead): void {
    this.pending.add(read);
    if (this.timer === undefined) this.arm(read.deadline);
  }

  /** Done (or failed) before its deadline. The timer stays armed: it re-arms for the next read, or stops. */
  delete(read: PendingRead): void {
    this.pending.delete(read);
  }

  private arm(deadline: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(1, Math.ceil(deadline - performance.now())));
    // A read in progress must not keep a process alive that is otherwise done (its server is closed).
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const read of this.pending) {
      if (read.deadline > now) return this.arm(read.deadline);
      this.pending.delete(read);
      read.timeOut();
    }
  }
}

// By timeout: a process has one per receiver at most, usually one in all.
const deadlinesByTimeout = new Map<number, Deadlines>();

function deadlinesFor(timeoutMs: number): Deadlines {
  let deadlines = deadlinesByTimeout.get(timeoutMs);
  if (!deadlines) deadlinesByTimeout.set(timeoutMs, (deadlines = new Deadlines()));
  return deadlines;
}
