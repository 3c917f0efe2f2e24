/**
 * `gemini-webhooks-express/catch-up`: recovers completions Gemini never delivered (after its 24-hour retries,
 * or while an endpoint was disabled), and checks that no endpoint is disabled. Needs `@google/genai` only as
 * the client you pass in: nothing here imports it.
 */
import { runCatchUp, type CatchUpOptions, type CatchUpReport } from "./catch-up/catch-up.js";
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
export type { GeminiClientLike } from "./catch-up/gemini-client.js";

/**
 * Delivers every completion of the window to `webhooks` in-process, through its whole pipeline (signature,
 * dedupe, handlers or queue) as a `v1` delivery signed with `options.secret`. Handlers see
 * `ctx.source === "catch-up"`. A completion already handled is answered `duplicate` and runs no handler.
 *
 * ```ts
 * const report = await catchUp(webhooks, { client: new GoogleGenAI({ apiKey }), secret, since: "48h" });
 * if (!report.complete) console.error(report.problem, report.items.filter((i) => i.outcome === "failed"));
 * ```
 */
export async function catchUp(webhooks: GeminiWebhooks<any>, options: CatchUpOptions): Promise<CatchUpReport> {
  if (typeof webhooks?.fetch !== "function")
    throw new TypeError("catchUp: pass the receiver returned by geminiWebhooks().");
  return runCatchUp(options, async ({ headers, body }) => {
    const response = await webhooks.fetch(new Request("http://catch-up.invalid/", { method: "POST", headers, body }));
    return { status: response.status, body: await response.text() };
  });
}
