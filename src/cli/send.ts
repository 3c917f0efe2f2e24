import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { canonicalEventType, GEMINI_EVENT_TYPES, type GeminiEventType } from "../events.js";
import type { SignedDelivery } from "../testing/delivery.js";
import { sampleEvent } from "../testing/sample-event.js";
import { signDelivery } from "../testing/sign-delivery.js";
import { assertUsableSecret } from "../verify/secret.js";
import { importTestKeys, type TestJwtAlgorithm, type TestKeys } from "../testing/test-keys.js";
import { foreignText, looksLikeSecret, printableUrl, quotedArgument } from "./foreign-text.js";
import type { Io } from "./io.js";
import { positiveIntegerFlag, UsageError } from "./usage.js";

type Scheme = "v1" | "v1a" | "jwt";
type Signer = (
  event: unknown,
  options: { id?: string; timestamp?: number },
) => SignedDelivery | Promise<SignedDelivery>;

/** Everything `send` needs, checked before anything is sent. */
interface SendPlan {
  url: URL;
  type: string;
  scheme: Scheme;
  event: unknown;
  sign: Signer;
  repeat: number;
  duplicate: boolean;
  id?: string;
  timestamp?: number;
  timeoutMs: number;
}

export const SEND_HELP = `Usage: gemini-webhooks send <url> --type <event type> [options]

Signs deliveries in Gemini's published formats, POSTs them to <url>, and prints each status and error code.
v1 is the documented Standard Webhooks HMAC; v1a follows a field report; jwt carries claims of this
package's choosing (Google publishes none): a receiver that accepts it may still refuse Gemini's tokens.

Options:
  -t, --type <type>       Event type, e.g. batch.succeeded (required). A documented type gets a
                          realistic sample payload; any other type is sent with --data as its data.
  -s, --scheme <scheme>   v1 (static HMAC, default), v1a (Ed25519) or jwt
      --secret <secret>   Signing secret for v1 (default: $GEMINI_WEBHOOK_SECRET)
      --keys <file>       Test key set for v1a and jwt: JSON written by TestKeys.toJSON(), e.g. the
                          file the example app prints (default: $GEMINI_WEBHOOK_TEST_KEYS)
      --algorithm <alg>   JWT algorithm: RS256 (default), ES256 or EdDSA
      --audience <aud>    JWT "aud" claim (default: the key set's audience)
  -d, --data <json>       JSON object merged over the sample's "data"
      --user-metadata <json>
                          JSON object sent as the payload's top-level "user_metadata" (what a
                          dynamic webhook's webhook_config.user_metadata carries)
  -n, --repeat <n>        Send n deliveries, each with a new webhook-id and data.id (default 1)
      --duplicate         Send each delivery a second time with the same webhook-id
      --id <id>           webhook-id to use (only with a single delivery)
      --timestamp <secs>  webhook-timestamp in Unix seconds (default: now); an old one tests staleness
      --timeout <ms>      Time to wait for each answer (default 10000)
  -h, --help              Show this help

Exit status: 0 when every answer was 2xx, 1 when one was not or the server could not be reached,
2 for a usage error.

Examples:
  gemini-webhooks send http://localhost:3000/gemini-callback --type batch.succeeded --secret whsec_...
  gemini-webhooks send http://localhost:3000/gemini-callback -t batch.failed -d '{"error_code":"INTERNAL"}' --duplicate
  gemini-webhooks send http://localhost:3000/gemini-callback -t video.generated --scheme jwt --keys ./keys.json`;

const SCHEMES: readonly Scheme[] = ["v1", "v1a", "jwt"];
const ALGORITHMS: readonly TestJwtAlgorithm[] = ["RS256", "ES256", "EdDSA"];

