// The example app: its demo runs to completion with the expected statuses, it notices when something
// misbehaves, and the observability recipes it uses (copied into the README) do what the README says.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import express from "express";
import { createExampleApp } from "../example-app/app.js";
import { runDemo } from "../example-app/demo.js";
import { countRejections, logDeliveries, type Logger } from "../example-app/observability.js";
// The example imports the package by name (resolved to the build here), so the test does too.
import { geminiWebhooks, GEMINI_EVENT_TYPES } from "gemini-webhooks-express";
import { createTestKeys, generateSecret, sampleEvent, signDelivery } from "../src/testing/index.js";
import { listen, post, SECRET } from "./support/helpers.js";
import { environmentWithout, runExample } from "./support/processes.js";

describe("example app demo", () => {
  it("`npm run demo` sends every event type with every scheme, a duplicate, a stale and a forged delivery, and exits 0", async () => {
    // What `npm run demo` runs, without npm in between (so the process we wait for is the demo itself).
    const { code, output, rows } = await runExample(
      ["--demo"],
      environmentWithout((name) => name.startsWith("GEMINI_WEBHOOK")),
    );
    assert.equal(code, 0, output);
    const schemes = ["v1", "v1a", "jwt"];
    for (const type of GEMINI_EVENT_TYPES) {
      for (const scheme of schemes) {
        const row = rows.find((cells) => cells[1] === type && cells[2] === scheme && cells[3] === "-");
        assert.ok(row, `a row for ${type} via ${scheme}`);
        assert.deepEqual([row[4], row[5], row.at(-1)], ["200", "received", "ok"], row.join(" | "));
        assert.match(row[6]!, /^\w+_\w+: /, "the handler's own summary");
      }
    }
    const special = (note: string) =>
      rows.filter((cells) => cells[3] === note).map((cells) => [cells[2], cells[4], cells[5], cells[6], cells.at(-1)]);
    assert.deepEqual(special("duplicate"), [["v1", "200", "duplicate", "(not called again)", "ok"]]);
    assert.deepEqual(special("stale timestamp"), [["v1", "401", "timestamp_too_old", "(not called)", "ok"]]);
    assert.deepEqual(
      special("forged signature"),
      schemes.map((scheme) => [scheme, "401", "invalid_signature", "(not called)", "ok"]),
    );
    assert.deepEqual(special("unknown type"), [["v1", "200", "received", "a type this app has no handler for", "ok"]]);
    assert.deepEqual(special("ping (guessed type)"), [
      ["v1", "200", "received", "a type this app has no handler for", "ok"],
    ]);
    assert.equal(rows.length, GEMINI_EVENT_TYPES.length * schemes.length + 4 + schemes.length); // + duplicate, stale, unknown, ping, a forgery per scheme
    assert.match(output, /Rejections counted by reason \(onLifecycle\): .*invalid_signature × \d/);
    assert.match(output, /Everything behaved as expected\.\n$/);
  });

  it("fails (and says which rows) when the receiver does not behave as expected", async () => {
    const keys = createTestKeys();
    // The app knows one secret, the demo signs with another: every v1 delivery is refused.
    const example = createExampleApp({ secret: generateSecret(), keys, log: () => {} });
    const server = await listen(example.app);
    const lines: string[] = [];
    try {
      const ok = await runDemo({
        url: `${server.url}/gemini-callback`,
        secret: generateSecret(),
        keys,
        schemes: ["v1"],
        calls: example.calls,
        rejections: example.rejections,
        out: (line) => lines.push(line),
      });
      assert.equal(ok, false);
    } finally {
      await server.close();
    }
    const output = lines.join("\n");
    assert.match(
      output,
      /batch\.succeeded\s+v1\s+-\s+401\s+invalid_signature\s+\(not called\)\s+EXPECTED 200 received/,
    );
    assert.match(output, /did NOT behave as expected/);
    assert.equal(example.calls.length, 0);
  });
});

