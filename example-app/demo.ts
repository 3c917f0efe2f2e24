import type { SignatureScheme } from "gemini-webhooks-express";
import { GEMINI_EVENT_TYPES } from "gemini-webhooks-express";
import {
  createTestKeys,
  generateSecret,
  sampleEvent,
  signDelivery,
  type SignedDelivery,
  type TestKeys,
} from "gemini-webhooks-express/testing";
import type { HandlerCall } from "./app.js";
import type { RejectionCounts } from "./observability.js";
import { formatTable } from "./table.js";

/** One delivery the demo sends, and what must come of it. */
interface DemoCase {
  event: string;
  scheme: SignatureScheme;
  /** What is special about it ("" for a plain delivery). */
  note: "" | "duplicate" | "stale timestamp" | "forged signature" | "unknown type" | "ping (guessed type)";
  delivery: SignedDelivery;
  expected: { status: number; answer: string; handlerCalled: boolean };
}

/** What came of one case. */
interface DemoResult {
  status: number;
  answer: string;
  handlerSaw: string;
  ok: boolean;
}

export interface DemoOptions {
  /** The receiver's URL. */
  url: string;
  secret: string;
  keys: TestKeys;
  schemes: readonly SignatureScheme[];
  /** The example app's record of handler calls. */
  calls: readonly HandlerCall[];
  rejections: RejectionCounts;
  out: (line: string) => void;
  /** The app hands deliveries to a queue (`--queue`): 202 at once, handlers run later in the worker. */
  queued?: { slowHandlerMs: number };
}

const STALE_SECONDS = 600; // twice the receiver's default tolerance of 300 s

/** Sends every event type with every accepted scheme, plus the deliveries that must be refused; true when all behaved. */
export async function runDemo(options: DemoOptions): Promise<boolean> {
  const { out, schemes } = options;
  const cases = await buildCases(options);
  const rows: string[][] = [];
  let failures = 0;
  const results = options.queued ? await sendQueued(options, cases) : [];
  for (const [index, demoCase] of cases.entries()) {
    const result = options.queued ? results[index]! : await send(options, demoCase);
    if (!result.ok) failures++;
    rows.push([
      String(index + 1),
      demoCase.event,
      demoCase.scheme,
      demoCase.note || "-",
      String(result.status),
      result.answer,
      result.handlerSaw,
      result.ok ? "ok" : `EXPECTED ${demoCase.expected.status} ${demoCase.expected.answer}`,
    ]);
  }
  out(formatTable(["#", "event", "scheme", "case", "status", "answer", "what the handler saw", "check"], rows));
  out("");
  out(summarize(cases, schemes));
  if (options.queued) out(slowHandlerLine(options, cases, results));
  const counted = [...options.rejections].map(([code, count]) => `${code} × ${count}`).join(", ");
  out(`Rejections counted by reason (onLifecycle): ${counted || "none"}`);
  out(
    failures === 0
      ? "Everything behaved as expected."
      : `${failures} of ${cases.length} deliveries did NOT behave as expected.`,
  );
  return failures === 0;
}

async function buildCases({ secret, keys, schemes, queued }: DemoOptions): Promise<DemoCase[]> {
  // With a queue, a verified delivery is answered 202 "queued" and its handler runs afterwards, in the worker.
  const handled = queued
    ? { status: 202, answer: "queued", handlerCalled: true }
    : { status: 200, answer: "received", handlerCalled: true };
  const refused = (answer: string) => ({ status: 401, answer, handlerCalled: false });
  const cases: DemoCase[] = [];
  for (const type of GEMINI_EVENT_TYPES) {
    const event = sampleEvent(type);
    for (const scheme of schemes) {
      const delivery =
        scheme === "v1"
          ? signDelivery(event, { secret })
          : scheme === "v1a"
            ? keys.signV1a(event)
            : await keys.signJwt(event);
      cases.push({ event: type, scheme, note: "", delivery, expected: handled });
    }
  }
  const first = cases[0]!;
  const now = Math.floor(Date.now() / 1000);
  const event = sampleEvent("batch.succeeded");
  cases.push(
    { ...first, note: "duplicate", expected: { status: 200, answer: "duplicate", handlerCalled: false } },
    {
      event: event.type,
      scheme: "v1",
      note: "stale timestamp",
      delivery: signDelivery(event, { secret, timestamp: now - STALE_SECONDS }),
      expected: refused("timestamp_too_old"),
    },
    {
      event: event.type,
      scheme: "v1",
      note: "forged signature",
      delivery: signDelivery(event, { secret: generateSecret() }),
      expected: refused("invalid_signature"),
    },
  );
  // Keys that look the same (same kids, same audience) but are not in the receiver's key set.
  const stranger = schemes.some((scheme) => scheme !== "v1") ? createTestKeys({ audience: keys.audience }) : undefined;
  if (stranger && schemes.includes("v1a")) {
    cases.push({
      event: event.type,
      scheme: "v1a",
      note: "forged signature",
      delivery: stranger.signV1a(event),
      expected: refused("invalid_signature"),
    });
  }
  if (stranger && schemes.includes("jwt")) {
    cases.push({
      event: event.type,
      scheme: "jwt",
      note: "forged signature",
      delivery: await stranger.signJwt(event),
      expected: refused("invalid_signature"),
    });
  }
  const future = {
    type: "model.tuned",
    version: "v1",
    timestamp: new Date().toISOString(),
    data: { id: "tunedModels/demo-1" },
  };
  cases.push({
    event: future.type,
    scheme: "v1",
    note: "unknown type",
    delivery: signDelivery(future, { secret }),
    expected: handled,
  });
  // What `webhooks.ping(id)` delivers is unpublished (type name and body): "ping" is a stand-in. Whatever
  // Gemini sends, it is verified, reaches onAny and is acknowledged like any other unknown type.
  const ping = { type: "ping", version: "v1", timestamp: new Date().toISOString(), data: {} };
  cases.push({
    event: ping.type,
    scheme: "v1",
    note: "ping (guessed type)",
    delivery: signDelivery(ping, { secret }),
    expected: handled,
  });
  return cases;
}

