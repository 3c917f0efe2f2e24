// `gemini-webhooks webhooks ...`, run from dist (the package's bin) with the real @google/genai SDK pointed at
// a local fake of the WebhookService (GOOGLE_GEMINI_BASE_URL): what the SDK sent, and what the CLI printed.
import assert from "node:assert/strict";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import express from "express";
import { geminiWebhooks, GEMINI_EVENT_TYPES, type AnyGeminiEvent } from "../src/index.js";
import { startFakeGeminiApi, type FakeGeminiApi, type RecordedRequest } from "./support/fake-gemini-api.js";
import { listen, SECRET } from "./support/helpers.js";
import { CLI_PATH, environmentWithout, ROOT, run, type Run } from "./support/processes.js";

const root = ROOT;
const cliPath = CLI_PATH;
// Nothing from the developer's own environment: no real key, no real endpoint, no webhook secret.
const baseEnv = environmentWithout((name) => /^(GEMINI_|GOOGLE_)/.test(name));
const API_KEY = `AIzaFAKE-${Math.random().toString(36).slice(2)}-never-print-me`;

/** Every output of every run in this file, to check at the end that the key never appeared. */
const transcripts: string[] = [];

async function cli(args: string[], env: Record<string, string | undefined>, bin = cliPath): Promise<Run> {
  const result = await run(process.execPath, [bin, ...args], { ...baseEnv, ...env });
  transcripts.push(result.stdout, result.stderr);
  return result;
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe("gemini-webhooks webhooks (through @google/genai, against a local fake API)", () => {
  let api: FakeGeminiApi;
  let env: Record<string, string>;
  const webhooksCli = (...args: string[]) => cli(["webhooks", ...args], env);
  /** The requests of this test only. */
  let sent: () => RecordedRequest[];

  before(async () => {
    assert.ok(existsSync(cliPath), "dist/esm/cli.js is missing: run `npm run build` (npm test does)");
    api = await startFakeGeminiApi({ apiKey: API_KEY, pageSize: 2 });
    env = { GEMINI_API_KEY: API_KEY, GOOGLE_GEMINI_BASE_URL: api.url };
  });
  beforeEach(() => {
    const start = api.requests.length;
    sent = () => api.requests.slice(start);
  });
  after(async () => {
    await api.close();
    const everything = transcripts.join("\n");
    assert.ok(everything.length > 0);
    assert.equal(everything.includes(API_KEY), false, "the API key never appears in any output");
  });

  it("create: POST /v1/webhooks with the uri, events and name, the key in x-goog-api-key; the secret printed once", async () => {
    const run = await webhooksCli(
      "create",
      "--uri",
      "https://example.com/gemini-callback",
      "--events",
      "batch.succeeded,batch.failed",
      "--name",
      "Nightly",
    );
    assert.equal(run.code, 0, run.stderr);
    const requests = sent();
    assert.equal(requests.length, 1, "one call, no retries");
    const [request] = requests;
    assert.equal(request!.method, "POST");
    assert.equal(request!.path, "/v1/webhooks");
    assert.equal(request!.apiKey, API_KEY);
    assert.match(request!.contentType ?? "", /^application\/json/);
    assert.deepEqual(request!.body, {
      uri: "https://example.com/gemini-callback",
      subscribed_events: ["batch.succeeded", "batch.failed"],
      name: "Nightly",
    });

    const [id, stored] = [...api.webhooks].at(-1)!;
    const secret = api.secrets.get(id)![0]!;
    assert.match(secret, /^whsec_/);
    assert.equal(occurrences(run.stdout, secret), 1, "the new secret is printed exactly once");
    assert.match(run.stdout, new RegExp(`Created webhook ${id} "Nightly" → https://example\\.com/gemini-callback`));
    assert.match(run.stdout, /state: {2}enabled/);
    assert.match(run.stdout, /shown this once/);
    assert.match(run.stdout, /GEMINI_WEBHOOK_SECRET/);
    assert.match(run.stdout, /never commit it/);
    assert.deepEqual(stored.subscribed_events, ["batch.succeeded", "batch.failed"]);
    assert.equal(run.stderr, "");
  });

  it("create: --events may be repeated; without it every catalog type is subscribed, and unknown names are pointed out", async () => {
    const repeated = await webhooksCli(
      "create",
      "--uri",
      "https://example.com/a",
      "-e",
      "batch.failed",
      "-e",
      "video.generated,batch.failed",
      "-e",
      "batch.succeded",
    );
    assert.equal(repeated.code, 0, repeated.stderr);
    assert.deepEqual((sent()[0]!.body as { subscribed_events: string[] }).subscribed_events, [
      "batch.failed",
      "video.generated",
      "batch.succeded",
    ]);
    assert.match(repeated.stdout, /not in the published catalog .*: batch\.succeded\./);

    const start = api.requests.length;
    const defaulted = await webhooksCli("create", "--uri", "https://example.com/b");
    assert.equal(defaulted.code, 0, defaulted.stderr);
    assert.deepEqual((api.requests[start]!.body as { subscribed_events: string[] }).subscribed_events, [
      ...GEMINI_EVENT_TYPES,
    ]);
    assert.match(defaulted.stdout, /No --events given: subscribing to every type in Gemini's event catalog \(9\)/);
    assert.doesNotMatch(defaulted.stdout, /not in the published catalog/);
  });

  it("create --from: subscribes to the types the module's exported receiver handles (aliases under their documented name)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gemini-webhooks-from-"));
    const index = pathToFileURL(join(root, "dist/esm/index.js")).href;
    const module = (name: string, body: string) => {
      const path = join(dir, name);
      writeFileSync(path, `import { geminiWebhooks } from ${JSON.stringify(index)};\n${body}\n`);
      return path;
    };
    try {
      const app = module(
        "app.mjs",
        `export const webhooks = geminiWebhooks({ secret: process.env.GEMINI_WEBHOOK_SECRET });
         webhooks.on("batch.failed", () => {}).on(["batch.completed", "video.generated"], () => {}).on("batch.succeeded", () => {});
         webhooks.on("model.tuned", () => {}).onAny(() => {});
         export const unrelated = () => {};`,
      );
      const run = await cli(["webhooks", "create", "--uri", "https://example.com/from", "--from", app], {
        ...env,
        GEMINI_WEBHOOK_SECRET: SECRET,
      });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual((sent()[0]!.body as { subscribed_events: string[] }).subscribed_events, [
        "batch.failed",
        "batch.succeeded",
        "video.generated",
        "model.tuned",
      ]);
      assert.match(
        run.stdout,
        /Subscribing to the 4 types .*app\.mjs handles: batch\.failed, batch\.succeeded, video\.generated, model\.tuned\./,
      );
      assert.match(run.stdout, /not in the published catalog .*: model\.tuned\./);

      // Without the variable the module still loads (a secret absent at start-up is checked at the first delivery).
      const withoutSecret = await cli(["webhooks", "create", "--uri", "https://example.com/from", "--from", app], env);
      assert.equal(withoutSecret.code, 0, withoutSecret.stderr);
      assert.deepEqual((api.requests.at(-1)!.body as { subscribed_events: string[] }).subscribed_events, [
        "batch.failed",
        "batch.succeeded",
        "video.generated",
        "model.tuned",
      ]);

      const defaultExport = module(
        "default.mjs",
        `const w = geminiWebhooks({ secret: ${JSON.stringify(SECRET)} }); w.on("interaction.completed", () => {}); export default w;`,
      );
      const viaDefault = await cli(
        ["webhooks", "create", "--uri", "https://example.com/d", "--from", defaultExport],
        env,
      );
      assert.equal(viaDefault.code, 0, viaDefault.stderr);
      assert.deepEqual((api.requests.at(-1)!.body as { subscribed_events: string[] }).subscribed_events, [
        "interaction.completed",
      ]);

      const before = api.requests.length;
      const none = module("none.mjs", "export const notAReceiver = 1;");
      const noReceiver = await cli(["webhooks", "create", "--uri", "https://example.com/x", "--from", none], env);
      assert.equal(noReceiver.code, 2);
      assert.match(noReceiver.stderr, /exports no receiver: export the value geminiWebhooks\(\) returns/);
      const anyOnly = module(
        "any.mjs",
        `export const w = geminiWebhooks({ secret: ${JSON.stringify(SECRET)} }).onAny(() => {});`,
      );
      const onlyAny = await cli(["webhooks", "create", "--uri", "https://example.com/x", "--from", anyOnly], env);
      assert.equal(onlyAny.code, 2);
      assert.match(onlyAny.stderr, /has no on\(\) handlers/);
      const both = await cli(
        ["webhooks", "create", "--uri", "https://example.com/x", "--from", app, "--events", "batch.failed"],
        env,
      );
      assert.equal(both.code, 2);
      assert.match(both.stderr, /--from and --events cannot be combined/);
      assert.equal(api.requests.length, before, "nothing sent when --from yields no types");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("create: usage mistakes are exit 2 and send nothing", async () => {
    for (const args of [
      ["create"],
      ["create", "--uri", "not a url"],
      ["create", "--uri", "ftp://example.com/x"],
      ["create", "--uri", "https://example.com/x", "extra-id"],
      ["create", "--uri", "https://example.com/x", "--immediately"],
      ["list", "--uri", "https://example.com/x"],
      ["ping"],
      ["enable", "a", "b"],
      ["frobnicate"],
      ["list", "--timeout", "soon"],
    ]) {
      const run = await webhooksCli(...args);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /^error: /, args.join(" "));
      assert.match(run.stderr, /gemini-webhooks webhooks --help/);
    }
    assert.deepEqual(sent(), []);
  });

  it("without an API key: exit 2 naming both variables, nothing sent", async () => {
    const run = await cli(["webhooks", "list"], { GOOGLE_GEMINI_BASE_URL: api.url });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /no Gemini API key: export GEMINI_API_KEY \(or GOOGLE_API_KEY/);
    assert.deepEqual(sent(), []);
  });

  it("the key comes from GOOGLE_API_KEY or GEMINI_API_KEY, GOOGLE_API_KEY first when both are set (the SDK's order)", async () => {
    const onlyGoogle = await cli(["webhooks", "list"], { GOOGLE_API_KEY: API_KEY, GOOGLE_GEMINI_BASE_URL: api.url });
    assert.equal(onlyGoogle.code, 0, onlyGoogle.stderr);
    assert.ok(sent().length > 0);
    assert.ok(sent().every((r) => r.apiKey === API_KEY));

    const otherKey = `AIzaOTHER-${Math.random().toString(36).slice(2)}`;
    const start = api.requests.length;
    const both = await cli(["webhooks", "list"], { ...env, GEMINI_API_KEY: otherKey, GOOGLE_API_KEY: API_KEY });
    assert.equal(both.code, 0, both.stderr);
    const bothRequests = api.requests.slice(start);
    assert.ok(bothRequests.length > 0);
    assert.ok(
      bothRequests.every((r) => r.apiKey === API_KEY),
      "GOOGLE_API_KEY wins, as in the SDK",
    );
    assert.match(both.stderr, /Both GOOGLE_API_KEY and GEMINI_API_KEY are set\. Using GOOGLE_API_KEY\./);
    assert.equal(`${both.stdout}${both.stderr}`.includes(otherKey), false);

    const wrong = await cli(["webhooks", "list"], { GOOGLE_API_KEY: "AIzaWRONG", GOOGLE_GEMINI_BASE_URL: api.url });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Check GOOGLE_API_KEY/, "the hint names the variable the key came from");
  });

  it("GOOGLE_GEMINI_BASE_URL over plain http off this machine is refused before anything is sent (the key would travel in clear)", async () => {
    // Nothing listens at these addresses (TEST-NET, documentation prefix): the refusal comes before any connection.
    for (const remote of ["http://192.0.2.10:8080", "http://gemini.example.com", "http://[2001:db8::1]/"]) {
      const run = await cli(["webhooks", "list"], { GEMINI_API_KEY: API_KEY, GOOGLE_GEMINI_BASE_URL: remote });
      assert.equal(run.code, 2, remote);
      assert.match(
        run.stderr,
        /would send your API key in clear text: use https \(plain http is allowed for localhost/,
      );
      assert.match(run.stderr, /gemini-webhooks webhooks --help/);
    }
    const withPassword = await cli(["webhooks", "list"], {
      GEMINI_API_KEY: API_KEY,
      GOOGLE_GEMINI_BASE_URL: "https://user:Pa55word@gemini.example.com",
    });
    assert.equal(withPassword.code, 2);
    assert.match(withPassword.stderr, /must not contain a user name or password/);
    assert.doesNotMatch(withPassword.stderr, /Pa55word/);
    const notUrl = await cli(["webhooks", "list"], {
      GEMINI_API_KEY: API_KEY,
      GOOGLE_GEMINI_BASE_URL: "nope\u001b[2J",
    });
    assert.equal(notUrl.code, 2);
    assert.match(notUrl.stderr, /is not a URL; unset it/);
    assert.equal(notUrl.stderr.includes("\u001b"), false, "escaped");
    // localhost under its three names is accepted (the fake API listens on 127.0.0.1).
    const port = new URL(api.url).port;
    const viaLocalhost = await cli(["webhooks", "list"], {
      GEMINI_API_KEY: API_KEY,
      GOOGLE_GEMINI_BASE_URL: `http://localhost:${port}`,
    });
    assert.equal(viaLocalhost.code, 0, viaLocalhost.stderr);
  });

  it("list: follows next_page_token, shows each state, and flags disabled_due_to_failed_deliveries loudly with how to re-enable", async () => {
    api.webhooks.clear();
    api.add({ id: "wh-ok", name: "Fine", uri: "https://example.com/ok", state: "enabled" });
    api.add({ id: "wh-failing", uri: "https://example.com/broken", state: "disabled_due_to_failed_deliveries" });
    api.add({
      id: "wh-off",
      uri: "https://example.com/off",
      state: "disabled",
      signing_secrets: [{ truncated_secret: "whsec_...3frh", expire_time: "2026-12-03T10:00:00Z" }],
    });
    const run = await webhooksCli("list");
    assert.equal(run.code, 0, run.stderr);
    const requests = sent();
    assert.deepEqual(
      requests.map((r) => [r.method, r.path, r.query.page_token]),
      [
        ["GET", "/v1/webhooks", undefined],
        ["GET", "/v1/webhooks", "2"],
      ],
      "two pages of two",
    );
    assert.ok(requests.every((r) => r.apiKey === API_KEY));
    assert.match(run.stdout, /^3 webhooks:/);
    assert.match(run.stdout, /wh-ok {2}"Fine"\n {2}uri: {5}https:\/\/example\.com\/ok\n {2}state: {3}enabled\n/);
    assert.match(run.stdout, /state: {3}disabled_due_to_failed_deliveries {2}<-- DISABLED: deliveries kept failing/);
    assert.match(run.stdout, /!!! WEBHOOK wh-failing IS DISABLED \(disabled_due_to_failed_deliveries\) !!!/);
    assert.match(run.stdout, /Gemini stopped delivering to https:\/\/example\.com\/broken/);
    assert.match(run.stdout, /Re-enable it: gemini-webhooks webhooks enable wh-failing/);
    assert.match(run.stdout, /state: {3}disabled {2}<-- disabled\n/);
    assert.match(run.stdout, /Re-enable: gemini-webhooks webhooks enable wh-off/);
    assert.match(run.stdout, /secrets: whsec_\.\.\.3frh \(expires 2026-12-03T10:00:00Z\)/);
    assert.equal(occurrences(run.stdout, "IS DISABLED"), 1, "only the webhook Gemini disabled is flagged");
  });

  it("enable: PATCH /v1/webhooks/<id>?update_mask=state with {state: enabled}; list no longer flags it", async () => {
    api.add({ id: "wh-revive", uri: "https://example.com/revive", state: "disabled_due_to_failed_deliveries" });
    const run = await webhooksCli("enable", "wh-revive");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      sent().map((r) => [r.method, r.path, r.query, r.body, r.apiKey]),
      [["PATCH", "/v1/webhooks/wh-revive", { update_mask: "state" }, { state: "enabled" }, API_KEY]],
    );
    assert.equal(api.webhooks.get("wh-revive")!.state, "enabled");
    assert.match(run.stdout, /Updated webhook wh-revive \(state\)/);
    assert.match(run.stdout, /Gemini delivers to https:\/\/example\.com\/revive again\./);
    const list = await webhooksCli("list");
    assert.doesNotMatch(list.stdout, /WEBHOOK wh-revive IS DISABLED/);
  });

  it("get: GET /v1/webhooks/<id>, every field shown", async () => {
    api.add({
      id: "wh-get",
      name: "Nightly",
      uri: "https://example.com/get",
      state: "enabled",
      subscribed_events: ["batch.succeeded"],
      signing_secrets: [{ truncated_secret: "whsec_...ab12", expire_time: "2026-01-02T00:00:00Z" }],
    });
    const run = await webhooksCli("get", "wh-get");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      sent().map((r) => [r.method, r.path, r.body, r.apiKey]),
      [["GET", "/v1/webhooks/wh-get", undefined, API_KEY]],
    );
    assert.match(run.stdout, /^wh-get {2}"Nightly"\n {2}uri: {5}https:\/\/example\.com\/get\n {2}state: {3}enabled\n/);
    assert.match(run.stdout, /events: {2}batch\.succeeded/);
    assert.match(run.stdout, /secrets: whsec_\.\.\.ab12 \(expires 2026-01-02T00:00:00Z\)/);

    const missing = await webhooksCli("get", "wh-nope");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /answered 404 NOT_FOUND/);
  });

  it("update: PATCH /v1/webhooks/<id>?update_mask=<the fields given> with exactly those fields", async () => {
    api.add({ id: "wh-up", name: "Old", uri: "https://example.com/old", state: "enabled" });
    const all = await webhooksCli(
      "update",
      "wh-up",
      "--name",
      "New name",
      "--uri",
      "https://example.com/new",
      "--events",
      "batch.succeeded,video.generated",
      "-e",
      "batch.failed",
      "--state",
      "disabled",
    );
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(
      sent().map((r) => [r.method, r.path, r.query, r.body, r.apiKey]),
      [
        [
          "PATCH",
          "/v1/webhooks/wh-up",
          { update_mask: "name,uri,subscribed_events,state" },
          {
            name: "New name",
            uri: "https://example.com/new",
            subscribed_events: ["batch.succeeded", "video.generated", "batch.failed"],
            state: "disabled",
          },
          API_KEY,
        ],
      ],
    );
    const stored = api.webhooks.get("wh-up")!;
    assert.equal(stored.name, "New name");
    assert.equal(stored.uri, "https://example.com/new");
    assert.deepEqual(stored.subscribed_events, ["batch.succeeded", "video.generated", "batch.failed"]);
    assert.equal(stored.state, "disabled");
    assert.match(all.stdout, /Updated webhook wh-up \(name, uri, subscribed_events, state\)/);
    assert.match(all.stdout, /state: {3}disabled {2}<-- disabled/);

    const before = api.requests.length;
    const one = await webhooksCli("update", "wh-up", "--state", "enabled");
    assert.equal(one.code, 0, one.stderr);
    const [patch] = api.requests.slice(before);
    assert.deepEqual([patch!.query, patch!.body], [{ update_mask: "state" }, { state: "enabled" }]);
    assert.equal(api.webhooks.get("wh-up")!.name, "New name", "fields not given are left alone");
  });

  it("update and delete: mistakes are exit 2 before anything is sent; delete without --yes says how", async () => {
    api.add({ id: "wh-keep", state: "enabled" });
    for (const [args, message] of [
      [["update", "wh-keep"], /nothing to update: give at least one of --name, --uri, --events, --state/],
      [["update", "wh-keep", "--state", "disabled_due_to_failed_deliveries"], /--state must be enabled or disabled/],
      [["update", "wh-keep", "--uri", "ftp://x"], /--uri must be an http\(s\) URL/],
      [["update", "wh-keep", "--events", ","], /--events needs at least one event type/],
      [["update", "wh-keep", "--from", "x.js"], /--from is not an option of "webhooks update"/],
      [["update"], /"webhooks update" takes exactly one <id>/],
      [["get", "wh-keep", "--yes"], /--yes is not an option of "webhooks get" \(it is one of: webhooks delete\)/],
      [
        ["delete", "wh-keep"],
        /refusing to delete webhook wh-keep without --yes: .*cannot be undone.*"gemini-webhooks webhooks delete wh-keep --yes"/,
      ],
      [["delete", "--yes"], /"webhooks delete" takes exactly one <id>/],
    ] as const) {
      const run = await webhooksCli(...args);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message, args.join(" "));
      assert.match(run.stderr, /gemini-webhooks webhooks --help/);
    }
    assert.deepEqual(sent(), []);
    assert.ok(api.webhooks.has("wh-keep"));
  });

  it("delete --yes: DELETE /v1/webhooks/<id>, and the webhook is gone", async () => {
    api.add({ id: "wh-gone", state: "enabled" });
    const run = await webhooksCli("delete", "wh-gone", "--yes");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      sent().map((r) => [r.method, r.path, r.body, r.apiKey]),
      [["DELETE", "/v1/webhooks/wh-gone", undefined, API_KEY]],
    );
    assert.equal(api.webhooks.has("wh-gone"), false);
    assert.match(run.stdout, /Deleted webhook wh-gone/);
    const again = await webhooksCli("delete", "wh-gone", "--yes");
    assert.equal(again.code, 1);
    assert.match(again.stderr, /answered 404/);
  });

  it("list and get print names, URIs and states from the API with control characters escaped (no forged lines)", async () => {
    api.webhooks.clear();
    const forged = "\r\n!!! WEBHOOK w9 IS DISABLED !!!";
    api.add({
      id: "wh-evil\u001b]0;owned\u0007",
      name: "Evil\u001b[2J\u202e",
      uri: `https://example.com/x${forged}`,
      state: `enabled\nFAKE: all good`,
      subscribed_events: ["batch.succeeded\u0007"],
    });
    for (const args of [["list"], ["get", "wh-evil\u001b]0;owned\u0007"]]) {
      const run = await webhooksCli(...args);
      assert.equal(run.code, 0, run.stderr);
      assert.doesNotMatch(
        run.stdout,
        /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/,
        `${args[0]}: no raw control character`,
      );
      assert.doesNotMatch(run.stdout, /^!!! WEBHOOK w9/m, `${args[0]}: no forged line`);
      assert.doesNotMatch(run.stdout, /^FAKE:/m);
      assert.match(run.stdout, /uri: {5}https:\/\/example\.com\/x\\r\\n!!! WEBHOOK w9 IS DISABLED !!!/);
      assert.match(run.stdout, /"Evil\\u001b\[2J\\u202e"/);
    }
    api.webhooks.clear();
  });

  it("create --from a .ts module loads it through tsx (found beside the CLI or in the module's project)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gemini-webhooks-from-ts-"));
    try {
      const path = join(dir, "server.ts");
      writeFileSync(
        path,
        `import { geminiWebhooks } from ${JSON.stringify(pathToFileURL(join(root, "dist/esm/index.js")).href)};
         const types: string[] = ["batch.failed", "video.generated"];
         export const webhooks = geminiWebhooks({ secret: ${JSON.stringify(SECRET)} });
         for (const type of types) webhooks.on(type as "batch.failed", () => {});\n`,
      );
      const run = await webhooksCli("create", "--uri", "https://example.com/ts", "--from", path);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual((sent()[0]!.body as { subscribed_events: string[] }).subscribed_events, [
        "batch.failed",
        "video.generated",
      ]);
      assert.doesNotMatch(run.stderr, /Unknown file extension/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ping: POST /v1/webhooks/<id>:ping, and says how to see the ping arrive without naming its type", async () => {
    api.add({ id: "wh-ping", state: "enabled" });
    const run = await webhooksCli("ping", "wh-ping");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      sent().map((r) => [r.method, r.path, r.apiKey]),
      [["POST", "/v1/webhooks/wh-ping:ping", API_KEY]],
    );
    assert.deepEqual(api.pings.slice(-1), ["wh-ping"]);
    assert.match(run.stdout, /type name and body are not published/);
    assert.match(run.stdout, /webhooks\.onAny\(\(event\) => console\.log\(event\.type\)\)/);
  });

  it("rotate-secret: 24 h grace by default, the new secret printed once, and both secrets to configure", async () => {
    api.add({ id: "wh-rotate", state: "enabled" });
    const run = await webhooksCli("rotate-secret", "wh-rotate");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      sent().map((r) => [r.method, r.path, r.body, r.apiKey]),
      [
        [
          "POST",
          "/v1/webhooks/wh-rotate:rotateSigningSecret",
          { revocation_behavior: "revoke_previous_secrets_after_h24" },
          API_KEY,
        ],
      ],
    );
    const secret = api.secrets.get("wh-rotate")!.at(-1)!;
    assert.equal(occurrences(run.stdout, secret), 1);
    assert.match(run.stdout, /previous secret keeps verifying for 24 hours/);
    assert.match(
      run.stdout,
      /secret: \[process\.env\.GEMINI_WEBHOOK_SECRET_NEW, process\.env\.GEMINI_WEBHOOK_SECRET\] \}\) {2}\/\/ secret: \[new, old\]/,
    );
    assert.match(run.stdout, /After 24 hours, keep only the new one/);
  });

  it("rotate-secret --immediately: revokes the previous secrets and says to switch at once", async () => {
    api.add({ id: "wh-now", state: "enabled" });
    const run = await webhooksCli("rotate-secret", "wh-now", "--immediately");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(sent()[0]!.body as object, { revocation_behavior: "revoke_previous_secrets_immediately" });
    assert.equal(api.webhooks.get("wh-now")!.signing_secrets.length, 1, "the fake revoked the old one");
    assert.match(run.stdout, /revoked now/);
    assert.doesNotMatch(run.stdout, /keeps verifying/);
  });

  it("API refusals are exit 1 with the API's status and message and a hint", async () => {
    const missing = await webhooksCli("ping", "no-such-webhook");
    assert.equal(missing.code, 1);
    assert.equal(sent().length, 1, "not retried");
    assert.match(
      missing.stderr,
      /^error: the Gemini API answered 404 NOT_FOUND: Requested entity was not found\. "gemini-webhooks webhooks list" shows the ids/,
    );
    assert.doesNotMatch(missing.stderr, /at .*\.js:\d+/, "no stack trace");

    const wrongKey = await cli(["webhooks", "list"], { ...env, GEMINI_API_KEY: "AIzaWRONG" });
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /answered 400 INVALID_ARGUMENT: API key not valid\. .*Check GEMINI_API_KEY/);
  });

  it("an unreachable API is exit 1 naming the address, quickly (no retries)", async () => {
    const closed = await startFakeGeminiApi({ apiKey: API_KEY });
    await closed.close();
    const started = Date.now();
    const run = await cli(["webhooks", "list"], { GEMINI_API_KEY: API_KEY, GOOGLE_GEMINI_BASE_URL: closed.url });
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(
        `could not reach the Gemini API at ${closed.url.replace(/[.]/g, "\\.")}: connection refused \\(ECONNREFUSED\\)`,
      ),
    );
    assert.ok(Date.now() - started < 10_000, "the SDK's default retries (up to 30 s) are off");
  });

  it("an API that never answers is exit 1 after --timeout", async () => {
    const silent = await listen(() => {});
    try {
      const started = Date.now();
      const run = await cli(["webhooks", "list", "--timeout", "300"], {
        GEMINI_API_KEY: API_KEY,
        GOOGLE_GEMINI_BASE_URL: silent.url,
      });
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        new RegExp(`^error: no answer from the Gemini API at ${silent.url.replace(/[.]/g, "\\.")} within --timeout\\.`),
      );
      assert.ok(Date.now() - started < 10_000);
    } finally {
      await silent.close();
    }
  });

  it("the API key is redacted even when an error message from the API echoes it", async () => {
    const leaky = await startFakeGeminiApi({ apiKey: "the-right-key", echoKeyInErrors: true });
    try {
      const run = await cli(["webhooks", "list"], { GEMINI_API_KEY: API_KEY, GOOGLE_GEMINI_BASE_URL: leaky.url });
      assert.equal(run.code, 1);
      assert.equal(leaky.requests[0]!.apiKey, API_KEY, "the key was sent");
      assert.match(run.stderr, /\(received key: \[redacted API key\]\)/);
      assert.equal(`${run.stdout}${run.stderr}`.includes(API_KEY), false);
    } finally {
      await leaky.close();
    }
  });

  it("help: `webhooks --help` and `help webhooks` describe every action", async () => {
    for (const args of [
      ["webhooks", "--help"],
      ["help", "webhooks"],
      ["webhooks", "list", "--help"],
    ]) {
      const run = await cli(args, {});
      assert.equal(run.code, 0, args.join(" "));
      for (const action of [
        "create --uri",
        "list",
        "ping <id>",
        "rotate-secret <id>",
        "enable <id>",
        "GEMINI_API_KEY",
      ]) {
        assert.ok(run.stdout.includes(action), `${args.join(" ")} mentions ${action}`);
      }
    }
    const main = await cli(["--help"], {});
    assert.match(main.stdout, /webhooks {5}Create, list, get, update, delete, ping webhooks/);
  });
});

