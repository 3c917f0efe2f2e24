import { WebhookError } from "../errors.js";

/** Rejects an attempt whose timestamp is further than `toleranceSeconds` from now, in either direction. */
export function checkTimestamp(timestamp: number, nowMs: number, toleranceSeconds: number, webhookId?: string): void {
  const nowSeconds = Math.floor(nowMs / 1000);
  if (nowSeconds - timestamp > toleranceSeconds) throw new WebhookError("timestamp_too_old", { webhookId });
  if (timestamp - nowSeconds > toleranceSeconds) throw new WebhookError("timestamp_too_new", { webhookId });
}
