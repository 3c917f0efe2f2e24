// Mutation suite: from genuine deliveries of each scheme, every single-field change an attacker (or a
// broken proxy) could make. Forged ones must be refused (4xx) without a handler run, and must not burn
// the id (the genuine delivery sent afterwards is still handled); legit variations must still be handled.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createHash } from "node:crypto";
import {
  JWT_SCHEME,
  NOW_SECONDS,
  RSA_KEY,
  SCHEMES,
  WRONG_RSA_KEY,
  genuine,
  jwtClaims,
  nextId,
  sampleEventWithText,
  sendWire,
  startTarget,
  wireOf,
  type Mutation,
  type SchemeUnderTest,
  type GenuineDelivery,
  type Target,
  type WireRequest,
} from "./support/adversary.js";
import { signJwt } from "./support/signer.js";

const ID = "webhook-id";
const TS = "webhook-timestamp";
const SIG = "webhook-signature";
const NAMES = [ID, TS, SIG] as const;

type Lines = WireRequest["headers"];

function edit(d: GenuineDelivery, change: (lines: Lines) => Lines, body = d.body): WireRequest {
  return { headers: change(wireOf(d).headers), body };
}
const without = (name: string) => (lines: Lines) => lines.filter(([n]) => n !== name);
const replaced = (name: string, value: string) => (lines: Lines) =>
  lines.map(([n, v]): [string, string] => [n, n === name ? value : v]);
const renamed = (name: string, to: string) => (lines: Lines) =>
  lines.map(([n, v]): [string, string] => [n === name ? to : n, v]);
const repeated = (name: string, value: string) => (lines: Lines) => [...lines, [name, value] as [string, string]];

