// normalizeUserMetadata: user_metadata ends up at the top level wherever it arrived, and attacker-shaped
// payloads (prototype keys, a polluted Object.prototype) cannot inject or redirect anything.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import express from "express";
import { geminiWebhooks, type AnyGeminiEvent } from "../src/index.js";
import { sampleEvent, signDelivery } from "../src/testing/index.js";
import { normalizeUserMetadata } from "../src/user-metadata.js";
import { listen, SECRET } from "./support/helpers.js";

const parse = (json: string) => JSON.parse(json) as Record<string, unknown> & { data?: Record<string, unknown> };

/** Runs `body` with a property defined on Object.prototype, and always removes it again. */
function withPrototypeProperty(name: string, descriptor: PropertyDescriptor, body: () => void): void {
  Object.defineProperty(Object.prototype, name, { configurable: true, ...descriptor });
  try {
    body();
  } finally {
    delete (Object.prototype as Record<string, unknown>)[name];
  }
}

describe("normalizeUserMetadata", () => {
  it("keeps a top-level user_metadata object as sent (the same object), even when data has one too", () => {
    const event = parse(
      '{"type":"batch.succeeded","user_metadata":{"job_group":"top"},"data":{"id":"b1","user_metadata":{"job_group":"inner"}}}',
    );
    const top = event.user_metadata;
    assert.equal(normalizeUserMetadata(event), event, "changes the event in place and returns it");
    assert.equal(event.user_metadata, top);
    assert.deepEqual(event.user_metadata, { job_group: "top" });
    assert.deepEqual(event.data, { id: "b1", user_metadata: { job_group: "inner" } });
  });

  it("copies data.user_metadata to the top level and leaves data as it was", () => {
    const event = parse(
      '{"type":"interaction.completed","data":{"id":"i1","user_metadata":{"job_group":"nightly-eval","priority":"high"}}}',
    );
    normalizeUserMetadata(event);
    assert.deepEqual(event.user_metadata, { job_group: "nightly-eval", priority: "high" });
    assert.equal(event.user_metadata, event.data!.user_metadata, "the same object, not a copy");
    assert.deepEqual(Object.keys(event.data!), ["id", "user_metadata"]);
    assert.ok(
      Object.getOwnPropertyDescriptor(event, "user_metadata")!.enumerable,
      "visible to JSON.stringify and spreads",
    );
  });

  it("adds nothing when there is no metadata, or when data.user_metadata is not an object", () => {
    for (const json of [
      '{"type":"batch.succeeded","data":{"id":"b1"}}',
      '{"type":"batch.succeeded"}',
      '{"type":"batch.succeeded","data":null}',
      '{"type":"batch.succeeded","data":"text"}',
      '{"type":"batch.succeeded","data":[{"user_metadata":{"a":1}}]}',
      '{"type":"batch.succeeded","data":{"user_metadata":null}}',
      '{"type":"batch.succeeded","data":{"user_metadata":"a string"}}',
      '{"type":"batch.succeeded","data":{"user_metadata":[1,2]}}',
      '{"type":"batch.succeeded","data":{"user_metadata":42}}',
    ]) {
      const event = parse(json);
      normalizeUserMetadata(event);
      assert.equal(Object.hasOwn(event, "user_metadata"), false, json);
      assert.deepEqual(event, JSON.parse(json), `${json} is unchanged`);
    }
  });

  it("never replaces a top-level user_metadata the sender put there, whatever its value", () => {
    for (const value of ["null", '"text"', "[1]", "7"]) {
      const event = parse(`{"type":"x","user_metadata":${value},"data":{"user_metadata":{"a":1}}}`);
      normalizeUserMetadata(event);
      assert.deepEqual(event.user_metadata, JSON.parse(value));
    }
  });

  it('"__proto__" keys stay ordinary keys: no prototype changes anywhere', () => {
    const event = parse('{"type":"x","data":{"user_metadata":{"__proto__":{"polluted":true},"team":"a"}}}');
    normalizeUserMetadata(event);
    const metadata = event.user_metadata as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(event), Object.prototype);
    assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
    assert.ok(Object.hasOwn(metadata, "__proto__"), "kept as the own key JSON.parse made");
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((metadata as { polluted?: unknown }).polluted, undefined);
  });

  it("reads only own properties: metadata behind a __proto__ key is not used", () => {
    // JSON.parse makes "__proto__" an own key; a reader that spread or assigned it would give the event a prototype.
    const hidden = parse('{"type":"x","__proto__":{"user_metadata":{"a":1},"data":{"user_metadata":{"b":2}}}}');
    normalizeUserMetadata(hidden);
    assert.equal(Object.hasOwn(hidden, "user_metadata"), false);
    const inner = parse('{"type":"x","data":{"__proto__":{"user_metadata":{"a":1}}}}');
    normalizeUserMetadata(inner);
    assert.equal(Object.hasOwn(inner, "user_metadata"), false);
    // The same shapes built with a real prototype: inherited fields are not the delivery's.
    const inherited = Object.create({ user_metadata: { a: 1 } }) as Record<string, unknown>;
    inherited.data = Object.create({ user_metadata: { b: 2 } });
    normalizeUserMetadata(inherited);
    assert.equal(Object.hasOwn(inherited, "user_metadata"), false);
  });

  it("a polluted Object.prototype neither hides the delivery's metadata nor injects its own", () => {
    withPrototypeProperty("user_metadata", { value: { injected: true }, writable: true }, () => {
      const plain = parse('{"type":"x","data":{"id":"1"}}');
      normalizeUserMetadata(plain);
      assert.equal(Object.hasOwn(plain, "user_metadata"), false, "nothing copied from the prototype");
      const carrying = parse('{"type":"x","data":{"user_metadata":{"team":"a"}}}');
      normalizeUserMetadata(carrying);
      assert.deepEqual(Object.getOwnPropertyDescriptor(carrying, "user_metadata")?.value, { team: "a" });
    });
    withPrototypeProperty("data", { value: { user_metadata: { injected: true } }, writable: true }, () => {
      const event = parse('{"type":"x"}');
      normalizeUserMetadata(event);
      assert.equal(Object.hasOwn(event, "user_metadata"), false);
    });
  });

  it("defines the property: a setter on the prototype chain is never called", () => {
    const calls: unknown[] = [];
    withPrototypeProperty("user_metadata", { set: (value: unknown) => calls.push(value), get: () => undefined }, () => {
      const event = parse('{"type":"x","data":{"user_metadata":{"team":"a"}}}');
      normalizeUserMetadata(event);
      assert.deepEqual(calls, []);
      assert.deepEqual(Object.getOwnPropertyDescriptor(event, "user_metadata")?.value, { team: "a" });
    });
  });

  it("leaves non-objects and frozen events alone without throwing", () => {
    const frozen = Object.freeze(parse('{"type":"x","data":{"user_metadata":{"a":1}}}'));
    assert.equal(normalizeUserMetadata(frozen), frozen);
    assert.equal(Object.hasOwn(frozen, "user_metadata"), false);
    const array = [{ data: { user_metadata: { a: 1 } } }];
    assert.equal(normalizeUserMetadata(array), array);
    assert.equal(Object.hasOwn(array, "user_metadata"), false);
  });
});

