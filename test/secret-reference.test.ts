// Every spelling of a signing secret, against the reference `standardwebhooks` library: for each, either both
// libraries derive the same HMAC key (checked by verifying the reference's own signature), or this package
// refuses the secret at start-up with a sentence that names what is wrong (and never quotes the secret).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { geminiWebhooks } from "../src/index.js";
import { nodeCrypto } from "../src/crypto/node.js";
import { createHmacVerifier } from "../src/verify/hmac.js";
import { secretProblem } from "../src/verify/secret.js";
import { parseSignatureHeader } from "../src/verify/signature-list.js";

const key24 = Buffer.from(Array.from({ length: 24 }, (_, i) => (i * 37 + 11) % 256));
const key32 = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 8 + 3) % 256)); // base64 has "+" and "/"
const padded24 = key24.toString("base64"); // 32 characters, no padding needed
const padded32 = key32.toString("base64"); // 44 characters, one "="
const unpadded32 = padded32.replace(/=+$/, "");
const urlSafe32 = key32.toString("base64url");

/** What the reference does with a secret: the signature it makes over a fixed message, or undefined if it throws. */
function referenceSignature(secret: string): string | undefined {
  try {
    return new Webhook(secret).sign("msg_1", new Date(1_700_000_000_000), '{"type":"batch.succeeded"}');
  } catch {
    return undefined;
  }
}

/** Whether this package, given `secret`, verifies the reference's signature made with `referenceSecret`. */
function oursVerifiesReference(secret: string, referenceSecret: string): boolean {
  const header = referenceSignature(referenceSecret)!;
  const body = new TextEncoder().encode('{"type":"batch.succeeded"}');
  return createHmacVerifier([secret], nodeCrypto)(parseSignatureHeader(header), "msg_1", 1_700_000_000, body) === 0;
}

type Row = [name: string, secret: string, expected: "same key" | RegExp];
const rows: Row[] = [
  ["whsec_ + padded base64 (no padding needed)", `whsec_${padded24}`, "same key"],
  ["whsec_ + padded base64 (one =)", `whsec_${padded32}`, "same key"],
  ["whsec_ + unpadded base64", `whsec_${unpadded32}`, "same key"],
  ["no prefix, padded", padded32, "same key"],
  ["no prefix, unpadded", unpadded32, "same key"],
  ["URL-safe alphabet (- and _)", `whsec_${urlSafe32}`, /uses the URL-safe base64 alphabet/],
  ["URL-safe alphabet, no prefix", urlSafe32, /uses the URL-safe base64 alphabet/],
  ["leading space", ` whsec_${padded24}`, /starts or ends with whitespace/],
  ["trailing newline (from a file)", `whsec_${padded24}\n`, /ends with a newline/],
  ["trailing CRLF", `whsec_${padded24}\r\n`, /ends with a newline/],
  ["trailing tab", `whsec_${padded24}\t`, /starts or ends with whitespace/],
  ["a space inside", `whsec_${padded24.slice(0, 8)} ${padded24.slice(8)}`, /contains whitespace/],
  ["double quotes", `"whsec_${padded24}"`, /wrapped in quotes/],
  ["single quotes", `'whsec_${padded24}'`, /wrapped in quotes/],
  ["upper-case prefix", `WHSEC_${padded24}`, /the prefix is lower-case "whsec_"/],
  ["prefix twice", `whsec_whsec_${padded24}`, /prefix twice/],
  ["cut off: 12 bytes", `whsec_${padded24.slice(0, 16)}`, /is too short: it decodes to 12 bytes/],
  [
    "cut off to 5 characters",
    "whsec_BwcHB",
    /is too short: 5 base64 characters after the prefix, a signing secret has at least 22/,
  ],
  ["one character too many", `whsec_${padded24}A`, /33 base64 characters after the prefix, which no key encodes to/],
  ["padding the length does not need", `whsec_${padded24}=`, /padding \("="\) its length does not call for/],
  ["too much padding", `whsec_${padded32}=`, /padding \("="\) its length does not call for/],
  ["not base64 at all", "whsec_not*base64!", /is not a valid signing secret/],
  ["only the prefix", "whsec_", /is not a valid signing secret|too short/],
  ["empty", "", /is empty/],
];

describe("signing secrets: this package and the reference standardwebhooks library agree, or we refuse precisely", () => {
  for (const [name, secret, expected] of rows) {
    test(name, () => {
      const problem = secretProblem(secret);
      if (expected === "same key") {
        assert.equal(problem, undefined, `accepted: ${problem}`);
        assert.ok(referenceSignature(secret), "the reference accepts it too");
        assert.equal(oursVerifiesReference(secret, secret), true, "both derive the same key");
        assert.doesNotThrow(() => geminiWebhooks({ secret }));
        return;
      }
      assert.ok(problem, "refused");
      assert.match(problem, expected);
      const body = secret.replace(/^["' ]*(whsec_)?/i, "").trim();
      if (body.length >= 8) assert.equal(problem.includes(body), false, "the secret is not quoted back");
      assert.throws(
        () => geminiWebhooks({ secret }),
        (error: Error) => {
          assert.match(error.message, /^geminiWebhooks: option "secret" /);
          assert.match(error.message, expected);
          return true;
        },
      );
    });
  }

  test("whatever we accept, the reference accepts with the same key (any key of 16 to 64 bytes, any accepted spelling)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        fc.boolean(),
        fc.boolean(),
        (bytes, prefixed, padded) => {
          let encoded = Buffer.from(bytes).toString("base64");
          if (!padded) encoded = encoded.replace(/=+$/, "");
          const secret = prefixed ? `whsec_${encoded}` : encoded;
          assert.equal(secretProblem(secret), undefined, secret);
          assert.equal(oursVerifiesReference(secret, secret), true, secret);
          // The same key whichever spelling either side was given.
          assert.equal(oursVerifiesReference(secret, `whsec_${Buffer.from(bytes).toString("base64")}`), true);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("where the reference accepts a spelling we refuse, it is one a user should fix, never a different key we could use", () => {
    // The reference tolerates these: it ignores one trailing whitespace character and surplus padding, drops an odd
    // last character, and takes keys shorter than any Gemini issues. Each is a copy-paste slip or a truncated
    // value; refusing it at start-up with the fix is louder than every delivery failing later with 401.
    const toleratedByReference = rows.filter(
      ([, secret, expected]) => expected !== "same key" && referenceSignature(secret),
    );
    assert.deepEqual(
      toleratedByReference.map(([name]) => name).sort(),
      [
        "cut off: 12 bytes",
        "cut off to 5 characters",
        "one character too many",
        "padding the length does not need",
        "too much padding",
        "trailing newline (from a file)",
        "trailing tab",
      ].sort(),
    );
  });
});
