import type { ServerResponse } from "node:http";
import { ANSWERS, type WebhookError } from "./errors.js";

/** The body of a successful answer. */
export type AcceptedStatus = "received" | "duplicate" | "unhandled";

const ACCEPTED_BODIES: Record<AcceptedStatus, string> = {
  received: '{"status":"received"}',
  duplicate: '{"status":"duplicate"}',
  unhandled: '{"status":"unhandled"}',
};

function write(res: ServerResponse, status: number, body: string, retryAfter?: number, close?: boolean): void {
  if (res.headersSent || res.writableEnded) return;
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  if (retryAfter !== undefined) res.setHeader("Retry-After", String(retryAfter));
  if (close) res.setHeader("Connection", "close");
  res.end(body);
}

export function sendAccepted(res: ServerResponse, status: AcceptedStatus): void {
  write(res, 200, ACCEPTED_BODIES[status]);
}

/** Answers with the row of the table for this error: status, code and our static message only. */
export function sendError(res: ServerResponse, error: WebhookError): void {
  const body = JSON.stringify({ error: error.code, message: ANSWERS[error.code].message });
  // A body we stopped (or never started) reading (too large, too slow, compressed) leaves the
  // connection in an unknown state: close it.
  const close = error.code === "payload_too_large" || error.code === "body_timeout" || error.code === "unsupported_encoding";
  write(res, error.status, body, error.retryAfterSeconds, close);
}
