import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { canonicalEventType, GEMINI_EVENT_TYPES, type GeminiEventType } from "../events.js";
import {
  connect,
  describeFailure,
  CommandFailure,
  type CallOptions,
  type Connection,
  type WebhookResource,
} from "./gemini-api.js";
import type { Io } from "./send.js";
import { positiveIntegerFlag, UsageError, USAGE } from "./usage.js";

const ACTIONS = ["create", "list", "ping", "rotate-secret", "enable"] as const;
type Action = (typeof ACTIONS)[number];

/** Stops a buggy or hostile server from paging forever. */
const MAX_LIST_PAGES = 100;
const FAILED_DELIVERIES_STATE = "disabled_due_to_failed_deliveries";

/**
 * `gemini-webhooks webhooks <action> ...`: manages static webhooks through the WebhookService (via
 * `@google/genai`). Returns the exit status: 0 done, 1 the API refused or could not be reached, 2 usage.
 */
export async function webhooksCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  if (action === undefined || action === "--help" || action === "-h" || action === "help") {
    io.out(USAGE.webhooks.trimEnd());
    return action === undefined ? 2 : 0;
  }
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`unknown webhooks action "${action}"; expected one of ${ACTIONS.join(", ")}.`, "webhooks");
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      uri: { type: "string" },
      events: { type: "string", short: "e", multiple: true },
      from: { type: "string" },
      name: { type: "string" },
      immediately: { type: "boolean", default: false },
      timeout: { type: "string", default: "30000" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.out(USAGE.webhooks.trimEnd());
    return 0;
  }
  const run = plan(action as Action, values, positionals);
  const callOptions: CallOptions = {
    timeout_ms: positiveIntegerFlag(values.timeout!, "--timeout", "webhooks"),
    retries: { strategy: "none" },
  };
  const googleKeySet = Boolean(io.env.GOOGLE_API_KEY?.trim());
  const missingKey = () =>
    new UsageError(
      "GEMINI_API_KEY is not set: export your Gemini API key (https://aistudio.google.com/apikey) to manage webhooks" +
        (googleKeySet ? " (GOOGLE_API_KEY is set, but this command reads GEMINI_API_KEY only)." : "."),
      "webhooks",
    );
  let connection: Connection;
  try {
    connection = await connect(io.env, missingKey);
  } catch (error) {
    if (error instanceof CommandFailure) return fail(io, error.message);
    throw error;
  }
  // Belt and braces: whatever the API or the SDK says, the key never reaches the terminal or a log.
  const safeIo = redacting(io, connection.apiKey);
  if (googleKeySet) {
    // The SDK warns "Using GOOGLE_API_KEY" whenever both are set, even though it was handed GEMINI_API_KEY.
    safeIo.err("note: GOOGLE_API_KEY is also set; this command sends GEMINI_API_KEY (passed to the SDK explicitly).");
  }
  try {
    return await run(connection, safeIo, callOptions);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error instanceof CommandFailure) return fail(safeIo, error.message);
    return fail(safeIo, describeFailure(error, connection.baseUrl));
  }
}

type Values = {
  uri?: string;
  events?: string[];
  from?: string;
  name?: string;
  immediately?: boolean;
  timeout?: string;
};
type Run = (connection: Connection, io: Io, options: CallOptions) => Promise<number>;

/** Checks the arguments before anything is sent, and returns what to do. */
function plan(action: Action, values: Values, positionals: string[]): Run {
  const allowed: Record<Action, readonly (keyof Values)[]> = {
    create: ["uri", "events", "from", "name"],
    list: [],
    ping: [],
    "rotate-secret": ["immediately"],
    enable: [],
  };
  for (const option of ["uri", "events", "from", "name"] as const) {
    if (values[option] !== undefined && !allowed[action].includes(option))
      throw new UsageError(`--${option} is not an option of "webhooks ${action}".`, "webhooks");
  }
  if (values.immediately && action !== "rotate-secret")
    throw new UsageError(`--immediately is an option of "webhooks rotate-secret" only.`, "webhooks");
  if (action === "create" || action === "list") {
    if (positionals.length > 0)
      throw new UsageError(`"webhooks ${action}" takes no <id> (got "${positionals[0]}").`, "webhooks");
    return action === "create" ? createRun(values) : listWebhooks;
  }
  if (positionals.length !== 1 || positionals[0] === "")
    throw new UsageError(
      `"webhooks ${action}" takes exactly one <id> (see "gemini-webhooks webhooks list").`,
      "webhooks",
    );
  const id = positionals[0]!;
  if (action === "ping") return (connection, io, options) => pingWebhook(connection, io, options, id);
  if (action === "enable") return (connection, io, options) => enableWebhook(connection, io, options, id);
  return (connection, io, options) => rotateSecret(connection, io, options, id, values.immediately === true);
}

