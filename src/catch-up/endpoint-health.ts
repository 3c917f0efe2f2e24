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
  /**
   * Called once per problem, for a scheduler or a health probe that logs or alerts: `endpoint_disabled` (Gemini
   * sends this endpoint nothing), `endpoint_reenable_failed`, `endpoint_check_failed` (the list could not be
   * read; the call then also throws). A throwing listener is ignored.
   */
  onError?: (error: EndpointHealthError) => unknown;
  /** Called once per check with what it found: `endpoints_checked`. A throwing listener is ignored. */
  onLifecycle?: (event: EndpointCheckEvent) => unknown;
}

/** The codes of the endpoint check: its own, apart from a delivery's. */
export type EndpointHealthCode = "endpoint_disabled" | "endpoint_reenable_failed" | "endpoint_check_failed";

/** A problem the endpoint check found: the endpoint's id and state, never its secrets. */
export class EndpointHealthError extends Error {
  override name = "EndpointHealthError";
  constructor(
    readonly code: EndpointHealthCode,
    message: string,
    readonly endpoint?: EndpointStatus,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What one check found, shaped for a log line or a metric. */
export interface EndpointCheckEvent {
  stage: "endpoints_checked";
  healthy: boolean;
  /** How many webhooks the project has, and the ids of those Gemini sends nothing to. */
  endpoints: number;
  disabled: string[];
  /** With `reenable`: the ids switched back on and pinged. */
  reenabled: string[];
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
  try {
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const listed = await client.webhooks.list(pageToken ? { page_token: pageToken } : {});
      for (const webhook of listed.webhooks ?? []) endpoints.push(statusOf(webhook));
      pageToken = listed.next_page_token;
      if (!pageToken) break;
    }
  } catch (cause) {
    const error = new EndpointHealthError("endpoint_check_failed", "listing the webhooks failed", undefined, { cause });
    notify(options.onError, error);
    throw cause;
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
  for (const endpoint of disabled) {
    const failedReenable = endpoint.reenabled === false;
    notify(
      options.onError,
      new EndpointHealthError(
        failedReenable ? "endpoint_reenable_failed" : "endpoint_disabled",
        `webhook ${endpoint.id} is ${endpoint.state}${failedReenable ? " and could not be re-enabled" : ""}: ` +
          "Gemini delivers nothing to it; catch-up recovers what it missed once it is enabled again.",
        endpoint,
        failedReenable ? { cause: endpoint.reenableFailure } : undefined,
      ),
    );
  }
  const healthy = disabled.length === 0;
  notify(options.onLifecycle, {
    stage: "endpoints_checked",
    healthy,
    endpoints: endpoints.length,
    disabled: disabled.map((endpoint) => endpoint.id),
    reenabled: endpoints.filter((endpoint) => endpoint.reenabled === true).map((endpoint) => endpoint.id),
  });
  return { endpoints, disabled, healthy };
}

// A listener is the app's logging or alerting: its failure must not turn a finished check into a failed one.
function notify<T>(listener: ((value: T) => unknown) | undefined, value: T): void {
  if (!listener) return;
  try {
    const result = listener(value);
    if (result && typeof (result as Promise<unknown>).then === "function") (result as Promise<unknown>).catch(() => {});
  } catch {
    // ignored: see above
  }
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
