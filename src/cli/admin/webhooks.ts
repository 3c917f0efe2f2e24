import { parseArgs } from "node:util";
import { canonicalEventType, GEMINI_EVENT_TYPES, type GeminiEventType } from "../../events.js";
import { foreignText } from "../foreign-text.js";
import type { Io } from "../io.js";
import { positiveIntegerFlag, UsageError } from "../usage.js";
import { createGeminiClient, redactingApiKey, type GeminiClient } from "./client.js";
import {
  CommandFailure,
  describeFailure,
  type CallOptions,
  type WebhookResource,
  type WebhookUpdate,
} from "./gemini-api.js";
import { typesHandledBy } from "./handled-types.js";

export const WEBHOOKS_HELP = `Usage: gemini-webhooks webhooks <action> [options]

Manages your project's (static) webhooks through the Gemini WebhookService, with Google's SDK
(npm install @google/genai). Reads the API key from GOOGLE_API_KEY or GEMINI_API_KEY; it is never printed.

Actions:
  create --uri <url> [--events <types> | --from <module>] [--name <name>]
                 Create a webhook. --events: comma-separated or repeated. --from: the types the
                 receiver exported by <module> (.js, or .ts when tsx is installed) has on() handlers
                 for. Default: every type in Gemini's event catalog. Prints the signing secret, once.
  list           List webhooks with their state; flags webhooks Gemini disabled after failed
                 deliveries, and says how to re-enable them.
  get <id>       Show one webhook: name, URI, state, events, its secrets (truncated).
  update <id> [--name <name>] [--uri <url>] [--events <types>] [--state enabled|disabled]
                 Change the fields given (and only those: update_mask names them).
  delete <id> --yes
                 Delete the webhook: Gemini stops delivering to it. Refused without --yes.
  ping <id>      Ask Gemini to send a ping event to the webhook (its type name is unpublished).
  rotate-secret <id> [--immediately]
                 Make a new signing secret (printed once). By default the previous one keeps
                 verifying for 24 hours: configure both, secret: [new, old]. --immediately revokes
                 the previous secrets now.
  enable <id>    Set the webhook's state to enabled (e.g. after disabled_due_to_failed_deliveries);
                 the same as update <id> --state enabled.

Options:
      --timeout <ms>   Time to wait for each API call (default 30000; calls are not retried)
  -h, --help           Show this help

Environment:
  GEMINI_API_KEY           Your Gemini API key (or GOOGLE_API_KEY; the SDK uses GOOGLE_API_KEY when
                           both are set, and so does this command)
  GOOGLE_GEMINI_BASE_URL   Another API endpoint (default https://generativelanguage.googleapis.com);
                           https only, plain http for localhost / 127.0.0.1 / [::1] only

Exit status: 0 done, 1 the API refused or could not be reached, 2 for a usage error.

Examples:
  gemini-webhooks webhooks create --uri https://example.com/gemini-callback --events batch.succeeded,batch.failed
  gemini-webhooks webhooks create --uri https://example.com/gemini-callback --from ./src/webhooks.ts
  gemini-webhooks webhooks list
  gemini-webhooks webhooks update <id> --events batch.succeeded,batch.failed,video.generated
  gemini-webhooks webhooks delete <id> --yes
  gemini-webhooks webhooks rotate-secret <id>`;

const ACTIONS = ["create", "list", "get", "update", "delete", "ping", "rotate-secret", "enable"] as const;
type Action = (typeof ACTIONS)[number];

/** Which flags each action takes; any other is a usage error before anything is sent. */
const FLAGS: Record<Action, readonly FlagName[]> = {
  create: ["uri", "events", "from", "name"],
  list: [],
  get: [],
  update: ["uri", "events", "name", "state"],
  delete: ["yes"],
  ping: [],
  "rotate-secret": ["immediately"],
  enable: [],
};
type FlagName = "uri" | "events" | "from" | "name" | "state" | "yes" | "immediately";

/** Stops a buggy or hostile server from paging forever. */
const MAX_LIST_PAGES = 100;
const FAILED_DELIVERIES_STATE = "disabled_due_to_failed_deliveries";
const SETTABLE_STATES = ["enabled", "disabled"] as const;

/**
 * `gemini-webhooks webhooks <action> ...`: manages static webhooks through the WebhookService (via
 * `@google/genai`). Returns the exit status: 0 done, 1 the API refused or could not be reached, 2 usage.
 */