function createRun(values: Values): Run {
  if (!values.uri)
    throw new UsageError(
      "--uri is required: the public https URL your receiver listens on, e.g. --uri https://example.com/gemini-callback.",
      "webhooks",
    );
  let uri: URL;
  try {
    uri = new URL(values.uri);
  } catch {
    throw new UsageError(
      `--uri "${values.uri}" is not a URL; expected e.g. https://example.com/gemini-callback.`,
      "webhooks",
    );
  }
  if (uri.protocol !== "https:" && uri.protocol !== "http:")
    throw new UsageError(`--uri must be an http(s) URL, got "${values.uri}".`, "webhooks");
  if (values.from !== undefined && values.events !== undefined)
    throw new UsageError(
      "--from and --events cannot be combined: --from subscribes to the types the module handles.",
      "webhooks",
    );
  const events = (values.events ?? [])
    .flatMap((list) => list.split(","))
    .map((name) => name.trim())
    .filter(Boolean);
  const from = values.from;
  return async (connection, io, options) => {
    const chosen = from === undefined ? [...new Set(events)] : await typesHandledBy(from, io);
    return createWebhook(connection, io, options, { uri: values.uri!, name: values.name, events: chosen });
  };
}

/** What a receiver made by `geminiWebhooks()` offers, looked for among a module's exports. */
interface ReceiverLike {
  on: unknown;
  registeredTypes(): string[];
}

function isReceiver(value: unknown): value is ReceiverLike {
  return (
    typeof value === "function" &&
    typeof (value as Partial<ReceiverLike>).on === "function" &&
    typeof (value as Partial<ReceiverLike>).registeredTypes === "function"
  );
}

/** `--from <module>`: the documented types the module's exported receivers have `on()` handlers for. */
async function typesHandledBy(path: string, io: Io): Promise<string[]> {
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (error) {
    const message = String((error as Error)?.message ?? error).split("\n")[0];
    throw new CommandFailure(
      `could not load --from ${path}: ${message}. If the module needs a secret to start, ` +
        "give this command any development secret: GEMINI_WEBHOOK_SECRET=$(npx gemini-webhooks secret) npx gemini-webhooks webhooks create ...",
    );
  }
  const receivers = [...new Set(Object.values(exports).filter(isReceiver))];
  if (receivers.length === 0) {
    throw new UsageError(
      `--from ${path} exports no receiver: export the value geminiWebhooks() returns, e.g. \`export const webhooks = geminiWebhooks({ ... })\`.`,
      "webhooks",
    );
  }
  // Aliases (batch.completed) are subscribed under their documented name.
  const types = [...new Set(receivers.flatMap((receiver) => receiver.registeredTypes()).map(canonicalEventType))];
  if (types.length === 0) {
    throw new UsageError(
      `the receiver in ${path} has no on() handlers (onAny alone handles every type): pass --events, or leave out --from to subscribe to the whole catalog.`,
      "webhooks",
    );
  }
  io.out(
    `Subscribing to the ${types.length} type${types.length === 1 ? "" : "s"} ${path} handles: ${types.join(", ")}.`,
  );
  return types;
}

