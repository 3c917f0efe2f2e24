import type { IncomingMessage, ServerResponse } from "node:http";
import type { Answer } from "./answer.js";
import { isThenable } from "./maybe-promise.js";
import type { Pipeline } from "./pipeline.js";
import { getRawBody, type RawBodyLimits, type RequestWithBody } from "./raw-body.js";

/** An Express (or plain `node:http`) middleware. */
export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The Express adapter: POSTs go through the pipeline with the body read from the stream (or taken from a
 * parser's raw copy); anything else is passed on. The pipeline never rejects, so neither does this.
 */
export function createNodeMiddleware(pipeline: Pipeline, limits: RawBodyLimits): NodeMiddleware {
  return function geminiWebhooksMiddleware(req, res, next) {
    if (req.method !== "POST") return next();
    const answer = pipeline({
      headers: req.headers,
      readBody: () => getRawBody(req as RequestWithBody, limits),
      request: req,
    });
    if (isThenable(answer)) answer.then((settled) => writeAnswer(req, res, settled));
    else writeAnswer(req, res, answer);
  };
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