export async function webhooksCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  if (action === undefined || action === "--help" || action === "-h" || action === "help") {
    io.out(WEBHOOKS_HELP);
    return action === undefined ? 2 : 0;
  }
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(
      `unknown webhooks action "${foreignText(action, 60)}"; expected one of ${ACTIONS.join(", ")}.`,
      "webhooks",
    );
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
      state: { type: "string" },
      yes: { type: "boolean" },
      immediately: { type: "boolean" },
      timeout: { type: "string", default: "30000" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.out(WEBHOOKS_HELP);
    return 0;
  }
  const run = plan(action as Action, values, positionals);
  const callOptions: CallOptions = {
    timeout_ms: positiveIntegerFlag(values.timeout!, "--timeout", "webhooks"),
    retries: { strategy: "none" },
  };
  let client: GeminiClient;
  try {
    client = await createGeminiClient(io.env, "webhooks");
  } catch (error) {
    if (error instanceof CommandFailure) return fail(io, error.message);
    throw error;
  }
  // Belt and braces: whatever the API or the SDK says, the key never reaches the terminal or a log.
  const safeIo = redactingApiKey(io, client.apiKey);
  try {
    return await run(client, safeIo, callOptions);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error instanceof CommandFailure) return fail(safeIo, error.message);
    return fail(safeIo, describeFailure(error, client.baseUrl, client.apiKeyVariable));
  }
}

type Values = {
  uri?: string;
  events?: string[];
  from?: string;
  name?: string;
  state?: string;
  yes?: boolean;
  immediately?: boolean;
};
type Run = (client: GeminiClient, io: Io, options: CallOptions) => Promise<number>;

/** Checks the arguments before anything is sent, and returns what to do. */
function plan(action: Action, values: Values, positionals: string[]): Run {
  for (const option of ["uri", "events", "from", "name", "state", "yes", "immediately"] as const) {
    if (values[option] !== undefined && !FLAGS[action].includes(option)) {
      const owners = ACTIONS.filter((other) => FLAGS[other].includes(option));
      throw new UsageError(
        `--${option} is not an option of "webhooks ${action}" (it is one of: ${owners.map((owner) => `webhooks ${owner}`).join(", ")}).`,
        "webhooks",
      );
    }
  }
  if (action === "create" || action === "list") {
    if (positionals.length > 0)
      throw new UsageError(
        `"webhooks ${action}" takes no <id> (got "${foreignText(positionals[0], 60)}").`,
        "webhooks",
      );
    return action === "create" ? createRun(values) : listWebhooks;
  }
  if (positionals.length !== 1 || positionals[0] === "")
    throw new UsageError(
      `"webhooks ${action}" takes exactly one <id> (see "gemini-webhooks webhooks list").`,
      "webhooks",
    );
  const id = positionals[0]!;
  switch (action) {
    case "get":
      return (client, io, options) => getWebhook(client, io, options, id);
    case "update":
      return updateRun(id, values);
    case "delete":
      if (values.yes !== true)
        throw new UsageError(
          `refusing to delete webhook ${foreignText(id, 100)} without --yes: deleting stops every delivery to it and ` +
            `cannot be undone. Check it with "gemini-webhooks webhooks get ${foreignText(id, 100)}", then run ` +
            `"gemini-webhooks webhooks delete ${foreignText(id, 100)} --yes".`,
          "webhooks",
        );
      return (client, io, options) => deleteWebhook(client, io, options, id);
    case "ping":
      return (client, io, options) => pingWebhook(client, io, options, id);
    case "enable":
      return (client, io, options) => updateWebhook(client, io, options, id, { state: "enabled" });
    case "rotate-secret":
      return (client, io, options) => rotateSecret(client, io, options, id, values.immediately === true);
  }
}

function checkedUri(text: string): string {
  let uri: URL;
  try {
    uri = new URL(text);
  } catch {
    throw new UsageError(
      `--uri "${foreignText(text, 200)}" is not a URL; expected e.g. https://example.com/gemini-callback.`,
      "webhooks",
    );
  }
  if (uri.protocol !== "https:" && uri.protocol !== "http:")
    throw new UsageError(`--uri must be an http(s) URL, got "${foreignText(text, 200)}".`, "webhooks");
  return text;
}

