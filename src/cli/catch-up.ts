/**
 * `gemini-webhooks catch-up --since <24h | ISO time> --to <receiver URL>`: finds every batch that ended in the
 * window (and every `--track`ed interaction or video operation) and POSTs its event to the receiver, signed with the receiver's
 * secret, so it runs through the receiver's whole pipeline and handlers. Prints one line per completion and
 * exits 1 unless every one was delivered or already handled; a rerun delivers only what is still missing.
 */
import { parseArgs } from "node:util";
import { runCatchUp, type CatchUpItem } from "../catch-up/catch-up.js";
import { DEFAULT_STORE_TTL_MS, hoursText, overreach, parseSince, spanMs } from "../catch-up/window.js";
import { assertUsableSecret } from "../verify/secret.js";
import { createGeminiClient, redactingApiKey, type GeminiClient } from "./admin/client.js";
import { CommandFailure, describeFailure } from "./admin/gemini-api.js";
import { foreignText } from "./foreign-text.js";
import type { Io } from "./io.js";
import { positiveIntegerFlag, UsageError } from "./usage.js";

export const CATCH_UP_HELP = `Usage: gemini-webhooks catch-up --since <24h | ISO time> --to <receiver URL> [--track <id>]... [--store-ttl <8d>]

Delivers to your receiver the completions Gemini did not (after its 24 hours of retries, or while your
endpoint was disabled): each batch that reached a final state in the window becomes its event
(batch.succeeded, batch.failed, batch.cancelled, batch.expired), signed with the receiver's secret.
Completions the receiver already handled are answered "duplicate" and run no handler, so reruns are safe,
as long as the window is no longer than the receiver's dedupe store remembers them (its ttlMs, 25h by default).
The CLI cannot read the receiver's store, so it cannot see jobs kept with webhooks.track(): name them with --track.

Options:
  --since <when>      Start of the window: 24h, or an ISO time with a zone (2026-01-22T00:00:00Z); at most
                      the receiver's store TTL back (25h, or --store-ttl)
  --to <url>          The receiver's URL (the one registered with Gemini, or a local one)
  --track <name>      A job your app waits for: an interaction (interactions/abc or abc) or a video
                      operation (models/<model>/operations/<id>); repeatable
  --store-ttl <span>  How long the receiver's dedupe store remembers handled ids (its ttlMs), when longer
                      than the default 25h: allows a --since up to that far back (e.g. 8d)
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
      "store-ttl": { type: "string" },
      timeout: { type: "string", default: "30000" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.out(CATCH_UP_HELP);
    return 0;
  }
  if (values.since === undefined) throw new UsageError("--since is required (24h, or an ISO time).", "catch-up");
  const now = Date.now();
  let since: Date;
  try {
    since = parseSince(values.since, now);
  } catch (error) {
    throw new UsageError(`--${(error as Error).message}`, "catch-up");
  }
  checkWindow(since, now, values["store-ttl"]);
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
    { client: client.sdk, secret, since, track: values.track ?? [] },
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

/**
 * The CLI cannot see the receiver's store: it assumes the built-in stores' default TTL (25h) unless --store-ttl
 * says the store keeps handled ids longer. A window reaching back further would deliver completions whose ids the
 * store may have forgotten, running their handlers again.
 */
function checkWindow(since: Date, now: number, storeTtl: string | undefined): void {
  let ttlMs = DEFAULT_STORE_TTL_MS;
  if (storeTtl !== undefined) {
    const span = spanMs(storeTtl);
    if (span === undefined || span === 0)
      throw new UsageError('--store-ttl: expected a span such as "8d" or "72h" (the store\'s ttlMs).', "catch-up");
    ttlMs = span;
  }
  if (overreach(since, now, ttlMs) === 0) return;
  const fix =
    storeTtl === undefined
      ? `Pass a shorter --since (at most ${hoursText(ttlMs)}), or, if the receiver's dedupe store keeps handled ids ` +
        "longer (its ttlMs), say how long with --store-ttl (e.g. --since 7d --store-ttl 8d)."
      : `Pass a shorter --since (at most ${hoursText(ttlMs)}), or raise the store's ttlMs and --store-ttl with it.`;
  throw new UsageError(
    `--since reaches back further than the receiver's dedupe store remembers handled completions ` +
      `(${hoursText(ttlMs)}${storeTtl === undefined ? " by default" : ", --store-ttl"}): older ones would run their ` +
      `handlers again. ${fix}`,
    "catch-up",
  );
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