function valueOf(d: GenuineDelivery, scheme: SchemeUnderTest): string {
  return d.signature.slice(scheme.prefix.length);
}
function withSignature(d: GenuineDelivery, signature: string, body = d.body): WireRequest {
  return edit(d, replaced(SIG, signature), body);
}
/** A different character at `index` that keeps the string in the same alphabet class where possible. */
function changeCharAt(text: string, index: number): string {
  const c = text[index]!;
  const swap: Record<string, string> = {
    "9": "0",
    z: "a",
    Z: "A",
    "/": "+",
    "+": "/",
    "=": "A",
    _: "-",
    "-": "_",
    ".": "_",
  };
  const next = swap[c] ?? String.fromCharCode(c.charCodeAt(0) + 1);
  return text.slice(0, index) + next + text.slice(index + 1);
}
function toBase64Url(text: string): string {
  return text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function flipByte(body: Buffer, index: number): Buffer {
  const copy = Buffer.from(body);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

/** Header-level mutations, the same for every scheme. */
function headerMutations(): Mutation[] {
  const list: Mutation[] = [];
  for (const name of NAMES) {
    list.push(
      { name: `${name} removed`, legit: false, apply: (d) => edit(d, without(name)) },
      { name: `${name} emptied`, legit: false, apply: (d) => edit(d, replaced(name, "")) },
      { name: `${name} renamed to x-${name}`, legit: false, apply: (d) => edit(d, renamed(name, `x-${name}`)) },
      {
        name: `${name} renamed to ${name.replace("webhook-", "svix-")}`,
        legit: false,
        apply: (d) => edit(d, renamed(name, name.replace("webhook-", "svix-"))),
      },
      {
        name: `${name} name UPPER-CASED`,
        legit: true,
        why: "HTTP header names are case-insensitive (RFC 9110 §5.1)",
        apply: (d) => edit(d, renamed(name, name.toUpperCase())),
      },
      {
        name: `${name} name Title-Cased`,
        legit: true,
        why: "HTTP header names are case-insensitive (RFC 9110 §5.1)",
        apply: (d) =>
          edit(
            d,
            renamed(
              name,
              name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase()),
            ),
          ),
      },
      {
        name: `${name} value padded with spaces and a tab`,
        legit: true,
        why: "whitespace around a field value is not part of it (RFC 9110 §5.5): the receiver sees the signed value",
        apply: (d) => {
          const value = wireOf(d).headers.find(([n]) => n === name)![1];
          return edit(d, replaced(name, `  ${value}\t `));
        },
      },
    );
  }
  list.push(
    { name: `${ID} repeated with the same value`, legit: false, apply: (d) => edit(d, repeated(ID, d.id)) },
    { name: `${ID} repeated with another id`, legit: false, apply: (d) => edit(d, repeated(ID, nextId())) },
    { name: `${TS} repeated with the same value`, legit: false, apply: (d) => edit(d, repeated(TS, d.timestamp)) },
    {
      name: `${TS} repeated with another time`,
      legit: false,
      apply: (d) => edit(d, repeated(TS, String(Number(d.timestamp) + 1))),
    },
    {
      name: `${SIG} repeated with the same value`,
      legit: true,
      why: 'a repeated header is one list joined with ", " (RFC 9110 §5.3); the joined list still holds the genuine entry',
      apply: (d) => edit(d, repeated(SIG, d.signature)),
    },
    {
      name: `${SIG} repeated: a decoy line before the genuine one`,
      legit: true,
      why: "the joined list still holds the genuine entry; any one valid entry suffices (Standard Webhooks)",
      apply: (d, s) => edit(d, (lines) => [["webhook-signature", `${s.prefix}${"A".repeat(43)}=`], ...lines]),
    },
    {
      name: `${SIG} repeated: only decoy lines`,
      legit: false,
      apply: (d, s) =>
        edit(d, (lines) => [...without(SIG)(lines), [SIG, `${s.prefix}${"A".repeat(43)}=`], [SIG, "v2,Zm9v"]]),
    },
    {
      name: "headers in another order, unrelated headers added, content-type text/plain",
      legit: true,
      why: "order and unrelated headers are not signed; the signature, not Content-Type, decides",
      apply: (d) =>
        edit(d, (lines) => [
          ["x-forwarded-for", "203.0.113.9"],
          ...lines.reverse().map(([n, v]): [string, string] => [n, n === "content-type" ? "text/plain" : v]),
        ]),
    },
  );
  return list;
}

function idMutations(sample: GenuineDelivery): Mutation[] {
  const list: Mutation[] = [];
  for (let index = 0; index < sample.id.length; index++) {
    list.push({
      name: `${ID} char ${index} changed`,
      legit: false,
      apply: (d) => edit(d, replaced(ID, changeCharAt(d.id, index))),
    });
  }
  list.push(
    { name: `${ID} one char appended`, legit: false, apply: (d) => edit(d, replaced(ID, `${d.id}0`)) },
    { name: `${ID} last char removed`, legit: false, apply: (d) => edit(d, replaced(ID, d.id.slice(0, -1))) },
    { name: `${ID} first char removed`, legit: false, apply: (d) => edit(d, replaced(ID, d.id.slice(1))) },
    { name: `${ID} upper-cased`, legit: false, apply: (d) => edit(d, replaced(ID, d.id.toUpperCase())) },
    {
      name: `${ID} with a space inside`,
      legit: false,
      apply: (d) => edit(d, replaced(ID, `${d.id.slice(0, 4)} ${d.id.slice(4)}`)),
    },
  );
  return list;
}

function timestampMutations(sample: GenuineDelivery): Mutation[] {
  const list: Mutation[] = [];
  for (let index = 0; index < sample.timestamp.length; index++) {
    list.push({
      name: `${TS} digit ${index} changed`,
      legit: false,
      apply: (d) => edit(d, replaced(TS, changeCharAt(d.timestamp, index))),
    });
  }
  const variants: Array<[string, (ts: string) => string]> = [
    ["one second later", (ts) => String(Number(ts) + 1)],
    ["one second earlier", (ts) => String(Number(ts) - 1)],
    ["with a leading zero (same number)", (ts) => `0${ts}`],
    ["with a plus sign (same number)", (ts) => `+${ts}`],
    ["with a fraction (same number)", (ts) => `${ts}.0`],
    ["in milliseconds", (ts) => `${ts}000`],
    ["in exponent notation", (ts) => Number(ts).toExponential()],
    ["as an ISO date", (ts) => new Date(Number(ts) * 1000).toISOString()],
    ["as hex", (ts) => `0x${Number(ts).toString(16)}`],
  ];
  for (const [label, change] of variants) {
    list.push({ name: `${TS} ${label}`, legit: false, apply: (d) => edit(d, replaced(TS, change(d.timestamp))) });
  }
  return list;
}

function signatureMutations(): Mutation[] {
  const decoy = (s: SchemeUnderTest) => `${s.prefix}${"A".repeat(43)}=`;
  const list: Mutation[] = [
    {
      name: "signature truncated by one char",
      legit: false,
      apply: (d, s) => withSignature(d, s.prefix + valueOf(d, s).slice(0, -1)),
    },
    {
      name: "signature truncated by four chars",
      legit: false,
      apply: (d, s) => withSignature(d, s.prefix + valueOf(d, s).slice(0, -4)),
    },
    {
      name: "signature truncated to half",
      legit: false,
      apply: (d, s) => withSignature(d, s.prefix + valueOf(d, s).slice(0, valueOf(d, s).length >> 1)),
    },
    { name: "signature value empty (prefix only)", legit: false, apply: (d, s) => withSignature(d, s.prefix) },
    {
      name: "signature value doubled",
      legit: false,
      apply: (d, s) => withSignature(d, s.prefix + valueOf(d, s) + valueOf(d, s)),
    },
    {
      name: "signature re-encoded as base64url",
      legit: false,
      apply: (d, s) => withSignature(d, s.prefix + toBase64Url(valueOf(d, s))),
    },
    {
      name: "signature base64 padding removed",
      legit: false,
      apply: (d, s) => withSignature(d, s.prefix + valueOf(d, s).replace(/=+$/, "")),
    },
    {
      name: "signature extra base64 padding",
      legit: false,
      apply: (d, s) => withSignature(d, `${s.prefix}${valueOf(d, s)}=`),
    },
    {
      name: "signature first char changed",
      legit: false,
      apply: (d, s) => withSignature(d, s.prefix + changeCharAt(valueOf(d, s), 0)),
    },
    {
      name: "signature middle char changed",
      legit: false,
      apply: (d, s) => withSignature(d, s.prefix + changeCharAt(valueOf(d, s), valueOf(d, s).length >> 1)),
    },
    {
      name: "signature last data char changed",
      legit: false,
      apply: (d, s) =>
        withSignature(d, s.prefix + changeCharAt(valueOf(d, s), valueOf(d, s).replace(/=+$/, "").length - 1)),
    },
    {
      name: "signature case swapped",
      legit: false,
      apply: (d, s) => withSignature(d, s.prefix + swapCase(valueOf(d, s))),
    },
    { name: "signature without its version tag", legit: false, apply: (d, s) => withSignature(d, valueOf(d, s)) },
    {
      name: "signature made with a key the receiver does not trust",
      legit: false,
      apply: async (d, s) => withSignature(d, s.prefix + (await s.signWithWrongKey(d.id, d.timestamp, d.body))),
    },
    {
      name: "signature of another webhook-id",
      legit: false,
      apply: async (d, s) => withSignature(d, s.prefix + (await s.sign(nextId(), d.timestamp, d.body))),
    },
    {
      name: "signature of another timestamp",
      legit: false,
      apply: async (d, s) => withSignature(d, s.prefix + (await s.sign(d.id, String(Number(d.timestamp) - 1), d.body))),
    },
    {
      name: "signature of another body",
      legit: false,
      apply: async (d, s) =>
        withSignature(d, s.prefix + (await s.sign(d.id, d.timestamp, Buffer.from('{"type":"batch.failed"}')))),
    },
    {
      name: "signature: decoys only",
      legit: false,
      apply: (d, s) => withSignature(d, `${decoy(s)} v2,Zm9v ${decoy(s)}`),
    },
    {
      name: "signature entries glued with a comma, no space",
      legit: false,
      apply: (d) => withSignature(d, `v2,Zm9v,${d.signature}`),
    },
    {
      name: "signature: decoy entry before the genuine one",
      legit: true,
      why: "entries are an unordered list; any one valid entry suffices (Standard Webhooks)",
      apply: (d, s) => withSignature(d, `${decoy(s)} ${d.signature}`),
    },
    {
      name: "signature: decoy entry after the genuine one",
      legit: true,
      why: "entries are an unordered list; any one valid entry suffices (Standard Webhooks)",
      apply: (d, s) => withSignature(d, `${d.signature} ${decoy(s)}`),
    },
    {
      name: "signature: unknown versions around the genuine entry",
      legit: true,
      why: "unknown versions are skipped (Standard Webhooks), so a sender can add schemes without breaking receivers",
      apply: (d) => withSignature(d, `v2,Zm9vYmFy ${d.signature} v9,YmF6`),
    },
    {
      name: "signature: extra spaces and a tab between entries",
      legit: true,
      why: "entries are whitespace-separated; the amount of whitespace carries no meaning",
      apply: (d) => withSignature(d, `v2,Zm9v   \t  ${d.signature}`),
    },
    {
      name: 'signature: list separators as Node joins repeated headers (", ")',
      legit: true,
      why: "a comma after an entry is the list separator Node inserts when joining repeated headers; base64 has no commas",
      apply: (d) => withSignature(d, `v2,Zm9v, ${d.signature},`),
    },
  ];
  for (const tag of ["v2,", "V1,", "v1a,", "v1b,", "v0,", "v,", "1,", "v1 ,", "v1;", "v1=", "v1:"]) {
    list.push({
      name: `signature version tag changed to "${tag}"`,
      legit: false,
      apply: (d, s) =>
        tag === s.prefix ? withSignature(d, `xx${valueOf(d, s)}`) : withSignature(d, tag + valueOf(d, s)),
    });
  }
  return list;
}

/** The time the delivery's signature vouches for: `webhook-timestamp`, or what the scheme signs instead. */
function signedTime(scheme: SchemeUnderTest, wire: WireRequest, d: GenuineDelivery): number {
  const signature = wire.headers
    .filter(([n]) => n.toLowerCase() === SIG)
    .map(([, v]) => v)
    .join(" ");
  return scheme.signedTimestamp?.(signature) ?? Number(d.timestamp);
}

function sameWire(a: WireRequest, b: WireRequest): boolean {
  return a.body.equals(b.body) && JSON.stringify(a.headers) === JSON.stringify(b.headers);
}

function swapCase(text: string): string {
  return [...text].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("");
}

function bodyMutations(sample: GenuineDelivery): Mutation[] {
  const text = sample.body.toString("utf8");
  const positions: Array<[string, number]> = [
    ["first", 0],
    ["middle", sample.body.length >> 1],
    ["last", sample.body.length - 1],
  ];
  const list: Mutation[] = positions.map(([label, index]) => ({
    name: `body: ${label} byte flipped`,
    legit: false,
    apply: (d: GenuineDelivery) => edit(d, (l) => l, flipByte(d.body, index)),
  }));
  const changes: Array<[string, (body: Buffer) => Buffer]> = [
    ["newline appended", (b) => Buffer.concat([b, Buffer.from("\n")])],
    ["space appended", (b) => Buffer.concat([b, Buffer.from(" ")])],
    ["NUL byte appended", (b) => Buffer.concat([b, Buffer.from([0])])],
    ["last byte removed", (b) => b.subarray(0, -1)],
    ["first byte removed", (b) => b.subarray(1)],
    ["UTF-8 BOM prepended", (b) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b])],
    ["emptied", () => Buffer.alloc(0)],
    [
      "re-serialized JSON with indentation",
      (b) => Buffer.from(JSON.stringify(JSON.parse(b.toString("utf8")), null, 2)),
    ],
    [
      "re-serialized JSON with keys reordered",
      (b) => Buffer.from(JSON.stringify(sortKeys(JSON.parse(b.toString("utf8"))))),
    ],
    [
      "re-serialized JSON with non-ASCII escaped",
      (b) =>
        Buffer.from(
          JSON.stringify(JSON.parse(b.toString("utf8"))).replace(
            /[\u0080-\uffff]/g,
            (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
          ),
        ),
    ],
    ["Unicode normalised to NFD", (b) => Buffer.from(b.toString("utf8").normalize("NFD"))],
    [
      "Unicode normalised to NFKC after an NFD round-trip",
      (b) => Buffer.from(b.toString("utf8").normalize("NFD").normalize("NFKC").replace("Zoë", "Zoe")),
    ],
    ["U+FFFD replaced by an invalid UTF-8 byte (decodes to the same text)", (b) => replaceReplacementChar(b, [0xff])],
    [
      "U+FFFD replaced by a lone continuation byte (decodes to the same text)",
      (b) => replaceReplacementChar(b, [0x80]),
    ],
    ["re-encoded as UTF-16LE", (b) => Buffer.from(b.toString("utf8"), "utf16le")],
    ["event type changed", (b) => Buffer.from(b.toString("utf8").replace('"batch.succeeded"', '"batch.failed"'))],
    [
      "another valid event",
      () => Buffer.from(JSON.stringify({ type: "batch.succeeded", data: { id: "batches/evil" } })),
    ],
  ];
  for (const [label, change] of changes) {
    list.push({ name: `body: ${label}`, legit: false, apply: (d) => edit(d, (l) => l, change(d.body)) });
  }
  // The signed content is `${id}.${timestamp}.${body}`: moving bytes across a boundary keeps it identical.
  list.push({
    name: "signed-content boundary shifted (id gets '.' + timestamp, body gets the rest)",
    legit: false,
    apply: async (d, s) => {
      // A genuine delivery whose id contains a dot, re-cut so that the signed string is unchanged.
      const id = `${d.id}.${d.timestamp}`;
      const signed = await genuine(s, d.body, { id, timestamp: d.timestamp });
      const shifted = {
        id: d.id,
        timestamp: d.timestamp,
        body: Buffer.concat([Buffer.from(`${d.timestamp}.`), signed.body]),
        signature: signed.signature,
      };
      return wireOf(shifted);
    },
  });
  if (text.length === 0) throw new Error("the sample body must not be empty");
  return list;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .reverse()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

function replaceReplacementChar(body: Buffer, bytes: number[]): Buffer {
  const marker = Buffer.from("\uFFFD", "utf8");
  const at = body.indexOf(marker);
  if (at < 0) throw new Error("the sample body must contain U+FFFD");
  return Buffer.concat([body.subarray(0, at), Buffer.from(bytes), body.subarray(at + marker.length)]);
}

/** JWT only: claims and header fields altered, signed with the trusted key and re-signed with a wrong one. */
function jwtMutations(): Mutation[] {
  type Claims = Record<string, unknown>;
  const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const claimChanges: Array<[string, (claims: Claims) => void]> = [
    ["aud changed", (c) => (c.aud = "https://other.example/hooks")],
    ["aud removed", (c) => delete c.aud],
    ["aud a list without ours", (c) => (c.aud = ["https://a.example", "https://b.example"])],
    ["iss changed", (c) => (c.iss = "https://accounts.evil.example")],
    ["iss removed", (c) => delete c.iss],
    ["exp in the past, beyond the clock tolerance", (c) => ((c.iat = NOW_SECONDS - 900), (c.exp = NOW_SECONDS - 301))],
    ["exp removed and iat older than the tolerance", (c) => (delete c.exp, (c.iat = NOW_SECONDS - 301))],
    ["exp as a string", (c) => (c.exp = String(c.exp))],
    [
      "iat in the future, beyond the clock tolerance",
      (c) => ((c.iat = NOW_SECONDS + 301), (c.exp = NOW_SECONDS + 900)),
    ],
    ["nbf in the future, beyond the clock tolerance", (c) => (c.nbf = NOW_SECONDS + 301)],
    ["jti changed", (c) => (c.jti = `${String(c.jti)}x`)],
    ["body_sha256 of another body", (c) => (c.body_sha256 = createHash("sha256").update("{}").digest("base64url"))],
  ];
  const list: Mutation[] = [];
  for (const [label, change] of claimChanges) {
    for (const [keyLabel, key] of [
      ["signed with the trusted key", RSA_KEY],
      ["re-signed with a wrong key", WRONG_RSA_KEY],
    ] as const) {
      list.push({
        name: `JWT ${label} (${keyLabel})`,
        legit: false,
        apply: (d) => {
          const claims = jwtClaims(d.id, d.timestamp, d.body);
          change(claims);
          return withSignature(d, signJwt(claims, { key }));
        },
      });
    }
  }
  const token = (d: GenuineDelivery, options: Parameters<typeof signJwt>[1]) =>
    signJwt(jwtClaims(d.id, d.timestamp, d.body), options);
  const headerChanges: Array<[string, (d: GenuineDelivery) => string]> = [
    ['alg "none", no signature', (d) => token(d, { alg: "none", kid: RSA_KEY.kid })],
    [
      "alg HS256 keyed with the trusted public key (key confusion)",
      (d) =>
        token(d, {
          alg: "HS256",
          kid: RSA_KEY.kid,
          hmacSecret: RSA_KEY.publicKey.export({ type: "spki", format: "pem" }) as string,
        }),
    ],
    ["alg RS512 declared, not allow-listed", (d) => token(d, { key: RSA_KEY, header: { alg: "RS512" } })],
    ["alg ES256 declared over an RSA signature", (d) => token(d, { key: RSA_KEY, header: { alg: "ES256" } })],
    ["kid unknown (signed with the trusted key)", (d) => token(d, { key: RSA_KEY, kid: "not-published" })],
    [
      "crit header with an unknown extension (signed with the trusted key)",
      (d) => token(d, { key: RSA_KEY, header: { crit: ["urn:x"], "urn:x": true } }),
    ],
    [
      "the forger's own key embedded as a jwk header",
      (d) => token(d, { key: WRONG_RSA_KEY, header: { jwk: WRONG_RSA_KEY.jwk } }),
    ],
    ["typ changed (re-signed with a wrong key)", (d) => token(d, { key: WRONG_RSA_KEY, header: { typ: "at+jwt" } })],
    [
      "payload of another token under the genuine signature",
      (d) => {
        const [header, , signature] = d.signature.split(".");
        const claims = { ...jwtClaims(d.id, d.timestamp, d.body), aud: "https://other.example/hooks" };
        return `${header}.${b64url(claims)}.${signature}`;
      },
    ],
    ["signature segment removed", (d) => `${d.signature.split(".").slice(0, 2).join(".")}.`],
    [
      "segments re-encoded as padded standard base64",
      (d) =>
        d.signature
          .split(".")
          .map((part) => Buffer.from(part, "base64url").toString("base64"))
          .join("."),
    ],
    ["the genuine token twice, glued into one entry", (d) => `${d.signature}${d.signature}`],
  ];
  for (const [label, make] of headerChanges)
    list.push({ name: `JWT ${label}`, legit: false, apply: (d) => withSignature(d, make(d)) });
  list.push(
    {
      name: "JWT without kid (signed with the trusted key)",
      legit: true,
      why: "a token without kid is checked against every trusted key that fits its alg; only the trusted key's signature verifies",
      apply: (d) => withSignature(d, token(d, { key: RSA_KEY, kid: undefined })),
    },
    {
      name: "JWT typ changed (signed with the trusted key)",
      legit: true,
      why: "typ is advisory (RFC 7519 §5.1) and Gemini documents none; only the trusted key can sign it",
      apply: (d) => withSignature(d, token(d, { key: RSA_KEY, header: { typ: "at+jwt" } })),
    },
    {
      name: "JWT: a token signed with a wrong key before the genuine one",
      legit: true,
      why: "any one valid entry suffices; up to two tokens are tried",
      apply: (d) => withSignature(d, `${token(d, { key: WRONG_RSA_KEY })} ${d.signature}`),
    },
  );
  return list;
}

/** Every mutation for `scheme`, the control (the genuine delivery itself) first. */
function mutationsFor(scheme: SchemeUnderTest, sample: GenuineDelivery): Mutation[] {
  const control: Mutation = {
    name: "control: the genuine delivery, unchanged",
    legit: true,
    why: "it is genuine",
    apply: (d) => wireOf(d),
  };
  const extra = scheme === JWT_SCHEME ? jwtMutations() : [];
  const all = [
    control,
    ...headerMutations(),
    ...idMutations(sample),
    ...timestampMutations(sample),
    ...signatureMutations(),
    ...extra,
  ];
  // A scheme whose signature does not cover the body cannot refuse body changes by signature alone.
  return scheme.bindsBody ? [...all, ...bodyMutations(sample)] : all;
}

interface Tally {
  tried: number;
  rejected: number;
  accepted: number;
  /** Changes to what the scheme does not sign, handled with the handler seeing only signed values. */
  inert: string[];
  /** Mutations that leave this scheme's delivery unchanged (e.g. base64url re-encoding of a JWT). */
  notApplicable: string[];
  forgedAccepted: string[];
  genuineLost: string[];
  legit: string[];
}

for (const scheme of SCHEMES) {
  describe(`mutations of a genuine ${scheme.name} delivery`, () => {
    let target: Target;
    const tally: Tally = {
      tried: 0,
      rejected: 0,
      accepted: 0,
      inert: [],
      notApplicable: [],
      forgedAccepted: [],
      genuineLost: [],
      legit: [],
    };
    before(async () => {
      target = await startTarget(scheme);
    });
    after(async () => {
      await target.close();
    });

    test("every forged mutation is refused with a 4xx and no handler run; every legit variation is handled", async () => {
      const sample = await genuine(scheme, sampleEventWithText());
      for (const mutation of mutationsFor(scheme, sample)) {
        const delivery = await genuine(scheme, sampleEventWithText());
        const wire = await mutation.apply(delivery, scheme);
        if (!mutation.legit && sameWire(wire, wireOf(delivery))) {
          tally.notApplicable.push(mutation.name);
          continue;
        }
        const runsBefore = target.runs.length;
        const answer = await sendWire(target.url, wire);
        const ran = target.runs.slice(runsBefore);
        tally.tried += 1;
        const unsigned = mutation.legit ? undefined : scheme.unsignedMutation?.(mutation.name);
        const sawOnlySignedValues =
          answer.status === 200 &&
          ran.length === 1 &&
          ran[0] === delivery.id &&
          target.timestamps.get(delivery.id) === signedTime(scheme, wire, delivery) &&
          target.bodies.get(delivery.id)!.equals(delivery.body);
        if (unsigned && sawOnlySignedValues) {
          tally.inert.push(mutation.name);
          continue;
        }
        if (mutation.legit) {
          assert.ok(mutation.why, `legit mutation "${mutation.name}" must say why it is legit`);
          tally.legit.push(mutation.name);
          if (sawOnlySignedValues) tally.accepted += 1;
          else tally.genuineLost.push(`${mutation.name}: ${answer.status} ${JSON.stringify(answer.json)}`);
          continue;
        }
        if (answer.status >= 400 && answer.status < 500 && ran.length === 0) tally.rejected += 1;
        else
          tally.forgedAccepted.push(
            `${mutation.name}: ${answer.status} ${JSON.stringify(answer.json)}, ${ran.length} handler run(s)`,
          );
        // The forgery must not have burned the id: the genuine delivery, sent next, is still handled once.
        const retry = await sendWire(target.url, wireOf(delivery));
        const retried = target.runs.slice(runsBefore + ran.length);
        if (!(retry.status === 200 && retry.json?.status === "received" && retried.length === 1)) {
          tally.genuineLost.push(`genuine after "${mutation.name}": ${retry.status} ${JSON.stringify(retry.json)}`);
        }
      }
      console.log(
        `[mutation ${scheme.name}] tried ${tally.tried} / rejected ${tally.rejected} / accepted ${tally.accepted + tally.inert.length} ` +
          `(${tally.accepted} legit variations, ${tally.inert.length} changes to unsigned headers with no effect) — ` +
          `forged accepted ${tally.forgedAccepted.length}, genuine lost ${tally.genuineLost.length}`,
      );
      console.log(`[mutation ${scheme.name}] legit variations handled: ${tally.legit.join("; ")}`);
      if (tally.inert.length > 0)
        console.log(`[mutation ${scheme.name}] unsigned, no effect: ${tally.inert.join("; ")}`);
      if (tally.notApplicable.length > 0)
        console.log(`[mutation ${scheme.name}] not applicable (no change): ${tally.notApplicable.join("; ")}`);
      assert.deepEqual(tally.forgedAccepted, [], "forged deliveries were accepted");
      assert.deepEqual(tally.genuineLost, [], "genuine deliveries were lost");
      assert.equal(tally.rejected + tally.accepted + tally.inert.length, tally.tried);
      assert.equal(target.store.outstanding.size, 0, "a claim was left behind");
    });

    test("a replay is refused once the timestamp leaves the window, and the retry with a new timestamp is a duplicate", async () => {
      const delivery = await genuine(scheme, sampleEventWithText());
      assert.equal((await sendWire(target.url, wireOf(delivery))).status, 200);
      const runs = target.runs.length;
      // Replayed inside the window: already handled, acknowledged without running the handler again.
      const replay = await sendWire(target.url, wireOf(delivery));
      assert.deepEqual([replay.status, replay.json], [200, { status: "duplicate" }]);
      // Replayed after the window (300 s): refused by the timestamp, before the dedupe store is even asked.
      target.clock.seconds = NOW_SECONDS + 301;
      try {
        const late = await sendWire(target.url, wireOf(delivery));
        assert.deepEqual([late.status, late.json.error], [401, "timestamp_too_old"]);
        const early = await sendWire(
          target.url,
          wireOf(await genuine(scheme, sampleEventWithText(), { timestamp: String(NOW_SECONDS + 301 + 301) })),
        );
        assert.deepEqual([early.status, early.json.error], [401, "timestamp_too_new"]);
        // Gemini's retry of the same message carries a new timestamp and signature: a duplicate, not a new run.
        const retry = await sendWire(
          target.url,
          wireOf(await genuine(scheme, delivery.body, { id: delivery.id, timestamp: String(NOW_SECONDS + 301) })),
        );
        assert.deepEqual([retry.status, retry.json], [200, { status: "duplicate" }]);
      } finally {
        target.clock.seconds = NOW_SECONDS;
      }
      assert.equal(target.runs.length, runs, "a replay ran the handler");
    });
  });
}

// Forgeries this suite found, kept as named regression tests (each was answered 200 and ran the handler).
describe("regressions found by the mutation suite", () => {
  for (const scheme of SCHEMES) {
    test(`${scheme.name}: a webhook-timestamp with a leading zero is refused (signed text ≠ text sent)`, async () => {
      const target = await startTarget(scheme);
      try {
        const delivery = await genuine(scheme, sampleEventWithText());
        const answer = await sendWire(target.url, {
          ...wireOf(delivery),
          headers: wireOf(delivery).headers.map(([n, v]) => [n, n === TS ? `0${v}` : v]),
        });
        assert.deepEqual([answer.status, answer.json.error], [400, "invalid_headers"]);
        assert.equal(target.runs.length, 0);
      } finally {
        await target.close();
      }
    });
  }
});

describe("regressions found by the mutation suite: bodies that are not UTF-8", () => {
  for (const scheme of SCHEMES) {
    test(`${scheme.name}: a body whose U+FFFD was swapped for an invalid UTF-8 byte is refused`, async () => {
      const target = await startTarget(scheme);
      try {
        const delivery = await genuine(scheme, sampleEventWithText());
        const marker = Buffer.from("\uFFFD", "utf8");
        const at = delivery.body.indexOf(marker);
        const forged = Buffer.concat([
          delivery.body.subarray(0, at),
          Buffer.from([0xff]),
          delivery.body.subarray(at + marker.length),
        ]);
        const answer = await sendWire(target.url, { ...wireOf(delivery), body: forged });
        assert.deepEqual([answer.status, answer.json.error], [401, "invalid_signature"]);
        assert.equal(target.runs.length, 0);
        // The genuine bytes, with their U+FFFD, are still handled.
        assert.equal((await sendWire(target.url, wireOf(delivery))).status, 200);
        assert.ok(target.bodies.get(delivery.id)!.equals(delivery.body));
      } finally {
        await target.close();
      }
    });
  }
});

describe("regressions found by the mutation suite: JWT", () => {
  test("the handler's ctx.timestamp is the token's signed iat, not the unsigned webhook-timestamp", async () => {
    const target = await startTarget(JWT_SCHEME);
    try {
      const delivery = await genuine(JWT_SCHEME, sampleEventWithText());
      const shifted = String(Number(delivery.timestamp) + 7); // inside the window: the header alone cannot refuse it
      const answer = await sendWire(target.url, {
        ...wireOf(delivery),
        headers: wireOf(delivery).headers.map(([n, v]) => [n, n === TS ? shifted : v]),
      });
      assert.equal(answer.status, 200);
      assert.equal(target.timestamps.get(delivery.id), Number(delivery.timestamp));
    } finally {
      await target.close();
    }
  });

  test("a JWT whose signature's unused trailing bits were changed (same bytes, other text) is refused", async () => {
    const target = await startTarget(JWT_SCHEME);
    try {
      const delivery = await genuine(JWT_SCHEME, sampleEventWithText());
      // RS256-2048: 256 bytes in 342 base64url characters, so the last character's low 4 bits are padding.
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      const last = alphabet.indexOf(delivery.signature.at(-1)!);
      const malleated = delivery.signature.slice(0, -1) + alphabet[last ^ 1];
      assert.ok(
        Buffer.from(malleated.split(".")[2]!, "base64url").equals(
          Buffer.from(delivery.signature.split(".")[2]!, "base64url"),
        ),
      );
      const answer = await sendWire(target.url, {
        ...wireOf(delivery),
        headers: wireOf(delivery).headers.map(([n, v]) => [n, n === SIG ? malleated : v]),
      });
      assert.deepEqual([answer.status, answer.json.error], [401, "invalid_signature"]);
      assert.equal(target.runs.length, 0);
    } finally {
      await target.close();
    }
  });
});

test("docs/security.md's table lists every answer code of src/errors.ts with its status", async () => {
  const { readFile } = await import("node:fs/promises");
  const { ANSWERS } = await import("../src/errors.js");
  const section = await readFile(new URL("../docs/security.md", import.meta.url), "utf8");
  for (const [code, { status }] of Object.entries(ANSWERS)) {
    assert.match(
      section,
      new RegExp(`\\| \`${code}\` \\| ${status}\\b`),
      `${code} (${status}) is missing from the Security model table`,
    );
  }
});