async function createWebhook(
  { webhooks }: Connection,
  io: Io,
  options: CallOptions,
  request: { uri: string; name?: string; events: string[] },
): Promise<number> {
  const defaulted = request.events.length === 0; // only without --events and --from
  const events = defaulted ? [...GEMINI_EVENT_TYPES] : request.events;
  if (defaulted) {
    io.out(`No --events given: subscribing to every type in Gemini's event catalog (${events.length}).`);
  }
  const unknown = events.filter((name) => !isCatalogType(name));
  if (unknown.length > 0) {
    io.out(`Note: not in the published catalog (a typo, or a type newer than this package): ${unknown.join(", ")}.`);
  }
  const webhook = await webhooks.create(
    { uri: request.uri, subscribed_events: events, ...(request.name !== undefined && { name: request.name }) },
    options,
  );
  io.out(
    `Created webhook ${webhook.id ?? "(the API returned no id)"}${webhook.name ? ` "${webhook.name}"` : ""} → ${webhook.uri ?? request.uri}`,
  );
  io.out(`  state:  ${webhook.state ?? "(not reported)"}`);
  io.out(`  events: ${(webhook.subscribed_events ?? events).join(", ")}`);
  io.out("");
  if (!webhook.new_signing_secret) {
    io.out(
      `The API returned no signing secret. Make one with: gemini-webhooks webhooks rotate-secret ${webhook.id ?? "<id>"}`,
    );
    return 0;
  }
  printNewSecret(io, webhook.new_signing_secret);
  io.out("Then verify deliveries with it: geminiWebhooks({ secret: process.env.GEMINI_WEBHOOK_SECRET }).");
  io.out(`Lost it? "gemini-webhooks webhooks rotate-secret ${webhook.id ?? "<id>"}" makes a new one.`);
  return 0;
}

async function listWebhooks({ webhooks }: Connection, io: Io, options: CallOptions): Promise<number> {
  const all: WebhookResource[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const response = await webhooks.list(pageToken === undefined ? {} : { page_token: pageToken }, options);
    all.push(...(response.webhooks ?? []));
    pageToken = response.next_page_token || undefined;
    if (pageToken === undefined) break;
  }
  if (all.length === 0) {
    io.out(
      "No webhooks in this project. Create one with: gemini-webhooks webhooks create --uri https://<your host>/gemini-callback",
    );
    return 0;
  }
  io.out(`${all.length} webhook${all.length === 1 ? "" : "s"}:`);
  const failing: WebhookResource[] = [];
  for (const webhook of all) {
    const state = webhook.state ?? "(state not reported)";
    const flag =
      webhook.state === FAILED_DELIVERIES_STATE
        ? "  <-- DISABLED: deliveries kept failing"
        : webhook.state === "disabled"
          ? "  <-- disabled"
          : "";
    io.out("");
    io.out(`${webhook.id ?? "(no id)"}${webhook.name ? `  "${webhook.name}"` : ""}`);
    io.out(`  uri:     ${webhook.uri}`);
    io.out(`  state:   ${state}${flag}`);
    io.out(`  events:  ${(webhook.subscribed_events ?? []).join(", ") || "(none)"}`);
    const secrets = (webhook.signing_secrets ?? []).map(
      (secret) =>
        `${secret.truncated_secret ?? "(hidden)"}${secret.expire_time ? ` (expires ${secret.expire_time})` : ""}`,
    );
    if (secrets.length > 0) io.out(`  secrets: ${secrets.join(", ")}`);
    if (webhook.state === FAILED_DELIVERIES_STATE) failing.push(webhook);
    else if (webhook.state === "disabled")
      io.out(`  Gemini sends it nothing while disabled. Re-enable: gemini-webhooks webhooks enable ${webhook.id}`);
  }
  for (const webhook of failing) {
    io.out("");
    io.out(`!!! WEBHOOK ${webhook.id} IS DISABLED (${FAILED_DELIVERIES_STATE}) !!!`);
    io.out(`    Gemini stopped delivering to ${webhook.uri} after too many failed deliveries; no events reach it now.`);
    io.out(
      `    1. Fix the endpoint: "gemini-webhooks send ${webhook.uri} --type batch.succeeded --secret ..." shows what it answers.`,
    );
    io.out(`    2. Re-enable it: gemini-webhooks webhooks enable ${webhook.id}`);
  }
  return 0;
}

