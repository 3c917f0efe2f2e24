/**
 * `gemini-webhooks-express/catch-up`: recovers completions Gemini never delivered (after its 24-hour retries,
 * or while an endpoint was disabled), and checks that no endpoint is disabled. Needs `@google/genai` as the
 * client you pass in; it is loaded here only to look up a tracked video operation (catch-up/video-operation.ts).
 */
import { receiverCore } from "./adapter.js";
import { runCatchUp, type CatchUpOptions, type CatchUpReport } from "./catch-up/catch-up.js";
import { DEFAULT_STORE_TTL_MS, hoursText, overreach, parseSince } from "./catch-up/window.js";
import { isTrackingStore } from "./dedupe/tracking.js";
import type { GeminiWebhooks } from "./receiver.js";

export { checkEndpoints, EndpointHealthError } from "./catch-up/endpoint-health.js";
export type {
  CheckEndpointsOptions,
  EndpointCheckEvent,
  EndpointHealth,
  EndpointHealthCode,
  EndpointStatus,
} from "./catch-up/endpoint-health.js";
export type { CatchUpItem, CatchUpOptions, CatchUpReport } from "./catch-up/catch-up.js";
export type { TrackedJob, TrackingStore } from "./dedupe/tracking.js";
export type { GeminiClientLike } from "./catch-up/gemini-client.js";

/**
 * Delivers every completion of the window to `webhooks` in-process, through its whole pipeline (signature,
 * dedupe, handlers or queue) as a `v1` delivery signed with `options.secret`. Handlers see
 * `ctx.source === "catch-up"`. A completion already handled is answered `duplicate` and runs no handler.
 * The jobs kept with `webhooks.track()` are read from the receiver's store and looked up once overdue.
 *
 * Refuses (a RangeError, before anything is sent) a `since` reaching back further than the receiver's store
 * remembers handled completions (its `ttlMs`), and a receiver without a store: either would run handlers again.
 *
 * ```ts
 * const report = await catchUp(webhooks, { client: new GoogleGenAI({ apiKey }), secret, since: "24h" });
 * if (!report.complete) console.error(report.problem, report.items.filter((i) => i.outcome === "failed"));
 * ```
 */
export async function catchUp(webhooks: GeminiWebhooks<any>, options: CatchUpOptions): Promise<CatchUpReport> {
  const { dedupe } = receiverCore(webhooks, "catchUp");
  const now = new Date();
  checkWindow(options?.since, dedupe?.ttlMs, dedupe !== undefined, now);
  return runCatchUp(
    options,
    async ({ headers, body }) => {
      const response = await webhooks.fetch(new Request("http://catch-up.invalid/", { method: "POST", headers, body }));
      return { status: response.status, body: await response.text() };
    },
    now,
    isTrackingStore(dedupe) ? dedupe : undefined,
  );
}

function checkWindow(
  since: CatchUpOptions["since"],
  storeTtlMs: number | undefined,
  hasStore: boolean,
  now: Date,
): void {
  if (!hasStore) {
    throw new RangeError(
      "catchUp: the receiver has no dedupe store (dedupe: false), so every completion caught up would run its " +
        "handlers again on each run. Give it one: geminiWebhooks({ secret, dedupe: redisStore({ ... }), oncePerCompletion: true }).",
    );
  }
  const ttlMs = typeof storeTtlMs === "number" && storeTtlMs > 0 ? storeTtlMs : DEFAULT_STORE_TTL_MS;
  const start = parseSince(since, now.getTime());
  const beyond = overreach(start, now.getTime(), ttlMs);
  if (beyond > 0) {
    const declared = storeTtlMs === undefined ? " (it declares no ttlMs, so 25h is assumed)" : " (its ttlMs)";
    // The span is rounded up: "26h" for a window 25 h and a minute long, never a span that would look allowed.
    throw new RangeError(
      `catchUp: since reaches back ${hoursText(now.getTime() - start.getTime() + 3_599_999)}, but the receiver's ` +
        `dedupe store remembers handled completions for ${hoursText(ttlMs)}${declared}: a completion older than ` +
        `that would run its handlers again. Use a shorter since (at most "${hoursText(ttlMs)}"), or raise the ` +
        'store\'s ttlMs above the window (for since: "7d", ttlMs: 8 * 24 * 3600 * 1000).',
    );
  }
}
