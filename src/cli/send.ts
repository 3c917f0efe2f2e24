import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { canonicalEventType, GEMINI_EVENT_TYPES, type GeminiEventType } from "../events.js";
import type { SignedDelivery } from "../testing/delivery.js";
import { sampleEvent } from "../testing/sample-event.js";
import { signDelivery } from "../testing/sign-delivery.js";
import { assertUsableSecret } from "../verify/secret.js";
import { importTestKeys, type TestJwtAlgorithm, type TestKeys } from "../testing/test-keys.js";
import { positiveIntegerFlag, UsageError, USAGE } from "./usage.js";

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

export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}

const SCHEMES: readonly Scheme[] = ["v1", "v1a", "jwt"];
const ALGORITHMS: readonly TestJwtAlgorithm[] = ["RS256", "ES256", "EdDSA"];

/** `gemini-webhooks send <url> ...`: returns the exit status (0 all 2xx, 1 otherwise). */
export async function sendCommand(args: string[], io: Io): Promise<number> {
  const plan = planSend(args, io);
  if (plan === "help") {
    io.out(USAGE.send.trimEnd());
    return 0;
  }
  io.out(`Sending ${describe(plan)} to ${plan.url.href}`);
  let failures = 0;
  let sent = 0;
  for (let n = 1; n <= plan.repeat; n++) {
    const delivery = await plan.sign(plan.event, { id: plan.id, timestamp: plan.timestamp });
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
      io.out(`  ${label.padEnd(20)} ${delivery.headers["webhook-id"]}  ${answer.status} ${answer.summary}`);
    }
  }
  io.out(`${sent} sent: ${sent - failures} answered 2xx${failures > 0 ? `, ${failures} refused or failed` : ""}.`);
  return failures > 0 ? 1 : 0;
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
    throw new UsageError(`--scheme must be v1, v1a or jwt, got "${values.scheme}".`, "send");
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
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${text}" is not a URL; expected e.g. http://localhost:3000/gemini-callback.`, "send");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `"${text}" is not an http(s) URL; expected e.g. http://localhost:3000/gemini-callback.`,
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
      throw new UsageError(`--data is not valid JSON: ${dataText}`, "send");
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
    throw new UsageError(`--user-metadata is not valid JSON: ${text}`, "send");
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
    throw new UsageError(`--algorithm must be one of ${ALGORITHMS.join(", ")}, got "${values.algorithm}".`, "send");
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
      `cannot read the key set file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      "send",
    );
  }
  try {
    return importTestKeys(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`${path} is not a test key set: ${(error as Error).message}`, "send");
  }
}

type Answer = { kind: "answered"; status: number; summary: string } | { kind: "unreachable"; message: string };

async function post(plan: SendPlan, delivery: SignedDelivery): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(plan.url, {
      method: "POST",
      headers: { ...delivery.headers, "user-agent": "gemini-webhooks-cli" },
      body: delivery.body,
      redirect: "manual",
      signal: AbortSignal.timeout(plan.timeoutMs),
    });
  } catch (error) {
    return {
      kind: "unreachable",
      message: `could not reach ${plan.url.href}: ${networkReason(error, plan.timeoutMs)}`,
    };
  }
  const text = await response.text().catch(() => "");
  return { kind: "answered", status: response.status, summary: summarize(text) };
}

/** The answer's gist: the receiver's `status` or `error` code (and message), or the start of any other body. */
function summarize(text: string): string {
  try {
    const json = JSON.parse(text) as { status?: unknown; error?: unknown; message?: unknown };
    if (typeof json.error === "string")
      return typeof json.message === "string" ? `${json.error}: ${json.message}` : json.error;
    if (typeof json.status === "string") return json.status;
  } catch {
    /* not JSON: show the start of it */
  }
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > 100 ? `${oneLine.slice(0, 100)}…` : oneLine || "(empty body)";
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
  return `${count} of ${plan.type}${typeNote}${metadataNote}, scheme ${plan.scheme}${plan.duplicate ? ", each sent twice with the same webhook-id" : ""},`;
}

function isKnown(type: string): boolean {
  return GEMINI_EVENT_TYPES.includes(canonicalEventType(type) as GeminiEventType);
}

function unixSeconds(text: string): number {
  if (!/^\d{1,11}$/.test(text))
    throw new UsageError(
      `--timestamp must be Unix seconds (e.g. ${Math.floor(Date.now() / 1000)}), got "${text}".`,
      "send",
    );
  return Number(text);
}