async function pingWebhook({ webhooks }: Connection, io: Io, options: CallOptions, id: string): Promise<number> {
  await webhooks.ping(id, {}, options);
  io.out(`Ping requested for webhook ${id}: Gemini sends a ping event to its URI.`);
  io.out(
    "The ping's type name and body are not published; the receiver verifies it like any delivery and answers 200.",
  );
  io.out("To see it arrive, log every type in your app: webhooks.onAny((event) => console.log(event.type)), or");
  io.out("webhooks.onLifecycle((report) => console.log(report.stage, report.type)).");
  return 0;
}

async function rotateSecret(
  { webhooks }: Connection,
  io: Io,
  options: CallOptions,
  id: string,
  immediately: boolean,
): Promise<number> {
  const behavior = immediately ? "revoke_previous_secrets_immediately" : "revoke_previous_secrets_after_h24";
  const response = await webhooks.rotateSigningSecret(id, { revocation_behavior: behavior }, options);
  if (!response.secret) {
    io.out(
      `The API accepted the rotation (${behavior}) but returned no secret: "gemini-webhooks webhooks list" shows the webhook's secrets.`,
    );
    return 1;
  }
  io.out(`New signing secret for webhook ${id}.`);
  io.out("");
  printNewSecret(io, response.secret);
  if (immediately) {
    io.out(
      "Every previous secret was revoked now (revoke_previous_secrets_immediately): switch your server to the new",
    );
    io.out("secret at once; until it does, deliveries fail with 401 invalid_signature (Gemini retries them for 24 h).");
  } else {
    io.out("Grace period: the previous secret keeps verifying for 24 hours (revoke_previous_secrets_after_h24).");
    io.out("Configure both secrets now, the new one first, and deploy:");
    io.out(
      "  geminiWebhooks({ secret: [process.env.GEMINI_WEBHOOK_SECRET_NEW, process.env.GEMINI_WEBHOOK_SECRET] })  // secret: [new, old]",
    );
    io.out("After 24 hours, keep only the new one. ctx.secretIndex tells which one verified each delivery.");
  }
  return 0;
}

async function enableWebhook({ webhooks }: Connection, io: Io, options: CallOptions, id: string): Promise<number> {
  const webhook = await webhooks.update(id, { state: "enabled", update_mask: "state" }, options);
  if (webhook.state !== undefined && webhook.state !== "enabled") {
    io.out(`Asked to enable webhook ${id}, but the API reports its state as ${webhook.state}.`);
    return 1;
  }
  io.out(`Webhook ${id} is enabled: Gemini delivers to ${webhook.uri ?? "its URI"} again.`);
  io.out(
    "Whether events from while it was disabled are sent again is not documented: check your jobs' status for any you missed.",
  );
  return 0;
}

function printNewSecret(io: Io, secret: string): void {
  io.out("Signing secret (shown this once; Gemini cannot show it again):");
  io.out("");
  io.out(`  ${secret}`);
  io.out("");
  io.out("Store it now in your secret manager or deployment environment as GEMINI_WEBHOOK_SECRET (or an untracked");
  io.out(".env file: never commit it). Clear it from your terminal's scrollback if others can see it.");
}

function isCatalogType(name: string): boolean {
  return GEMINI_EVENT_TYPES.includes(canonicalEventType(name) as GeminiEventType);
}

function fail(io: Io, message: string): number {
  io.err(`error: ${message}`);
  return 1;
}

/** Shorter "keys" are not real API keys (those are ~39 characters), and redacting them would garble output. */
const MIN_REDACTED_LENGTH = 8;

/** An Io whose every line has `secret` replaced, so an API message echoing the key cannot print it. */
function redacting(io: Io, secret: string): Io {
  if (secret.length < MIN_REDACTED_LENGTH) return io;
  const scrub = (line: string) => line.split(secret).join("[redacted API key]");
  return { env: io.env, out: (line) => io.out(scrub(line)), err: (line) => io.err(scrub(line)) };
}
