/**
 * `gemini-webhooks catch-up --since <48h | ISO time> --to <receiver URL>`: finds every batch that ended in the
 * window (and every `--track`ed interaction) and POSTs its event to the receiver, signed with the receiver's
 * secret, so it runs through the receiver's whole pipeline and handlers. Prints one line per completion and
 * exits 1 unless every one was delivered or already handled; a rerun delivers only what is still missing.
 */
import { parseArgs } from "node:util";
import { runCatchUp, type CatchUpItem } from "../catch-up/catch-up.js";
import { parseSince } from "../catch-up/window.js";
import { assertUsableSecret } from "../verify/secret.js";
import { createGeminiClient, redactingApiKey, type GeminiClient } from "./admin/client.js";
import { CommandFailure, describeFailure } from "./admin/gemini-api.js";
import { foreignText } from "./foreign-text.js";
import type { Io } from "./io.js";
import { positiveIntegerFlag, UsageError } from "./usage.js";

export const CATCH_UP_HELP = `Usage: gemini-webhooks catch-up --since <48h | 3d | ISO time> --to <receiver URL> [--track <id>]...

Delivers to your receiver the completions Gemini did not (after its 24 hours of retries, or while your
endpoint was disabled): each batch that reached a final state in the window becomes its event
(batch.succeeded, batch.failed, batch.cancelled, batch.expired), signed with the receiver's secret.
Completions the receiver already handled are answered "duplicate" and run no handler, so reruns are safe.

Options:
  --since <when>      Start of the window: 48h, 3d, or an ISO time with a zone (2026-01-22T00:00:00Z)
  --to <url>          The receiver's URL (the one registered with Gemini, or a local one)
  --track <id>        An interaction your app waits for (interactions/abc or abc); repeatable
  --timeout <ms>      Per request to the receiver (default 30000)
  -h, --help          Show this help

Environment: GEMINI_WEBHOOK_SECRET (the receiver's whsec_ secret, never a flag: flags show in ps);
GEMINI_API_KEY (or GOOGLE_API_KEY); GOOGLE_GEMINI_BASE_URL (https, or http to this machine only).
Exit status: 0 everything delivered or already handled, 1 something was not (rerun), 2 bad usage.`;

export async function catchUpCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      since: { type: "string" },
      to: { type: "string" },
      track: { type: "string", multiple: true },
      timeout: { type: "string", default: "30000" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.out(CATCH_UP_HELP);
    return 0;
  }
  if (values.since === undefined) throw new UsageError("--since is required (48h, 3d or an ISO time).", "catch-up");
  try {
    parseSince(values.since);
  } catch (error) {
    throw new UsageError(`--${(error as Error).message}`, "catch-up");
  }
  const to = receiverUrl(values.to);
  const timeoutMs = positiveIntegerFlag(values.timeout!, "--timeout", "catch-up");
  const secret = io.env.GEMINI_WEBHOOK_SECRET?.trim();
  if (!secret)
    throw new UsageError(
      "GEMINI_WEBHOOK_SECRET is not set: export the receiver's whsec_ signing secret, so its signature check accepts the deliveries.",
      "catch-up",
    );
  try {
    assertUsableSecret(secret, "GEMINI_WEBHOOK_SECRET");
  } catch (error) {
    throw new UsageError((error as Error).message, "catch-up");
  }

  let client: GeminiClient;
  try {
    client = await createGeminiClient(io.env, "catch-up");
  } catch (error) {
    if (error instanceof CommandFailure) return fail(io, error.message);
    throw error;
  }
  const safeIo = redactingApiKey(io, client.apiKey);
  const report = await runCatchUp(
    { client: client.sdk, secret, since: values.since, track: values.track ?? [] },
    async ({ headers, body }) => {
      const response = await fetch(to, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: response.status, body: await response.text() };
    },
  );
  for (const item of report.items) safeIo.out(line(item));
  const count = (outcome: CatchUpItem["outcome"]) => report.items.filter((item) => item.outcome === outcome).length;
  safeIo.out(
    `${count("delivered")} delivered, ${count("already-handled")} already handled, ${count("failed")} not delivered, ` +
      `${count("ended-without-event")} ended without an event, ${count("pending")} still running, ` +
      `${count("lookup-failed")} not looked up.`,
  );
  if (report.complete) return 0;
  if (report.cause !== undefined)
    safeIo.err(`error: ${report.problem}: ${describeFailure(report.cause, client.baseUrl, client.apiKeyVariable)}`);
  return fail(safeIo, "not everything was delivered: rerun the same command once the cause is fixed.");
}

function receiverUrl(text: string | undefined): URL {
  if (text === undefined) throw new UsageError("--to <the receiver's URL> is required.", "catch-up");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--to "${foreignText(text, 200)}" is not a URL.`, "catch-up");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new UsageError("--to must be an http:// or https:// URL.", "catch-up");
  return url;
}

function line(item: CatchUpItem): string {
  const detail = item.detail ? `  (${foreignText(item.detail, 200)})` : "";
  const type = item.type ? `  ${item.type}` : "";
  return `${item.outcome.padEnd(19)} ${foreignText(item.resource, 120)}${type}${detail}`;
}

function fail(io: Io, message: string): number {
  io.err(`error: ${message}`);
  return 1;
}