describe("observability recipes (README)", () => {
  it("logDeliveries logs handled and duplicates as info, rejections as warn, failures as error with the cause", async () => {
    const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const logger = Object.fromEntries(
      ["debug", "info", "warn", "error"].map((level) => [
        level,
        (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message }),
      ]),
    ) as unknown as Logger;
    const webhooks = geminiWebhooks({ secret: SECRET });
    const failure = new Error("database down");
    webhooks.on("batch.failed", () => {
      throw failure;
    });
    webhooks.on("batch.succeeded", () => {});
    logDeliveries(webhooks, logger);
    const server = await listen(express().use(webhooks));
    try {
      const ok = signDelivery(sampleEvent("batch.succeeded"), { secret: SECRET });
      assert.equal((await post(server.url, ok)).status, 200);
      assert.equal((await post(server.url, ok)).status, 200);
      assert.equal(
        (await post(server.url, signDelivery(sampleEvent("batch.succeeded"), { secret: generateSecret() }))).status,
        401,
      );
      assert.equal((await post(server.url, signDelivery(sampleEvent("batch.failed"), { secret: SECRET }))).status, 500);
    } finally {
      await server.close();
    }
    const outcomes = lines
      .filter((line) => line.level !== "debug")
      .map((line) => [line.level, line.message, line.fields.code ?? line.fields.status]);
    assert.deepEqual(outcomes, [
      ["info", "gemini webhook handled", 200],
      ["info", "gemini webhook duplicate", 200],
      ["warn", "gemini webhook rejected", "invalid_signature"],
      ["error", "gemini webhook failed", "handler_failed"],
      ["error", "gemini webhook handler threw", undefined],
    ]);
    const threw = lines.at(-1)!.fields;
    assert.equal(threw.err, failure, "the handler's own error, for the stack trace");
    assert.equal(threw.type, "batch.failed");
    const handled = lines.find((line) => line.message === "gemini webhook handled")!.fields;
    assert.equal(handled.type, "batch.succeeded");
    assert.equal(handled.scheme, "v1");
    assert.match(String(handled.webhookId), /^msg_/);
    assert.equal(typeof handled.durationMs, "number");
    assert.ok(lines.some((line) => line.level === "debug" && line.message === "gemini webhook verified"));
  });

  it("countRejections counts rejections and failures by error code, not successes or duplicates", async () => {
    const webhooks = geminiWebhooks({ secret: SECRET, dedupe: false });
    webhooks.on("batch.failed", () => {
      throw new Error("boom");
    });
    webhooks.onError(() => {}); // keep the expected 500 out of the test output
    const counts = countRejections(webhooks);
    // On a path: at the root, a POST without webhook headers is passed on (docs/express.md).
    const server = await listen(express().use("/hook", webhooks));
    try {
      const old = Math.floor(Date.now() / 1000) - 3600;
      const deliveries = [
        signDelivery(sampleEvent("batch.succeeded"), { secret: SECRET }),
        signDelivery(sampleEvent("batch.succeeded"), { secret: generateSecret() }),
        signDelivery(sampleEvent("batch.succeeded"), { secret: generateSecret() }),
        signDelivery(sampleEvent("batch.succeeded"), { secret: SECRET, timestamp: old }),
        signDelivery(sampleEvent("batch.failed"), { secret: SECRET }),
        { headers: { "content-type": "application/json" }, body: "{}" },
      ];
      for (const delivery of deliveries) await post(`${server.url}/hook`, delivery);
    } finally {
      await server.close();
    }
    assert.deepEqual(Object.fromEntries(counts), {
      invalid_signature: 2,
      timestamp_too_old: 1,
      handler_failed: 1,
      missing_headers: 1,
    });
  });

  it("appear in docs/observability.md exactly as the tested code", () => {
    const source = readFileSync(new URL("../example-app/observability.ts", import.meta.url), "utf8");
    const readme = readFileSync(new URL("../docs/observability.md", import.meta.url), "utf8");
    const recipes = [...source.matchAll(/\/\/ recipe:start (\w+)\n([\s\S]*?)\/\/ recipe:end/g)];
    assert.deepEqual(
      recipes.map((recipe) => recipe[1]),
      ["pino", "counting"],
    );
    for (const [, name, code] of recipes)
      assert.ok(
        readme.includes(code!.trim()),
        `docs/observability.md has the ${name} recipe as in example-app/observability.ts`,
      );
  });
});