describe("user_metadata in the testing kit", () => {
  it("sampleEvent puts user_metadata at the top level, and only when asked", () => {
    const event = sampleEvent("batch.succeeded", { user_metadata: { job_group: "nightly-eval", priority: "high" } });
    assert.deepEqual(event.user_metadata, { job_group: "nightly-eval", priority: "high" });
    assert.deepEqual(Object.keys(event), ["type", "version", "timestamp", "data", "user_metadata"]);
    assert.equal("user_metadata" in event.data, false);
    assert.equal(Object.hasOwn(sampleEvent("batch.succeeded"), "user_metadata"), false, "static webhooks carry none");
    const typed: string = sampleEvent("batch.failed", { user_metadata: { team: "ml" } }).user_metadata!.team;
    assert.equal(typed, "ml");
    assert.throws(() => sampleEvent("batch.failed", { user_metadata: [] as never }), /user_metadata must be an object/);
    assert.throws(
      () => sampleEvent("batch.failed", { user_metadata: "x" as never }),
      /user_metadata must be an object/,
    );
  });

  it("a signed sample with user_metadata reaches the handler with event.user_metadata", async () => {
    const seen: AnyGeminiEvent[] = [];
    const webhooks = geminiWebhooks({ secret: SECRET }).onAny((event) => {
      seen.push(event);
    });
    const server = await listen(express().use("/hook", webhooks));
    try {
      const { headers, body } = signDelivery(
        sampleEvent("interaction.completed", { user_metadata: { job_group: "nightly-eval" } }),
        { secret: SECRET },
      );
      const response = await fetch(`${server.url}/hook`, { method: "POST", headers, body });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: "received" });
      assert.equal(seen.length, 1);
      assert.deepEqual(seen[0]!.user_metadata, { job_group: "nightly-eval" });
    } finally {
      await server.close();
    }
  });
});

describe("user_metadata through the receiver", () => {
  it("found only inside data: every handler (typed) and onAny see it at the top level; the signed bytes are untouched", async () => {
    const seen: unknown[] = [];
    const webhooks = geminiWebhooks<{ job_group: string }>({ secret: SECRET })
      .on("batch.succeeded", (event, ctx) => {
        seen.push(event.user_metadata?.job_group, JSON.parse(Buffer.from(ctx.rawBody).toString("utf8")).user_metadata);
      })
      .onAny((event) => void seen.push(event.user_metadata));
    const server = await listen(express().use("/hook", webhooks));
    try {
      const event = sampleEvent("batch.succeeded");
      const inData = { ...event, data: { ...event.data, user_metadata: { job_group: "nightly-eval" } } };
      const { headers, body } = signDelivery(inData, { secret: SECRET });
      const response = await fetch(`${server.url}/hook`, { method: "POST", headers, body });
      assert.deepEqual(await response.json(), { status: "received" });
      assert.deepEqual(seen, ["nightly-eval", undefined, { job_group: "nightly-eval" }]);
    } finally {
      await server.close();
    }
  });
});
