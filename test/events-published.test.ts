// Every published payload variant reaches the handlers its type names, with the fields it carries; an alias
// registers as its documented type; a misspelled catalog name is warned about once, names outside stay open.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it, mock } from "node:test";
import { geminiWebhooks, type AnyGeminiEvent } from "../src/index.js";
import { SECRET, signedDelivery } from "./support/helpers.js";
import { publishedPayloads } from "./types/published-payloads.js";

const fixtures = new URL("./fixtures/published-payloads/", import.meta.url);
const fixtureNames = readdirSync(fixtures).filter((name) => name.endsWith(".json"));

function readFixture(name: string): AnyGeminiEvent {
  return JSON.parse(readFileSync(new URL(name, fixtures), "utf8")) as AnyGeminiEvent;
}

async function deliver(webhooks: ReturnType<typeof geminiWebhooks>, event: unknown): Promise<Response> {
  const { headers, body } = signedDelivery(event);
  return webhooks.fetch(new Request("http://localhost/gemini-callback", { method: "POST", headers, body }));
}

describe("published payloads", () => {
  it("the typed literals the type test compiles are exactly the fixtures", () => {
    assert.deepEqual(Object.keys(publishedPayloads).sort(), [...fixtureNames].sort());
    for (const name of fixtureNames) assert.deepEqual(publishedPayloads[name as never], readFixture(name), name);
  });

  for (const name of fixtureNames) {
    it(`${name} reaches its type's handler with every field it carries`, async () => {
      const payload = readFixture(name);
      const seen: AnyGeminiEvent[] = [];
      const webhooks = geminiWebhooks({ secret: SECRET });
      // batch.completed is registered under the documented name only: the alias must still arrive.
      const registeredAs = payload.type === "batch.completed" ? "batch.succeeded" : payload.type;
      webhooks.on(registeredAs, (event) => void seen.push(event as AnyGeminiEvent));
      const response = await deliver(webhooks, payload);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: "received" });
      assert.equal(seen.length, 1);
      assert.deepEqual(seen[0], payload);
    });
  }
});

describe("batch.completed and batch.succeeded", () => {
  const completed = readFixture("batch-completed.he.json");
  const succeeded = readFixture("batch-succeeded.catalog.json");

  it("a handler registered under the alias also runs for the documented name", async () => {
    const seen: string[] = [];
    const webhooks = geminiWebhooks({ secret: SECRET });
    webhooks.on("batch.completed", (event) => void seen.push(event.type));
    await deliver(webhooks, succeeded);
    await deliver(webhooks, completed);
    assert.deepEqual(seen, ["batch.succeeded", "batch.completed"]);
  });

  it("one handler registered under both names runs once per delivery", async () => {
    const seen: string[] = [];
    const webhooks = geminiWebhooks({ secret: SECRET });
    webhooks.on(["batch.succeeded", "batch.completed"], (event) => void seen.push(event.type));
    await deliver(webhooks, succeeded);
    await deliver(webhooks, completed);
    assert.deepEqual(seen, ["batch.succeeded", "batch.completed"]);
    assert.deepEqual(webhooks.registeredTypes(), ["batch.succeeded", "batch.completed"], "as given");
  });

  it("two different handlers, one under each name, both run, in registration order", async () => {
    const seen: string[] = [];
    const webhooks = geminiWebhooks({ secret: SECRET });
    webhooks.on("batch.completed", () => void seen.push("alias"));
    webhooks.on("batch.succeeded", () => void seen.push("documented"));
    await deliver(webhooks, succeeded);
    assert.deepEqual(seen, ["alias", "documented"]);
  });
});

describe("misspelled event names", () => {
  function warningsFor(register: (webhooks: ReturnType<typeof geminiWebhooks>) => void): string[] {
    const warn = mock.method(console, "warn", () => {});
    try {
      register(geminiWebhooks({ secret: SECRET }));
      return warn.mock.calls.map((call) => String(call.arguments[0]));
    } finally {
      warn.mock.restore();
    }
  }

  it("a name close to a catalog name is warned about once, naming the likely one", () => {
    const warnings = warningsFor((webhooks) => {
      webhooks.on("batch.succeded" as string, () => {});
      webhooks.on("batch.succeded" as string, () => {});
    });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /"batch\.succeded"/);
    assert.match(warnings[0]!, /did you mean "batch\.succeeded"\?/);
    assert.match(warnings[0]!, /docs\/events\.md/);
  });

  it("catches swapped letters, a wrong case, a wrong separator and a near alias", () => {
    const cases: Record<string, string> = {
      "batch.faield": "batch.failed",
      "Batch.Failed": "batch.failed",
      interaction_completed: "interaction.completed",
      "interaction.canceled": "interaction.cancelled",
      "video.generate": "video.generated",
      "batch.complete": "batch.completed",
    };
    for (const [typo, meant] of Object.entries(cases)) {
      const warnings = warningsFor((webhooks) => webhooks.on(typo as string, () => {}));
      assert.equal(warnings.length, 1, typo);
      assert.match(warnings[0]!, new RegExp(`did you mean "${meant.replace(".", "\\.")}"`), typo);
    }
  });

  it("catalog names, aliases and names far from the catalog register silently (the catalog stays open)", () => {
    const warnings = warningsFor((webhooks) => {
      webhooks.on(["batch.succeeded", "batch.completed", "video.generated", "interaction.requires_action"], () => {});
      webhooks.on(["ping", "model.tuned", "batch.started", "some.future_type"] as string[], () => {});
    });
    assert.deepEqual(warnings, []);
  });

  it("a warned name still registers and runs if Gemini sends it", async () => {
    const warn = mock.method(console, "warn", () => {});
    const seen: string[] = [];
    const webhooks = geminiWebhooks({ secret: SECRET });
    webhooks.on("batch.faield" as string, (event) => void seen.push(event.type));
    warn.mock.restore();
    const response = await deliver(webhooks, { type: "batch.faield", data: {} });
    assert.equal(response.status, 200);
    assert.deepEqual(seen, ["batch.faield"]);
  });
});