function eventList(values: Values): string[] {
  return [
    ...new Set(
      (values.events ?? [])
        .flatMap((list) => list.split(","))
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
}

function createRun(values: Values): Run {
  if (!values.uri)
    throw new UsageError(
      "--uri is required: the public https URL your receiver listens on, e.g. --uri https://example.com/gemini-callback.",
      "webhooks",
    );
  const uri = checkedUri(values.uri);
  if (values.from !== undefined && values.events !== undefined)
    throw new UsageError(
      "--from and --events cannot be combined: --from subscribes to the types the module handles.",
      "webhooks",
    );
  const events = eventList(values);
  const from = values.from;
  return async (client, io, options) => {
    const chosen = from === undefined ? events : await typesHandledBy(from, io);
    return createWebhook(client, io, options, { uri, name: values.name, events: chosen });
  };
}

/** `update <id> --name/--uri/--events/--state`: sends only the fields given, and names them in update_mask. */
function updateRun(id: string, values: Values): Run {
  const changes: WebhookUpdate = {};
  if (values.name !== undefined) changes.name = values.name;
  if (values.uri !== undefined) changes.uri = checkedUri(values.uri);
  if (values.events !== undefined) {
    const events = eventList(values);
    if (events.length === 0)
      throw new UsageError("--events needs at least one event type, e.g. --events batch.succeeded.", "webhooks");
    changes.subscribed_events = events;
  }
  if (values.state !== undefined) {
    if (!(SETTABLE_STATES as readonly string[]).includes(values.state))
      throw new UsageError(
        `--state must be enabled or disabled, got "${foreignText(values.state, 60)}" (Gemini alone sets ${FAILED_DELIVERIES_STATE}).`,
        "webhooks",
      );
    changes.state = values.state as WebhookUpdate["state"];
  }
  if (Object.keys(changes).length === 0)
    throw new UsageError(
      "nothing to update: give at least one of --name, --uri, --events, --state (only those are changed).",
      "webhooks",
    );
  return (client, io, options) => updateWebhook(client, io, options, id, changes);
}

async function createWebhook(
  { webhooks }: GeminiClient,
  io: Io,
  options: CallOptions,
  request: { uri: string; name?: string; events: string[] },
): Promise<number> {
  const defaulted = request.events.length === 0; // only without --events and --from
  const events = defaulted ? [...GEMINI_EVENT_TYPES] : request.events;
  if (defaulted) {
    io.out(`No --events given: subscribing to every type in Gemini's event catalog (${events.length}).`);
  }
  noteUnknownTypes(io, events);
  const webhook = await webhooks.create(
    { uri: request.uri, subscribed_events: events, ...(request.name !== undefined && { name: request.name }) },
    options,
  );
  const id = webhook.id === undefined ? undefined : foreignText(webhook.id, 100);
  io.out(
    `Created webhook ${id ?? "(the API returned no id)"}${webhook.name ? ` "${foreignText(webhook.name, 100)}"` : ""} → ${foreignText(webhook.uri ?? request.uri)}`,
  );
  io.out(`  state:  ${webhook.state === undefined ? "(not reported)" : foreignText(webhook.state, 60)}`);
  io.out(`  events: ${printableList(webhook.subscribed_events ?? events)}`);
  io.out("");
  if (!webhook.new_signing_secret) {
    io.out(`The API returned no signing secret. Make one with: gemini-webhooks webhooks rotate-secret ${id ?? "<id>"}`);
    return 0;
  }
  printNewSecret(io, webhook.new_signing_secret);
  io.out("Then verify deliveries with it: geminiWebhooks({ secret: process.env.GEMINI_WEBHOOK_SECRET }).");
  io.out(`Lost it? "gemini-webhooks webhooks rotate-secret ${id ?? "<id>"}" makes a new one.`);
  return 0;
}

async function listWebhooks({ webhooks }: GeminiClient, io: Io, options: CallOptions): Promise<number> {
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
  for (const webhook of all) {
    io.out("");
    printWebhook(io, webhook);
  }
  for (const webhook of all.filter((each) => each.state === FAILED_DELIVERIES_STATE)) {
    const id = foreignText(webhook.id ?? "<id>", 100);
    io.out("");
    io.out(`!!! WEBHOOK ${id} IS DISABLED (${FAILED_DELIVERIES_STATE}) !!!`);
    io.out(
      `    Gemini stopped delivering to ${foreignText(webhook.uri)} after too many failed deliveries; no events reach it now.`,
    );
    io.out(
      `    1. Fix the endpoint: "gemini-webhooks send ${foreignText(webhook.uri)} --type batch.succeeded --secret ..." shows what it answers.`,
    );
    io.out(`    2. Re-enable it: gemini-webhooks webhooks enable ${id}`);
  }
  return 0;
}

/** One webhook, every field from the API escaped: a name or URI must not be able to forge a line. */
function printWebhook(io: Io, webhook: WebhookResource): void {
  const id = foreignText(webhook.id ?? "(no id)", 100);
  const flag =
    webhook.state === FAILED_DELIVERIES_STATE
      ? "  <-- DISABLED: deliveries kept failing"
      : webhook.state === "disabled"
        ? "  <-- disabled"
        : "";
  io.out(`${id}${webhook.name ? `  "${foreignText(webhook.name, 100)}"` : ""}`);
  io.out(`  uri:     ${foreignText(webhook.uri)}`);
  io.out(`  state:   ${webhook.state === undefined ? "(state not reported)" : foreignText(webhook.state, 60)}${flag}`);
  io.out(`  events:  ${printableList(webhook.subscribed_events ?? []) || "(none)"}`);
  const secrets = (webhook.signing_secrets ?? []).map(
    (secret) =>
      `${foreignText(secret.truncated_secret ?? "(hidden)", 60)}${secret.expire_time ? ` (expires ${foreignText(secret.expire_time, 60)})` : ""}`,
  );
  if (secrets.length > 0) io.out(`  secrets: ${secrets.join(", ")}`);
  if (webhook.create_time) io.out(`  created: ${foreignText(webhook.create_time, 60)}`);
  if (webhook.update_time) io.out(`  updated: ${foreignText(webhook.update_time, 60)}`);
  if (webhook.state === "disabled")
    io.out(`  Gemini sends it nothing while disabled. Re-enable: gemini-webhooks webhooks enable ${id}`);
}

async function getWebhook({ webhooks }: GeminiClient, io: Io, options: CallOptions, id: string): Promise<number> {
  printWebhook(io, await webhooks.get(id, {}, options));
  return 0;
}

async function updateWebhook(
  { webhooks }: GeminiClient,
  io: Io,
  options: CallOptions,
  id: string,
  changes: WebhookUpdate,
): Promise<number> {
  if (changes.subscribed_events) noteUnknownTypes(io, changes.subscribed_events);
  const fields = Object.keys(changes);
  const webhook = await webhooks.update(id, { ...changes, update_mask: fields.join(",") }, options);
  const shownId = foreignText(id, 100);
  if (changes.state !== undefined && webhook.state !== undefined && webhook.state !== changes.state) {
    io.out(
      `Asked to set webhook ${shownId}'s state to ${changes.state}, but the API reports it as ${foreignText(webhook.state, 60)}.`,
    );
    return 1;
  }
  io.out(`Updated webhook ${shownId} (${fields.join(", ")}):`);
  printWebhook(io, webhook);
  if (changes.state === "enabled") {
    io.out(`Gemini delivers to ${foreignText(webhook.uri ?? "its URI")} again.`);
    io.out(
      "Whether events from while it was disabled are sent again is not documented: check your jobs' status for any you missed.",
    );
  }
  return 0;
}

async function deleteWebhook({ webhooks }: GeminiClient, io: Io, options: CallOptions, id: string): Promise<number> {
  await webhooks.delete(id, {}, options);
  io.out(`Deleted webhook ${foreignText(id, 100)}: Gemini delivers nothing more to it.`);
  io.out("Remove its secret from your receiver's configuration once no delivery is still in flight.");
  return 0;
}

async function pingWebhook({ webhooks }: GeminiClient, io: Io, options: CallOptions, id: string): Promise<number> {
  await webhooks.ping(id, {}, options);
  io.out(`Ping requested for webhook ${foreignText(id, 100)}: Gemini sends a ping event to its URI.`);
  io.out(
    "The ping's type name and body are not published; the receiver verifies it like any delivery and answers 200.",
  );
  io.out("To see it arrive, log every type in your app: webhooks.onAny((event) => console.log(event.type)), or");
  io.out("webhooks.onLifecycle((report) => console.log(report.stage, report.type)).");
  return 0;
}

async function rotateSecret(
  { webhooks }: GeminiClient,
  io: Io,
  options: CallOptions,
  id: string,
  immediately: boolean,
): Promise<number> {
  const behavior = immediately ? "revoke_previous_secrets_immediately" : "revoke_previous_secrets_after_h24";
  const response = await webhooks.rotateSigningSecret(id, { revocation_behavior: behavior }, options);
  if (!response.secret) {
    io.out(
      `The API accepted the rotation (${behavior}) but returned no secret: "gemini-webhooks webhooks get ${foreignText(id, 100)}" shows the webhook's secrets.`,
    );
    return 1;
  }
  io.out(`New signing secret for webhook ${foreignText(id, 100)}.`);
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

/** A new secret is the one thing printed on purpose: still escaped, since it comes from the API. */
function printNewSecret(io: Io, secret: string): void {
  io.out("Signing secret (shown this once; Gemini cannot show it again):");
  io.out("");
  io.out(`  ${foreignText(secret, 200)}`);
  io.out("");
  io.out("Store it now in your secret manager or deployment environment as GEMINI_WEBHOOK_SECRET (or an untracked");
  io.out(".env file: never commit it). Clear it from your terminal's scrollback if others can see it.");
}

function noteUnknownTypes(io: Io, events: readonly string[]): void {
  const unknown = events.filter((name) => !isCatalogType(name));
  if (unknown.length > 0) {
    io.out(
      `Note: not in the published catalog (a typo, or a type newer than this package): ${printableList(unknown)}.`,
    );
  }
}

function printableList(items: readonly string[]): string {
  return items.map((item) => foreignText(item, 100)).join(", ");
}

function isCatalogType(name: string): boolean {
  return GEMINI_EVENT_TYPES.includes(canonicalEventType(name) as GeminiEventType);
}

function fail(io: Io, message: string): number {
  io.err(`error: ${message}`);
  return 1;
}
