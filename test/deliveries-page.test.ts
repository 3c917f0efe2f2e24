// The example app's live delivery page: off unless asked for, a feed that keeps the last final reports and
// streams them (SSE, resumable), and the page itself in a real headless Chromium: the demo's deliveries appear
// newest first without a reload, strangers' ids and types stay text, and it fits a phone.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import express from "express";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { createExampleApp, type ExampleApp } from "../example-app/app.js";
import { deliveryFeed, type DeliveryRow } from "../example-app/deliveries.js";
import { runDemo } from "../example-app/demo.js";
import { geminiWebhooks, type DeliveryLifecycleEvent, type GeminiWebhooks } from "gemini-webhooks-express";
import { createTestKeys, generateSecret, sampleEvent, signDelivery } from "../src/testing/index.js";
import { listen, post, SECRET, type RunningServer } from "./support/helpers.js";
import { describeNeeding, type Service } from "./support/services.js";

// The functions passed to page.evaluate() and friends run in Chromium; the project compiles without the DOM
// library, so its globals are named here (for this file only).
declare const document: any, window: any, getComputedStyle: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = fileURLToPath(new URL("..", import.meta.url));
const outputDir = join(root, "test-output");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_SERVICE: Service = {
  name: "Chromium",
  missing: existsSync(CHROMIUM)
    ? false
    : `not found at ${CHROMIUM}: install it (Debian: apt-get install chromium; .ci/run does) or set CHROMIUM_PATH.`,
};
/** The page's delivery rows (not the "no deliveries yet" placeholder). */
const SHOWN = "#rows tr:not(:has(td.empty))";