/** `gemini-webhooks send <url> ...`: returns the exit status (0 all 2xx, 1 otherwise). */
export async function sendCommand(args: string[], io: Io): Promise<number> {
  const plan = planSend(args, io);
  if (plan === "help") {
    io.out(SEND_HELP);
    return 0;
  }
  io.out(`Sending ${describe(plan)} to ${printableUrl(plan.url)}`);
  let failures = 0;
  let sent = 0;
  for (let n = 1; n <= plan.repeat; n++) {
    const event = plan.repeat > 1 ? numberedCompletion(plan.event, n) : plan.event;
    const delivery = await plan.sign(event, { id: plan.id, timestamp: plan.timestamp });
    const copies = plan.duplicate ? 2 : 1;
    for (let copy = 1; copy <= copies; copy++) {
      const label = `#${n}${copy > 1 ? " (same id again)" : ""}`;
      const answer = await post(plan, delivery);
      sent++;
      if (answer.kind === "unreachable") {
        io.err(`error: ${answer.message}`);
        return 1;
      }
      if (answer.status < 200 || answer.status > 299) failures++;
      io.out(
        `  ${label.padEnd(20)} ${foreignText(delivery.headers["webhook-id"], 100)}  ${answer.status} ${answer.summary}`,
      );
    }
  }
  io.out(`${sent} sent: ${sent - failures} answered 2xx${failures > 0 ? `, ${failures} refused or failed` : ""}.`);
  return failures > 0 ? 1 : 0;
}

/**
 * The receiver handles a completion (event type + `data.id`) once, whatever its webhook-id, so repeated
 * deliveries would all but the first be answered duplicate: each gets its own resource id (`batch_1-2`).
 */
function numberedCompletion(event: unknown, n: number): unknown {
  const data = (event as { data?: { id?: unknown } }).data;
  if (n === 1 || typeof data?.id !== "string") return event;
  return { ...(event as object), data: { ...data, id: `${data.id}-${n}` } };
}

function planSend(args: string[], io: Io): SendPlan | "help" {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      type: { type: "string", short: "t" },
      scheme: { type: "string", short: "s", default: "v1" },
      secret: { type: "string" },
      keys: { type: "string" },
      algorithm: { type: "string", default: "RS256" },
      audience: { type: "string" },
      data: { type: "string", short: "d" },
      "user-metadata": { type: "string" },
      repeat: { type: "string", short: "n", default: "1" },
      duplicate: { type: "boolean", default: false },
      id: { type: "string" },
      timestamp: { type: "string" },
      timeout: { type: "string", default: "10000" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  if (positionals.length !== 1) throw new UsageError("send takes exactly one <url>.", "send");
  const url = parseUrl(positionals[0]!);
  if (!values.type)
    throw new UsageError(
      `--type is required, e.g. --type batch.succeeded (documented: ${GEMINI_EVENT_TYPES.join(", ")}).`,
      "send",
    );
  const scheme = values.scheme as Scheme;
  if (!SCHEMES.includes(scheme))
    throw new UsageError(`--scheme must be v1, v1a or jwt, got ${quotedArgument(values.scheme!)}.`, "send");
  const repeat = positiveIntegerFlag(values.repeat!, "--repeat", "send");
  if (values.id !== undefined && repeat > 1) {
    throw new UsageError(
      "--id cannot be combined with --repeat: each repeated delivery gets its own id (use --duplicate to resend one id).",
      "send",
    );
  }
  return {
    url,
    type: values.type,
    scheme,
    event: withUserMetadata(buildEvent(values.type, values.data), values["user-metadata"]),
    sign: signerFor(scheme, values, io.env),
    repeat,
    duplicate: values.duplicate === true,
    id: values.id,
    timestamp: values.timestamp === undefined ? undefined : unixSeconds(values.timestamp),
    timeoutMs: positiveIntegerFlag(values.timeout!, "--timeout", "send"),
  };
}

function parseUrl(text: string): URL {
  if (looksLikeSecret(text)) {
    throw new UsageError(
      "the <url> argument looks like a signing secret: send takes the receiver's URL first, e.g. " +
        "send http://localhost:3000/gemini-callback --type batch.succeeded --secret <whsec_...>.",
      "send",
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `${quotedArgument(text)} is not a URL; expected the receiver's URL, e.g. http://localhost:3000/gemini-callback.`,
      "send",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `${printableUrl(url)} is not an http(s) URL; expected e.g. http://localhost:3000/gemini-callback.`,
      "send",
    );
  }
  return url;
}

/** A documented type (or alias) gets its sample payload; any other type is sent with --data alone. */
function buildEvent(type: string, dataText: string | undefined): unknown {
  let data: Record<string, unknown> | undefined;
  if (dataText !== undefined) {
    try {
      data = JSON.parse(dataText);
    } catch {
      throw new UsageError(`--data is not valid JSON: ${quotedArgument(dataText)}`, "send");
    }
    if (data === null || typeof data !== "object" || Array.isArray(data))
      throw new UsageError("--data must be a JSON object.", "send");
  }
  if (isKnown(type)) {
    const sample = sampleEvent(canonicalEventType(type) as GeminiEventType, { data: data as never });
    return { ...sample, type };
  }
  return { type, version: "v1", timestamp: new Date().toISOString(), data: data ?? {} };
}

/** `--user-metadata '{json}'`: a dynamic webhook's metadata, at the payload's top level (where the receiver presents it). */
function withUserMetadata(event: unknown, text: string | undefined): unknown {
  if (text === undefined) return event;
  let metadata: unknown;
  try {
    metadata = JSON.parse(text);
  } catch {
    throw new UsageError(`--user-metadata is not valid JSON: ${quotedArgument(text)}`, "send");
  }
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
    throw new UsageError('--user-metadata must be a JSON object, e.g. \'{"job_group":"nightly-eval"}\'.', "send");
  }
  return { ...(event as object), user_metadata: metadata };
}

