import type { GeminiClientLike, WebhookLike } from "./gemini-client.js";

/** A webhook endpoint as the check saw it. */
export interface EndpointStatus {
  id: string;
  name?: string;
  uri: string;
  state: string;
  subscribedEvents: string[];
  /** `disabled` or `disabled_due_to_failed_deliveries`: Gemini sends it nothing. */
  disabled: boolean;
  /** With `reenable`: switched back on and pinged (or why that failed). */
  reenabled?: boolean;
  reenableFailure?: unknown;
}

export interface EndpointHealth {
  endpoints: EndpointStatus[];
  /** The endpoints Gemini sends nothing to (after `reenable`, those it could not switch back on). */
  disabled: EndpointStatus[];
  healthy: boolean;
}

export interface CheckEndpointsOptions {
  /** Switch a disabled endpoint back on (state `enabled`) and ping it. Default false: only report. */
  reenable?: boolean;
}

const MAX_PAGES = 100;

/**
 * Lists the project's webhooks and finds those Gemini stopped delivering to. A webhook that kept failing is
 * switched to `disabled_due_to_failed_deliveries` and gets nothing until re-enabled: the completions in between
 * are recovered by catch-up, after this check (or `gemini-webhooks doctor --reenable`) turns it back on.
 * Throws what the API threw when the list cannot be read.
 */
export async function checkEndpoints(
  client: Pick<GeminiClientLike, "webhooks">,
  options: CheckEndpointsOptions = {},
): Promise<EndpointHealth> {
  const endpoints: EndpointStatus[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const listed = await client.webhooks.list(pageToken ? { page_token: pageToken } : {});
    for (const webhook of listed.webhooks ?? []) endpoints.push(statusOf(webhook));
    pageToken = listed.next_page_token;
    if (!pageToken) break;
  }
  for (const endpoint of endpoints) {
    if (!endpoint.disabled || !options.reenable) continue;
    try {
      await client.webhooks.update(endpoint.id, { state: "enabled", update_mask: "state" });
      await client.webhooks.ping(endpoint.id);
      endpoint.reenabled = true;
    } catch (cause) {
      endpoint.reenabled = false;
      endpoint.reenableFailure = cause;
    }
  }
  const disabled = endpoints.filter((endpoint) => endpoint.disabled && endpoint.reenabled !== true);
  return { endpoints, disabled, healthy: disabled.length === 0 };
}

function statusOf(webhook: WebhookLike): EndpointStatus {
  const state = webhook.state ?? "unknown";
  return {
    id: webhook.id ?? webhook.name ?? "",
    ...(webhook.name !== undefined && { name: webhook.name }),
    uri: webhook.uri ?? "",
    state,
    subscribedEvents: webhook.subscribed_events ?? [],
    disabled: state === "disabled" || state === "disabled_due_to_failed_deliveries",
  };
}
