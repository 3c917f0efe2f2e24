import type { IncomingMessage, ServerResponse } from "node:http";
import type { Answer } from "./answer.js";
import { isThenable } from "./maybe-promise.js";
import type { Pipeline } from "./pipeline.js";
import { getRawBody, type RawBodyLimits, type RequestWithBody } from "./raw-body.js";

/** An Express (or plain `node:http`) middleware. */
export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** The headers a delivery carries (a token-only JWT delivery has at least `webhook-signature`). */
const WEBHOOK_HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;

/**
 * The Express adapter: POSTs go through the pipeline with the body read from the stream (or taken from a
 * parser's raw copy); anything else is passed on. The pipeline never rejects, so neither does this.
 *
 * Mounted at the app's root (`app.use(webhooks)`: no mount path, no route), the middleware sees every POST of
 * the app, so one that carries none of the webhook headers is not a delivery and goes on to the app's other
 * routes. Anywhere else (a path, a route, plain `node:http`) every POST is taken to be a delivery, so a
 * sender that forgot the headers gets `400 missing_headers` rather than the app's 404.
 */
export function createNodeMiddleware(pipeline: Pipeline, limits: RawBodyLimits): NodeMiddleware {
  return function geminiWebhooksMiddleware(req, res, next) {
    if (req.method !== "POST") return next();
    if (isRootMount(req) && !carriesWebhookHeaders(req)) return next();
    const answer = pipeline({
      headers: req.headers,
      readBody: () => getRawBody(req as RequestWithBody, limits),
      request: req,
    });
    if (isThenable(answer)) answer.then((settled) => writeAnswer(req, res, settled));
    else writeAnswer(req, res, answer);
  };
}

/** Express sets `baseUrl` ("" at the root) on every request it routes, and `route` inside `app.post(path, ...)`. */
function isRootMount(req: IncomingMessage): boolean {
  const routed = req as IncomingMessage & { baseUrl?: unknown; route?: unknown };
  return routed.baseUrl === "" && routed.route === undefined;
}

function carriesWebhookHeaders(req: IncomingMessage): boolean {
  return WEBHOOK_HEADERS.some((name) => req.headers[name] !== undefined);
}

function writeAnswer(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
  if (res.headersSent || res.writableEnded) return;
  res.statusCode = answer.status;
  for (const name in answer.headers) res.setHeader(name, answer.headers[name]!);
  // Node closes the socket after an answer marked `Connection: close`, instead of draining an unread body.
  if (answer.connection !== "keep") res.setHeader("connection", "close");
  if (answer.connection === "destroy") res.once("finish", () => req.destroy());
  res.end(answer.body);
}