interface StreamEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** Reads a server-sent event stream until `enough` says so (or 5 s pass), then disconnects. */
async function readStream(
  url: string,
  enough: (events: StreamEvent[]) => boolean,
  headers: Record<string, string> = {},
): Promise<StreamEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 5000);
  const events: StreamEvent[] = [];
  try {
    const response = await fetch(url, { headers, signal: abort.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of response.body!) {
      buffered += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event: StreamEvent = {};
        for (const line of block.split("\n")) {
          const [field, ...rest] = line.split(": ");
          if (field === "id" || field === "event" || field === "data") event[field] = rest.join(": ");
        }
        if (event.data !== undefined) events.push(event);
      }
      if (enough(events)) break;
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return events;
}

const rowsOf = (events: StreamEvent[]) =>
  events.filter((event) => event.event === undefined).map((event) => JSON.parse(event.data!) as DeliveryRow);

describe("delivery feed", () => {
  it("is not served unless the example is started with it", async () => {
    const example = createExampleApp({ secret: generateSecret(), keys: createTestKeys(), log: () => {} });
    assert.equal(example.deliveries, undefined);
    const server = await listen(example.app);
    try {
      for (const path of ["/deliveries", "/deliveries/", "/deliveries/events"]) {
        assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
      }
    } finally {
      await server.close();
    }
  });

  it("keeps the last `limit` final reports, skips progress stages, and shows stages it does not know by name", () => {
    let listener: ((event: DeliveryLifecycleEvent) => void) | undefined;
    // Only onLifecycle is used: report stages a later version may add (queued, retrying) straight to it.
    const webhooks = { onLifecycle: (l: typeof listener) => (listener = l) } as unknown as GeminiWebhooks;
    const feed = deliveryFeed(webhooks, { limit: 3 });
    const report = (stage: string, extra: Partial<DeliveryLifecycleEvent> = {}) =>
      listener!({ stage, durationMs: 1.234, ...extra } as unknown as DeliveryLifecycleEvent);
    report("received");
    report("verified", { webhookId: "msg_1", scheme: "v1" });
    report("handled", { status: 200, webhookId: "msg_1", type: "batch.succeeded", scheme: "v1" });
    report("queued", { status: 202, webhookId: "msg_2" });
    report("started", { webhookId: "msg_2" });
    report("retrying", { webhookId: "msg_2", code: "handler_failed" as never });
    report("rejected", { status: 401, code: "invalid_signature" });
    assert.deepEqual(
      feed.rows().map((row) => [row.seq, row.stage, row.status, row.webhookId]),
      [
        [2, "queued", 202, "msg_2"],
        [3, "retrying", undefined, "msg_2"],
        [4, "rejected", 401, undefined],
      ],
    );
    assert.equal(feed.rows()[0]!.durationMs, 1.2);
    assert.ok(!Number.isNaN(Date.parse(feed.rows()[0]!.at)));
    assert.throws(() => deliveryFeed(webhooks, { limit: 0 }), /limit must be a positive integer/);
  });

  it("streams the kept rows then new ones, resumes after Last-Event-ID, and starts over for another feed's id", async () => {
    const webhooks = geminiWebhooks({ secret: SECRET });
    const feed = deliveryFeed(webhooks);
    const server = await listen(express().use("/hook", webhooks).use("/deliveries", feed.router));
    try {
      await post(`${server.url}/hook`, signDelivery(sampleEvent("batch.succeeded"), { secret: SECRET }));
      await post(`${server.url}/hook`, signDelivery(sampleEvent("batch.succeeded"), { secret: generateSecret() }));

      // A new viewer gets what is kept, then what comes while it watches (sent only once it has the first two).
      let third: Promise<unknown> | undefined;
      const stale = signDelivery(sampleEvent("batch.failed"), {
        secret: SECRET,
        timestamp: Math.floor(Date.now() / 1000) - 3600,
      });
      const first = await readStream(`${server.url}/deliveries/events`, (events) => {
        if (events.length === 2) third ??= post(`${server.url}/hook`, stale);
        return events.length >= 3;
      });
      await third;
      assert.deepEqual(
        rowsOf(first).map((row) => [row.seq, row.stage, row.status, row.code ?? null]),
        [
          [1, "handled", 200, null],
          [2, "rejected", 401, "invalid_signature"],
          [3, "rejected", 401, "timestamp_too_old"],
        ],
      );
      assert.equal(rowsOf(first)[0]!.type, "batch.succeeded");
      assert.equal(rowsOf(first)[2]!.scheme, "v1");

      // Reconnecting with the last id seen: only what came after it.
      const resumed = await readStream(`${server.url}/deliveries/events`, (events) => events.length >= 1, {
        "Last-Event-ID": first[1]!.id!,
      });
      assert.deepEqual(
        rowsOf(resumed).map((row) => row.seq),
        [3],
      );
      // An id from another feed (the app restarted): told to reset, then everything.
      const restarted = await readStream(`${server.url}/deliveries/events`, (events) => events.length >= 4, {
        "Last-Event-ID": "another-feed.2",
      });
      assert.equal(restarted[0]!.event, "reset");
      assert.deepEqual(
        rowsOf(restarted).map((row) => row.seq),
        [1, 2, 3],
      );
    } finally {
      feed.close();
      await server.close();
    }
  });

  it("streams to a bounded number of viewers at once, and frees a place when one leaves", async () => {
    const feed = deliveryFeed(geminiWebhooks({ secret: SECRET }), { maxViewers: 2 });
    const server = await listen(express().use("/deliveries", feed.router));
    const viewers = [new AbortController(), new AbortController()];
    try {
      for (let i = 0; i < 3; i++)
        assert.equal(
          (await fetch(`${server.url}/deliveries/events`, { method: "HEAD" })).status,
          200,
          "HEAD holds no place",
        );
      for (const viewer of viewers)
        assert.equal((await fetch(`${server.url}/deliveries/events`, { signal: viewer.signal })).status, 200);
      const refused = await fetch(`${server.url}/deliveries/events`);
      assert.equal(refused.status, 503, "a third viewer is refused");
      assert.deepEqual(Object.keys((await refused.json()) as object), ["error", "message"]);
      viewers[0]!.abort();
      const next = new AbortController();
      viewers.push(next);
      let status = 503;
      for (let attempt = 0; attempt < 50 && status === 503; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const response = await fetch(`${server.url}/deliveries/events`, { signal: next.signal });
        status = response.status;
        if (status === 503) await response.body?.cancel();
      }
      assert.equal(status, 200, "a place was freed when a viewer left");
    } finally {
      for (const viewer of viewers) viewer.abort();
      feed.close();
      await server.close();
    }
  });

  it("`npm run example -- --deliveries` serves the page and prints its URL", async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("GEMINI_WEBHOOK")));
    const child = spawn(process.execPath, ["--import", "tsx", "example-app/server.ts", "--deliveries"], {
      cwd: root,
      env: { ...env, TSX_TSCONFIG_PATH: "example-app/tsconfig.json", PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stderr.on("data", (chunk) => (output += chunk));
    try {
      const pageUrl = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk) => {
          output += chunk;
          const match = /Watch deliveries live: (http:\/\/\S+)/.exec(output);
          if (match) resolve(match[1]!);
        });
        child.once("exit", (code) => reject(new Error(`the example exited (${code}):\n${output}`)));
      });
      assert.match(pageUrl, /^http:\/\/127\.0\.0\.1:\d+\/deliveries$/);
      const page = await fetch(pageUrl);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(
        page.headers.get("content-security-policy") ?? "",
        /default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'/,
      );
      assert.match(await page.text(), /<title>Gemini webhook deliveries<\/title>/);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  });
});