describe("gemini-webhooks send --user-metadata", () => {
  it("sends the object as the payload's top-level user_metadata, which the handler sees", async () => {
    const seen: AnyGeminiEvent[] = [];
    const server = await listen(
      express().use(
        "/hook",
        geminiWebhooks({ secret: SECRET }).onAny((event) => void seen.push(event)),
      ),
    );
    try {
      const run = await cli(
        [
          "send",
          `${server.url}/hook`,
          "-t",
          "batch.succeeded",
          "--secret",
          SECRET,
          "--user-metadata",
          '{"job_group":"nightly-eval","priority":"high"}',
        ],
        {},
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /1 delivery of batch\.succeeded with user_metadata, scheme v1/);
      assert.equal(seen.length, 1);
      assert.deepEqual(seen[0]!.user_metadata, { job_group: "nightly-eval", priority: "high" });
      assert.equal(seen[0]!.type, "batch.succeeded");
    } finally {
      await server.close();
    }
    for (const bad of ["{not json", "[1,2]", "null", '"text"']) {
      const run = await cli(
        ["send", "http://127.0.0.1:9/x", "-t", "batch.succeeded", "--secret", SECRET, "--user-metadata", bad],
        {},
      );
      assert.equal(run.code, 2, bad);
      assert.match(run.stderr, /--user-metadata (is not valid JSON|must be a JSON object)/);
    }
  });
});

