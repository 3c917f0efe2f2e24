import { createHash } from "node:crypto";
import { CATCH_UP_ID_PREFIX, completionKeyOf } from "../dedupe/completion-key.js";
import type { AnyGeminiEvent } from "../events.js";
import type { SignedDelivery } from "../testing/delivery.js";
import { signDelivery } from "../testing/sign-delivery.js";
import type { GeminiClientLike } from "./gemini-client.js";
import type { CatchUpItem } from "./item.js";
import { oneLine } from "./one-line.js";
import { batchEvent, endedAt, type RecoveredEvent } from "./recovered-event.js";
import { catchUpTrackedJobs, type TrackedJobs } from "./tracked-jobs.js";
import { parseSince } from "./window.js";

export interface CatchUpOptions {
  /** A `@google/genai` client: `new GoogleGenAI({ apiKey })`. */
  client: GeminiClientLike;
  /** The receiver's static signing secret (`whsec_...`): caught-up deliveries are signed like Gemini's `v1`. */
  secret: string;
  /** Batches that reached a final state at or after this: `"48h"`, `"3d"`, an ISO time, or a Date. */
  since: string | Date;
  /** ...and at or before this. Default: now. */
  until?: Date;
  /**
   * Jobs the app is waiting for, looked up on this run whether overdue or not: interactions (`interactions/abc`,
   * or `abc`) and video operations (`models/<model>/operations/<id>`). The API cannot list them, so the app names
   * them. `webhooks.track()` keeps them in the receiver's store instead, for `catchUp(webhooks, ...)` to read.
   */
  track?: Iterable<string>;
  /** Batches per page asked of the API. Default 100. */
  pageSize?: number;
}

export type { CatchUpItem } from "./item.js";

export interface CatchUpReport {
  items: CatchUpItem[];
  /** False when the API failed before every batch in the window was seen: rerun to finish. */
  complete: boolean;
  /** Why it is not complete (no secret, no key: the API's status and message, or why it was unreachable). */
  problem?: string;
  /** The error behind `problem`, for logs. */
  cause?: unknown;
}

/** Sends one signed delivery to the receiver and says what it answered. */
export type Deliver = (delivery: SignedDelivery) => Promise<{ status: number; body: string }>;

export type { TrackedJobs } from "./tracked-jobs.js";

/**
 * Lists every batch that ended in the window, looks up every tracked job (named in `track`, or kept in the
 * receiver's store and overdue), and delivers each completion's
 * event through `deliver`, signed under a webhook-id derived from the completion (so a rerun, or Gemini's own
 * late delivery, is answered `duplicate` by the receiver's dedupe store instead of running handlers again).
 */
export async function runCatchUp(
  options: CatchUpOptions,
  deliver: Deliver,
  now = new Date(),
  trackedJobs?: TrackedJobs,
): Promise<CatchUpReport> {
  const since = parseSince(options.since, now.getTime());
  const until = options.until ?? now;
  const items: CatchUpItem[] = [];

  let pager;
  try {
    pager = await options.client.batches.list({ config: { pageSize: options.pageSize ?? 100 } });
    for (;;) {
      for (const batch of pager.page) {
        const ended = endedAt(batch);
        const event = batchEvent(batch, now);
        if (!event || !ended) continue;
        const at = Date.parse(ended);
        if (at < since.getTime() || at > until.getTime()) continue;
        items.push(await deliverOne(batch.name!, event, options.secret, deliver, now));
      }
      if (!pager.hasNextPage()) break;
      await pager.nextPage();
    }
  } catch (cause) {
    return { items, complete: false, problem: "listing batches failed", cause };
  }

  const tracked = await catchUpTrackedJobs({
    named: options.track ?? [],
    store: trackedJobs,
    client: options.client,
    now,
    deliverEvent: (resource, event) => deliverOne(resource, event, options.secret, deliver, now),
  });
  items.push(...tracked.items);

  if (tracked.problem) return { items, complete: false, ...tracked.problem };
  const complete = !items.some((item) => item.outcome === "failed" || item.outcome === "lookup-failed");
  return complete ? { items, complete } : { items, complete, problem: "some completions were not delivered" };
}

/** The webhook-id of a caught-up completion: the same on every run, and marked so `ctx.source` says catch-up. */
export function catchUpWebhookId(completionKey: string): string {
  return `${CATCH_UP_ID_PREFIX}${createHash("sha256").update(completionKey).digest("hex").slice(0, 32)}`;
}

async function deliverOne(
  resource: string,
  event: RecoveredEvent,
  secret: string,
  deliver: Deliver,
  now: Date,
): Promise<CatchUpItem> {
  const key = completionKeyOf(event as AnyGeminiEvent)!;
  const delivery = signDelivery(event, { secret, id: catchUpWebhookId(key), timestamp: now });
  try {
    const answer = await deliver(delivery);
    if (answer.status >= 200 && answer.status <= 299) {
      const duplicate = answer.status === 200 && /"status"\s*:\s*"duplicate"/.test(answer.body);
      return { resource, type: event.type, outcome: duplicate ? "already-handled" : "delivered" };
    }
    return {
      resource,
      type: event.type,
      outcome: "failed",
      detail: `the receiver answered ${answer.status}${errorCode(answer.body)}`,
    };
  } catch (cause) {
    return {
      resource,
      type: event.type,
      outcome: "failed",
      detail: `the receiver could not be reached: ${oneLine(String((cause as Error)?.message ?? cause))}`,
    };
  }
}

// The receiver's own `{ error }` code only (a word): never the rest of a body that may echo input.
function errorCode(body: string): string {
  try {
    const code = (JSON.parse(body) as { error?: unknown }).error;
    return typeof code === "string" && /^[a-z_]{1,64}$/.test(code) ? ` ${code}` : "";
  } catch {
    return "";
  }
}
