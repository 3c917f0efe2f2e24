// The live delivery page: an onLifecycle listener keeps the last deliveries' outcomes, an SSE stream
// pushes each new one to the page (deliveries-page.html). It uses only the package's public API, so it
// can be copied into an app as is. It shows what strangers sent (webhook ids, event types): the page
// puts every value in with textContent, and the Content-Security-Policy allows no other script anyway.
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import express from "express";
import type { DeliveryLifecycleEvent, GeminiWebhooks } from "gemini-webhooks-express";

/** One row of the page: a delivery's final report, with when it came and its place in the feed. */
export interface DeliveryRow {
  /** Position in this feed, from 1; the SSE event id, so a reconnecting page gets only what it missed. */
  seq: number;
  /** When the report came, as an ISO date. */
  at: string;
  stage: string;
  status?: number;
  code?: string;
  webhookId?: string;
  type?: string;
  scheme?: string;
  durationMs: number;
}

export interface DeliveryFeedOptions {
  /** How many recent deliveries are kept and shown. Default 100. */
  limit?: number;
  /** At most this many pages streaming at once (each holds a connection). Default 20. */
  maxViewers?: number;
}

export interface DeliveryFeed {
  /** Serves the page at its mount path and the stream at `<mount path>/events`: `app.use("/deliveries", feed.router)`. */
  router: express.Router;
  /** The kept rows, oldest first. */
  rows(): readonly DeliveryRow[];
  /** Ends every open stream (a server's close() waits for them otherwise). */
  close(): void;
}

// Progress reports every delivery makes on its way to an answer; a row is shown for the final one only.
// Any other stage, including ones a later version adds, gets a row labelled with its name.
const PROGRESS_STAGES = new Set(["received", "verified", "started"]);
const HEARTBEAT_MS = 15_000;

const PAGE_TEMPLATE = readFileSync(new URL("./deliveries-page.html", import.meta.url), "utf8");

export function deliveryFeed(
  webhooks: GeminiWebhooks,
  { limit = 100, maxViewers = 20 }: DeliveryFeedOptions = {},
): DeliveryFeed {
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError("deliveryFeed: limit must be a positive integer.");
  // Event ids carry this feed's identity: a page reconnecting after a restart gets told to start over.
  const feedId = randomUUID();
  const kept: DeliveryRow[] = [];
  const viewers = new Set<ServerResponse>();
  let seq = 0;

  webhooks.onLifecycle((event: DeliveryLifecycleEvent) => {
    if (PROGRESS_STAGES.has(event.stage)) return;
    const row: DeliveryRow = {
      seq: ++seq,
      at: new Date().toISOString(),
      stage: event.stage,
      status: event.status,
      code: event.code,
      webhookId: event.webhookId,
      type: event.type,
      scheme: event.scheme,
      durationMs: Math.round(event.durationMs * 10) / 10,
    };
    kept.push(row);
    if (kept.length > limit) kept.shift();
    for (const viewer of viewers) send(viewer, row);
  });

  function send(viewer: ServerResponse, row: DeliveryRow): void {
    // JSON.stringify escapes newlines, so the row is one `data:` line and cannot end the event early.
    viewer.write(`id: ${feedId}.${row.seq}\ndata: ${JSON.stringify(row)}\n\n`);
  }

  const page = PAGE_TEMPLATE.replace("__LIMIT__", String(limit));
  const hash = (tag: string) => {
    const body = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(page)?.[1] ?? "";
    return `'sha256-${createHash("sha256").update(body).digest("base64")}'`;
  };
  // Only this page's own script and style run; no inline handler, no other origin, no framing.
  const policy = [
    "default-src 'none'",
    `script-src ${hash("script")}`,
    `style-src ${hash("style")}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");

  const router = express.Router();
  router.get("/", (_req, res) => {
    res.set({
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": policy,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-store",
    });
    res.send(page);
  });
  router.get("/events", (req, res) => {
    if (viewers.size >= maxViewers) {
      res
        .status(503)
        .json({ error: "too_many_viewers", message: `At most ${maxViewers} delivery pages can stream at once.` });
      return;
    }
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    });
    // Express routes HEAD here too: answer it without holding a viewer's place open.
    if (req.method === "HEAD") return void res.end();
    res.write("retry: 2000\n\n");
    // EventSource sends the last id it saw when it reconnects: resume from there if it was this feed's.
    const [lastFeed, lastSeq] = String(req.headers["last-event-id"] ?? "").split(".");
    const resumeAfter = lastFeed === feedId ? Number(lastSeq) || 0 : 0;
    if (lastFeed && lastFeed !== feedId) res.write("event: reset\ndata: {}\n\n");
    for (const row of kept) if (row.seq > resumeAfter) send(res, row);
    viewers.add(res);
    // A comment line now and then keeps idle proxies from closing the stream.
    const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), HEARTBEAT_MS).unref();
    res.once("close", () => {
      clearInterval(heartbeat);
      viewers.delete(res);
    });
  });

  return {
    router,
    rows: () => kept,
    close() {
      for (const viewer of viewers) viewer.end();
      viewers.clear();
    },
  };
}