function signerFor(
  scheme: Scheme,
  values: { secret?: string; keys?: string; algorithm?: string; audience?: string },
  env: NodeJS.ProcessEnv,
): Signer {
  if (scheme === "v1") {
    const fromOption = values.secret !== undefined;
    const secret = values.secret ?? env.GEMINI_WEBHOOK_SECRET;
    if (!secret)
      throw new UsageError(
        "--scheme v1 needs --secret <whsec_...> (or GEMINI_WEBHOOK_SECRET in the environment).",
        "send",
      );
    // Checked up front so a malformed secret is a usage error before anything is sent.
    try {
      assertUsableSecret(secret, fromOption ? "--secret" : "GEMINI_WEBHOOK_SECRET");
    } catch (error) {
      throw new UsageError((error as Error).message, "send");
    }
    return (event, options) => signDelivery(event, { secret, ...options });
  }
  const keys = loadKeys(values.keys ?? env.GEMINI_WEBHOOK_TEST_KEYS, scheme);
  if (scheme === "v1a") return (event, options) => keys.signV1a(event, options);
  const algorithm = values.algorithm as TestJwtAlgorithm;
  if (!ALGORITHMS.includes(algorithm))
    throw new UsageError(
      `--algorithm must be one of ${ALGORITHMS.join(", ")}, got ${quotedArgument(values.algorithm!)}.`,
      "send",
    );
  return (event, options) => keys.signJwt(event, { ...options, algorithm, audience: values.audience });
}