describe("webhooks.registeredTypes()", () => {
  it("lists the types given to on(), as given, first registration first; onAny adds none", () => {
    const webhooks = geminiWebhooks({ secret: SECRET });
    assert.deepEqual(webhooks.registeredTypes(), []);
    webhooks
      .on(["batch.failed", "batch.completed"], () => {})
      .onAny(() => {})
      .on("batch.failed", () => {})
      .on("ping", () => {});
    assert.deepEqual(webhooks.registeredTypes(), ["batch.failed", "batch.completed", "ping"]);
    webhooks.registeredTypes().push("tampered");
    assert.deepEqual(webhooks.registeredTypes(), ["batch.failed", "batch.completed", "ping"], "a copy: read-only");
  });
});

describe("@google/genai stays optional", () => {
  it("only the CLI's client and catch-up's video lookup (lazily, for a tracked video) import it: no other built file", () => {
    const importers: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (
          entry.name.endsWith(".js") &&
          /(import\(|require\(|from )\s*["']@google\/genai["']/.test(readFileSync(path, "utf8"))
        ) {
          importers.push(path.slice(root.length));
        }
      }
    };
    walk(join(root, "dist"));
    assert.deepEqual(importers.sort(), [
      "dist/cjs/catch-up/video-operation.js",
      "dist/cjs/cli/admin/client.js",
      "dist/esm/catch-up/video-operation.js",
      "dist/esm/cli/admin/client.js",
    ]);
  });

  it("without it installed, send and secret work and webhooks says what to install", async () => {
    // A copy of the package whose node_modules has every dependency except @google/genai.
    const dir = mkdtempSync(join(tmpdir(), "gemini-webhooks-no-genai-"));
    try {
      cpSync(join(root, "dist"), join(dir, "dist"), { recursive: true });
      writeFileSync(join(dir, "package.json"), readFileSync(join(root, "package.json")));
      mkdirSync(join(dir, "node_modules"));
      for (const entry of readdirSync(join(root, "node_modules"))) {
        if (entry !== "@google") symlinkSync(join(root, "node_modules", entry), join(dir, "node_modules", entry));
      }
      const bin = join(dir, "dist/esm/cli.js");
      const webhooks = await cli(
        ["webhooks", "list"],
        { GEMINI_API_KEY: API_KEY, GOOGLE_GEMINI_BASE_URL: "http://127.0.0.1:9" },
        bin,
      );
      assert.equal(webhooks.code, 1);
      assert.match(webhooks.stderr, /not installed: run `npm install @google\/genai`/);

      const secret = await cli(["secret"], {}, bin);
      assert.equal(secret.code, 0);
      assert.match(secret.stdout, /^whsec_/);

      let received = 0;
      const server = await listen(
        express().use(
          "/hook",
          geminiWebhooks({ secret: SECRET }).onAny(() => void received++),
        ),
      );
      try {
        const send = await cli(["send", `${server.url}/hook`, "-t", "batch.failed", "--secret", SECRET], {}, bin);
        assert.equal(send.code, 0, send.stderr);
        assert.equal(received, 1);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