describeNeeding(CHROMIUM_SERVICE, "delivery page in Chromium", { timeout: 60_000 }, () => {
  const secret = generateSecret();
  const keys = createTestKeys({ audience: "deliveries-page-test" });
  const profile = mkdtempSync(join(tmpdir(), "gemini-webhooks-chromium-"));
  let example: ExampleApp;
  let server: RunningServer;
  let browser: BrowserContext;
  let page: Page;

  before(async () => {
    example = createExampleApp({ secret, keys, log: () => {}, deliveries: true });
    server = await listen(example.app);
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1140, height: 400 },
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    mkdirSync(outputDir, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    example?.deliveries?.close();
    await server?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  /** What each row shows, top to bottom. (No named functions inside: tsx would wrap them in a helper the page lacks.) */
  const shownRows = (): Promise<
    { id: string; type: string; scheme: string; outcome: string; status: string; tone: string }[]
  > =>
    page.$$eval(SHOWN, (trs) =>
      trs.map((tr) => {
        const [id, type, scheme, status, badge, code] = [
          "td.id",
          "td.type",
          "td.scheme",
          "td.status",
          "td.outcome .badge",
          "td.outcome .code",
        ].map((selector) => tr.querySelector(selector)?.textContent ?? "");
        return { id, type, scheme, status, outcome: code ? `${badge} ${code}` : badge, tone: tr.classList[0] };
      }),
    );

  it("shows the demo's deliveries as they arrive, newest first, without a reload", async () => {
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
    await page.goto(`${server.url}/deliveries`);
    await page.waitForFunction(() => document.getElementById("state")?.textContent === "live");
    assert.deepEqual(await shownRows(), []);
    // Survives only if the page is never reloaded.
    await page.evaluate(() => (window.stayed = true));

    const ok = await runDemo({
      url: `${server.url}/gemini-callback`,
      secret,
      keys,
      schemes: example.schemes,
      calls: example.calls,
      rejections: example.rejections,
      out: () => {},
    });
    assert.equal(ok, true, "the demo's deliveries behaved as expected");
    const sent = example.deliveries!.rows().length;
    assert.equal(sent, 34, "27 handled (9 types × 3 schemes), a duplicate, a stale, 3 forged, an unknown type, a ping");
    await page.waitForFunction(([selector, count]) => document.querySelectorAll(selector).length >= count, [
      SHOWN,
      sent,
    ] as const);

    assert.equal(await page.evaluate(() => window.stayed), true, "no reload");
    const rows = await shownRows();
    assert.equal(rows.length, sent);
    // The demo sends the special cases last: ping, unknown type, forged jwt, v1a, v1, stale, duplicate (newest on top).
    assert.deepEqual(
      rows.slice(0, 7).map((row) => [row.outcome, row.status, row.tone]),
      [
        ["handled", "200", "ok"],
        ["handled", "200", "ok"],
        ["rejected invalid_signature", "401", "warn"],
        ["rejected invalid_signature", "401", "warn"],
        ["rejected invalid_signature", "401", "warn"],
        ["rejected timestamp_too_old", "401", "warn"],
        ["duplicate", "200", "dup"],
      ],
    );
    assert.equal(rows[0]!.type, "ping");
    assert.equal(rows[1]!.type, "model.tuned");
    assert.equal(rows[5]!.scheme, "v1", "the stale delivery verified before its timestamp was refused");
    assert.ok(
      rows.slice(7).every((row) => row.outcome === "handled" && row.status === "200" && /^msg_/.test(row.id)),
      "then the 27 handled ones",
    );
    // Newest first: the same order as the feed, reversed.
    assert.deepEqual(
      rows.map((row) => row.id),
      [...example.deliveries!.rows()].reverse().map((row) => row.webhookId ?? "—"),
    );
    // Outcomes are coloured apart.
    const badgeColour = (tone: string) =>
      page.$eval(`#rows tr.${tone} .badge`, (badge) => getComputedStyle(badge).backgroundColor);
    const colours = new Set([await badgeColour("ok"), await badgeColour("dup"), await badgeColour("warn")]);
    assert.equal(colours.size, 3);
    assert.deepEqual(errors, []);
    await page.screenshot({ path: join(outputDir, "deliveries-page.png"), animations: "disabled" });
  });

  it("shows strangers' ids and types as text, never as markup", async () => {
    const before = (await shownRows()).length;
    const markup = `<img src=x onerror="window.injected=1"><script>window.injected=2</script><b>bold</b>`;
    // A webhook-id may be any printable ASCII without spaces, so markup fits in one.
    const markupId = "<img/src=x/onerror=window.injected=3><b>bold</b>";
    // A forged delivery with markup for its id, and a signed one (anyone with the secret) with markup for its type.
    await post(
      `${server.url}/gemini-callback`,
      signDelivery(sampleEvent("batch.succeeded"), { secret: generateSecret(), id: markupId }),
    );
    await post(
      `${server.url}/gemini-callback`,
      signDelivery(
        { type: markup, version: "v1", timestamp: new Date().toISOString(), data: {} },
        { secret, id: "msg_markup_type" },
      ),
    );
    await page.waitForFunction(([selector, count]) => document.querySelectorAll(selector).length >= count, [
      SHOWN,
      before + 2,
    ] as const);

    const rows = await shownRows();
    assert.equal(rows[0]!.type, markup, "the type, character for character");
    assert.equal(rows[0]!.id, "msg_markup_type");
    assert.equal(rows[1]!.outcome, "rejected invalid_signature");
    // If the forged id is shown at all (the receiver may withhold ids it did not verify), it is the text as sent.
    assert.ok(rows[1]!.id === markupId || rows[1]!.id === "—", rows[1]!.id);
    assert.equal(await page.locator("#rows img, #rows script, #rows b").count(), 0, "no element was injected");
    assert.equal(await page.evaluate(() => window.injected), undefined);
  });

  it("fits a phone: cards, no horizontal scrolling", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const layout = await page.evaluate(() => ({
      pageWidth: document.documentElement.scrollWidth,
      head: getComputedStyle(document.querySelector("thead")!).display,
      row: getComputedStyle(document.querySelector("#rows tr")!).display,
      labels: getComputedStyle(document.querySelector("#rows td.status")!, "::before").content,
    }));
    assert.ok(layout.pageWidth <= 390, `the page is ${layout.pageWidth}px wide on a 390px screen`);
    assert.deepEqual([layout.head, layout.row, layout.labels], ["none", "block", '"Status"']);
    await page.screenshot({ path: join(outputDir, "deliveries-page-phone.png"), animations: "disabled" });
  });
});
