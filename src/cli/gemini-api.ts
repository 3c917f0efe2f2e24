/**
 * The WebhookService, reached through the official SDK (`@google/genai`, an optional peer dependency).
 * Loaded only by `gemini-webhooks webhooks ...`: the middleware, `send` and `secret` never import it.
 */

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
  update(
    id: string,
    params: { state?: "enabled"; update_mask?: string },
    options?: CallOptions,
  ): Promise<WebhookResource>;
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

export interface Connection {
  webhooks: WebhookAdmin;
  /** Where requests go: Gemini's API, or GOOGLE_GEMINI_BASE_URL (a local fake in tests). */
  baseUrl: string;
  apiKey: string;
}

export const DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com";

/**
 * Loads the SDK and builds a client from `GEMINI_API_KEY` (and `GOOGLE_GEMINI_BASE_URL`, if set).
 * The key goes to the SDK only, which sends it as the `x-goog-api-key` header.
 */
export async function connect(env: NodeJS.ProcessEnv, missingKey: () => Error): Promise<Connection> {
  const apiKey = env.GEMINI_API_KEY?.trim();
  if (!apiKey) throw missingKey();
  let sdk: typeof import("@google/genai");
  try {
    sdk = await import("@google/genai");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new CommandFailure(
        "`gemini-webhooks webhooks` manages webhooks through Google's official SDK, which is not installed: " +
          "run `npm install @google/genai` (an optional peer dependency; `send` and `secret` work without it).",
      );
    }
    throw error;
  }
  const baseUrl = env.GOOGLE_GEMINI_BASE_URL?.trim() || DEFAULT_BASE_URL;
  const client = new sdk.GoogleGenAI({ apiKey, httpOptions: { baseUrl } });
  // Assigning the SDK's object to our narrow interface makes tsc check that the SDK still has these methods.
  const webhooks: WebhookAdmin = client.webhooks;
  return { webhooks, baseUrl, apiKey };
}

/** Turns what the SDK threw into one line for the user: the API's status and message, or why it was unreachable. */
export function describeFailure(error: unknown, baseUrl: string): string {
  const apiError = error as { status?: unknown; statusCode?: unknown; error?: unknown; body?: unknown };
  const status =
    typeof apiError.status === "number"
      ? apiError.status
      : typeof apiError.statusCode === "number"
        ? apiError.statusCode
        : undefined;
  if (status !== undefined) {
    const detail = apiErrorDetail(apiError.error) ?? apiErrorDetail(parseJson(apiError.body));
    return `the Gemini API answered ${status}${detail ? ` ${detail.replace(/\.+$/, "")}` : ""}.${hintFor(status)}`;
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

function hintFor(status: number): string {
  if (status === 400 || status === 401 || status === 403)
    return " Check GEMINI_API_KEY (and that the key's project has the Gemini API enabled).";
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

function oneLine(text: string): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}