function loadKeys(path: string | undefined, scheme: Scheme): TestKeys {
  if (!path) {
    throw new UsageError(
      `--scheme ${scheme} needs --keys <file>: a test key set (JSON from TestKeys.toJSON(), e.g. the file the example app prints), ` +
        "or GEMINI_WEBHOOK_TEST_KEYS in the environment. The receiver must trust its public keys (jwks.keys or a JWKS URL).",
      "send",
    );
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read the key set file ${quotedArgument(path)}: ${(error as NodeJS.ErrnoException).code ?? foreignText((error as Error).message)}`,
      "send",
    );
  }
  try {
    return importTestKeys(JSON.parse(text));
  } catch (error) {
    throw new UsageError(
      `${quotedArgument(path)} is not a test key set: ${foreignText((error as Error).message)}`,
      "send",
    );
  }
}

type Answer = { kind: "answered"; status: number; summary: string } | { kind: "unreachable"; message: string };

async function post(plan: SendPlan, delivery: SignedDelivery): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(withoutCredentials(plan.url), {
      method: "POST",
      headers: { ...delivery.headers, ...basicAuthorization(plan.url), "user-agent": "gemini-webhooks-cli" },
      body: delivery.body,
      redirect: "manual",
      signal: AbortSignal.timeout(plan.timeoutMs),
    });
  } catch (error) {
    return {
      kind: "unreachable",
      // The reason may quote the URL (credentials included) or anything the network layer saw.
      message: `could not reach ${printableUrl(plan.url)}: ${foreignText(redacted(networkReason(error, plan.timeoutMs), plan.url))}`,
    };
  }
  const text = await response.text().catch(() => "");
  return { kind: "answered", status: response.status, summary: summarize(text) };
}

/**
 * The answer's gist: the receiver's `status` or `error` code (and message), or the start of any other body.
 * Whatever the receiver sent is escaped: it must not be able to write to the terminal or forge a line.
 */
function summarize(text: string): string {
  try {
    const json = JSON.parse(text) as { status?: unknown; error?: unknown; message?: unknown };
    if (typeof json.error === "string")
      return typeof json.message === "string"
        ? `${foreignText(json.error, 100)}: ${foreignText(json.message, 200)}`
        : foreignText(json.error, 100);
    if (typeof json.status === "string") return foreignText(json.status, 100);
  } catch {
    /* not JSON: show the start of it */
  }
  return foreignText(text.replace(/\s+/g, " ").trim(), 100) || "(empty body)";
}

/**
 * fetch refuses a URL with a user name and password in it; a receiver behind HTTP Basic authentication gets
 * them as the Authorization header instead, which is what the URL asks for.
 */
function withoutCredentials(url: URL): URL {
  const bare = new URL(url.href);
  bare.username = "";
  bare.password = "";
  return bare;
}

function basicAuthorization(url: URL): Record<string, string> {
  if (url.username === "" && url.password === "") return {};
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return { authorization: `Basic ${Buffer.from(pair).toString("base64")}` };
}

/** `text` without the URL's password, however the text quotes it (encoded or not). */
function redacted(text: string, url: URL): string {
  let result = text;
  for (const part of [url.password, decodeURIComponent(url.password)]) {
    if (part.length > 0) result = result.split(part).join("***");
  }
  return result;
}

function networkReason(error: unknown, timeoutMs: number): string {
  const err = error as { name?: string; cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError" || err.name === "AbortError") return `no answer within ${timeoutMs} ms (--timeout).`;
  const code = err.cause?.code;
  if (code === "ECONNREFUSED") return "connection refused (ECONNREFUSED). Is the server running, on this port?";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `host not found (${code}).`;
  if (code) return `${err.cause?.message ?? code} (${code}).`;
  // e.g. "bad port": fetch refuses some ports outright (9, 25, 6000, ...).
  return err.cause?.message ?? String((error as Error)?.message ?? error);
}

function describe(plan: SendPlan): string {
  const count = plan.repeat === 1 ? "1 delivery" : `${plan.repeat} deliveries`;
  const typeNote = isKnown(plan.type) ? "" : " (not a documented type: sent with --data as its data)";
  const metadataNote =
    (plan.event as { user_metadata?: unknown }).user_metadata !== undefined ? " with user_metadata" : "";
  return `${count} of ${foreignText(plan.type, 100)}${typeNote}${metadataNote}, scheme ${plan.scheme}${plan.duplicate ? ", each sent twice with the same webhook-id" : ""},`;
}

function isKnown(type: string): boolean {
  return GEMINI_EVENT_TYPES.includes(canonicalEventType(type) as GeminiEventType);
}

function unixSeconds(text: string): number {
  if (!/^\d{1,11}$/.test(text))
    throw new UsageError(
      `--timestamp must be Unix seconds (e.g. ${Math.floor(Date.now() / 1000)}), got ${quotedArgument(text)}.`,
      "send",
    );
  return Number(text);
}
