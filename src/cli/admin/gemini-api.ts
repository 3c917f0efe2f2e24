/**
 * The WebhookService's shapes as the official SDK (`@google/genai`) sends and returns them, and the API's
 * failures turned into one line for the user. The client itself comes from client.ts.
 */
import { foreignText } from "../foreign-text.js";

/** A webhook as the API returns it (snake_case, the REST shape the SDK passes through). */
export interface WebhookResource {
  id?: string;
  name?: string;
  uri: string;
  subscribed_events: string[];
  /** `enabled`, `disabled`, `disabled_due_to_failed_deliveries` (open: other values may appear). */
  state?: string;
  /** Only on create, and only once. */
  new_signing_secret?: string;
  signing_secrets?: Array<{ truncated_secret?: string; expire_time?: string }>;
  create_time?: string;
  update_time?: string;
}

/** Per-call options the SDK accepts; we only ever set these two. */
export interface CallOptions {
  timeout_ms: number;
  retries: { strategy: "none" };
}

/** The fields the API updates (PATCH with `update_mask` naming the ones sent). */
export interface WebhookUpdate {
  name?: string;
  uri?: string;
  subscribed_events?: string[];
  state?: "enabled" | "disabled";
}

/**
 * On the wire in lower case: the SDK (3.3.0) types it so and sends the body through JSON.stringify unchanged
 * (no enum mapping), which is what the REST API it was generated from expects.
 */
export type RevocationBehavior = "revoke_previous_secrets_after_h24" | "revoke_previous_secrets_immediately";

/** The part of the SDK's `client.webhooks` the CLI uses (checked against the SDK's own types at build time). */
export interface WebhookAdmin {
  create(
    params: { uri: string; subscribed_events: string[]; name?: string },
    options?: CallOptions,
  ): Promise<WebhookResource>;
  list(
    params?: { page_size?: number; page_token?: string },
    options?: CallOptions,
  ): Promise<{ webhooks?: WebhookResource[]; next_page_token?: string }>;
  get(id: string, params?: Record<string, never>, options?: CallOptions): Promise<WebhookResource>;
  update(id: string, params: WebhookUpdate & { update_mask?: string }, options?: CallOptions): Promise<WebhookResource>;
  delete(id: string, params?: Record<string, never>, options?: CallOptions): Promise<unknown>;
  ping(id: string, params?: Record<string, never>, options?: CallOptions): Promise<unknown>;
  rotateSigningSecret(
    id: string,
    params: { revocation_behavior?: RevocationBehavior },
    options?: CallOptions,
  ): Promise<{ secret?: string }>;
}

/** A failure to show the user as it is, without a stack (exit status 1). */
export class CommandFailure extends Error {
  override name = "CommandFailure";
}

/** Turns what the SDK threw into one line for the user: the API's status and message, or why it was unreachable. */
export function describeFailure(error: unknown, baseUrl: string, apiKeyVariable: string): string {
  const apiError = error as { status?: unknown; statusCode?: unknown; error?: unknown; body?: unknown };
  const status =
    typeof apiError.status === "number"
      ? apiError.status
      : typeof apiError.statusCode === "number"
        ? apiError.statusCode
        : undefined;
  if (status !== undefined) {
    const detail = apiErrorDetail(apiError.error) ?? apiErrorDetail(parseJson(apiError.body));
    return `the Gemini API answered ${status}${detail ? ` ${detail.replace(/\.+$/, "")}` : ""}.${hintFor(status, apiKeyVariable)}`;
  }
  const code = causeCode(error);
  if (code)
    return `could not reach the Gemini API at ${baseUrl}: ${code === "ECONNREFUSED" ? "connection refused (ECONNREFUSED)" : code}.`;
  if (causes(error).some((cause) => /Timeout/.test(String((cause as Error).name)))) {
    return `no answer from the Gemini API at ${baseUrl} within --timeout.`;
  }
  return `the request to the Gemini API at ${baseUrl} failed: ${oneLine(String((error as Error)?.message ?? error))}`;
}

/** `{ error: { code, message, status } }`, Google's error body → `NOT_FOUND: Webhook not found.` */
function apiErrorDetail(body: unknown): string | undefined {
  const inner = (body as { error?: { message?: unknown; status?: unknown } } | undefined)?.error;
  if (!inner || typeof inner !== "object") return undefined;
  const status = typeof inner.status === "string" ? inner.status : "";
  const message = typeof inner.message === "string" ? oneLine(inner.message) : "";
  return [status, message].filter(Boolean).join(": ") || undefined;
}

function hintFor(status: number, apiKeyVariable: string): string {
  if (status === 400 || status === 401 || status === 403)
    return ` Check ${apiKeyVariable} (and that the key's project has the Gemini API enabled).`;
  if (status === 404) return ' "gemini-webhooks webhooks list" shows the ids of your webhooks.';
  if (status === 429) return " Rate limited: try again in a moment.";
  return "";
}

/** The error and its causes: fetch failures nest (APIConnectionError → TypeError("fetch failed") → { code: "ECONNREFUSED" }). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (
    let cause = error;
    cause && typeof cause === "object" && chain.length < 6;
    cause = (cause as { cause?: unknown }).cause
  )
    chain.push(cause);
  return chain;
}

function causeCode(error: unknown): string | undefined {
  for (const cause of causes(error)) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z_]+$/.test(code)) return code;
  }
  return undefined;
}

function parseJson(text: unknown): unknown {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Foreign text on one line: runs of whitespace and controls folded, then escaped by foreignText. */
function oneLine(text: string): string {
  return foreignText(text.replace(/\s+/g, " ").trim(), 300);
}