async function send({ url, calls }: DemoOptions, demoCase: DemoCase): Promise<DemoResult> {
  const id = demoCase.delivery.headers["webhook-id"];
  const before = calls.filter((call) => call.webhookId === id).length;
  const response = await fetch(url, {
    method: "POST",
    headers: demoCase.delivery.headers,
    body: demoCase.delivery.body,
  });
  const json = (await response.json().catch(() => ({}))) as { status?: string; error?: string };
  const answer = json.error ?? json.status ?? "(no JSON answer)";
  const newCalls = calls.filter((call) => call.webhookId === id).slice(before);
  const handlerSaw =
    newCalls.length > 0
      ? newCalls.map((call) => call.summary).join("; ")
      : before > 0
        ? "(not called again)"
        : "(not called)";
  const { expected } = demoCase;
  const ok =
    response.status === expected.status &&
    answer === expected.answer &&
    (newCalls.length === 1) === expected.handlerCalled &&
    newCalls.length <= 1;
  return { status: response.status, answer, handlerSaw, ok };
}

/** `--queue`: sends every case first (each answer is immediate), then waits for the worker to run the handlers. */
async function sendQueued(
  { url, calls }: DemoOptions,
  cases: readonly DemoCase[],
): Promise<(DemoResult & { answeredAt: number; ms: number })[]> {
  const answers: { status: number; answer: string; answeredAt: number; ms: number }[] = [];
  for (const demoCase of cases) {
    const started = Date.now();
    const response = await fetch(url, {
      method: "POST",
      headers: demoCase.delivery.headers,
      body: demoCase.delivery.body,
    });
    const json = (await response.json().catch(() => ({}))) as { status?: string; error?: string };
    answers.push({
      status: response.status,
      answer: json.error ?? json.status ?? "(no JSON answer)",
      answeredAt: Date.now(),
      ms: Date.now() - started,
    });
  }
  const idOf = (demoCase: DemoCase) => demoCase.delivery.headers["webhook-id"];
  const callsFor = (id: string | undefined) => calls.filter((call) => call.webhookId === id);
  const waiting = () =>
    cases.some((demoCase) => demoCase.expected.handlerCalled && callsFor(idOf(demoCase)).length === 0);
  for (const deadline = Date.now() + 15_000; waiting() && Date.now() < deadline;)
    await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 100)); // a second, unexpected run would show up here
  return cases.map((demoCase, index) => {
    const id = idOf(demoCase);
    const earlier = cases.slice(0, index).some((other) => idOf(other) === id);
    const seen = callsFor(id);
    const newCalls = earlier ? seen.slice(1) : seen;
    const handlerSaw =
      newCalls.length > 0
        ? newCalls.map((call) => call.summary).join("; ")
        : earlier
          ? "(not called again)"
          : "(not called)";
    const { expected } = demoCase;
    const { status, answer } = answers[index]!;
    const ok =
      status === expected.status &&
      answer === expected.answer &&
      (newCalls.length === 1) === expected.handlerCalled &&
      newCalls.length <= 1;
    return { ...answers[index]!, handlerSaw, ok };
  });
}

function slowHandlerLine(
  { calls, queued }: DemoOptions,
  cases: readonly DemoCase[],
  results: readonly { answeredAt: number; ms: number }[],
): string {
  const slow = cases.flatMap((demoCase, index) =>
    demoCase.event === "batch.succeeded" && demoCase.note === ""
      ? [{ id: demoCase.delivery.headers["webhook-id"], ...results[index]! }]
      : [],
  );
  const slowest = Math.max(...slow.map((entry) => entry.ms));
  const handledAfter = slow.map(
    (entry) => (calls.find((call) => call.webhookId === entry.id)?.at ?? NaN) - entry.answeredAt,
  );
  return (
    `Slow handler: batch.succeeded takes ${queued!.slowHandlerMs} ms here (a simulated results download), yet each of its ` +
    `${slow.length} deliveries was answered 202 in at most ${slowest} ms; the worker finished them ` +
    `${(Math.min(...handledAfter) / 1000).toFixed(1)}–${(Math.max(...handledAfter) / 1000).toFixed(1)} s after the answer.`
  );
}

function summarize(cases: readonly DemoCase[], schemes: readonly SignatureScheme[]): string {
  const count = (note: DemoCase["note"]) => cases.filter((demoCase) => demoCase.note === note).length;
  return (
    `${cases.length} deliveries: ${GEMINI_EVENT_TYPES.length} event types × ${schemes.length} scheme${schemes.length > 1 ? "s" : ""} (${schemes.join(", ")}) verified and handled; ` +
    `${count("duplicate")} duplicate dropped; ${count("stale timestamp")} stale timestamp refused; ` +
    `${count("forged signature")} forged signature${count("forged signature") > 1 ? "s" : ""} refused; ${count("unknown type")} unknown type and ${count("ping (guessed type)")} ping (its real type name is unpublished) acknowledged.`
  );
}
