// The shared path's base64 against Buffer's: base64Encode spells every byte string as Buffer does, and
// canonicalBase64 (the v1 and v1a signature decoder) accepts a text exactly when Buffer decodes it to `length`
// bytes and encodes those bytes back to the same text, and then to the same bytes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { base64Encode, canonicalBase64 } from "../src/bytes.js";
import { seededRandom } from "./support/seeded-random.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

describe("canonicalBase64", () => {
  it("accepts exactly what Buffer round-trips unchanged, for 32 (v1) and 64 (v1a) bytes and short lengths", () => {
    const random = seededRandom(0xc4b64);
    const pick = (characters: string) => characters[Math.floor(random() * characters.length)]!;
    let accepted = 0;
    let checked = 0;
    for (const length of [1, 2, 3, 4, 5, 32, 64]) {
      const encodedLength = Math.ceil(length / 3) * 4;
      for (let round = 0; round < 3_000; round++) {
        const bytes = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
        let text = bytes.toString("base64");
        if (round % 3 === 1) {
          // The last character before the padding replaced: canonical only if its unused bits stay zero.
          const last = text.replace(/=+$/, "").length - 1;
          text = text.slice(0, last) + pick(ALPHABET) + text.slice(last + 1);
        } else if (round % 3 === 2) {
          // Stray characters, padding anywhere, a length one off.
          const size = encodedLength + Math.floor(random() * 3) - 1;
          text = Array.from({ length: size }, () => pick(`${ALPHABET}=-_ `)).join("");
        }
        const expected = Buffer.from(text, "base64");
        const canonical = expected.length === length && expected.toString("base64") === text;
        const got = canonicalBase64(text, length);
        assert.equal(got !== undefined, canonical, `${JSON.stringify(text)} for ${length} bytes`);
        if (got) assert.deepEqual(Buffer.from(got), expected);
        if (canonical) accepted++;
        checked++;
      }
    }
    assert.ok(accepted > 1_000 && accepted < checked - 1_000, `both answers are exercised (${accepted} of ${checked})`);
  });

  it("refuses a 32-byte signature whose last character carries non-zero unused bits", () => {
    const canonical = Buffer.alloc(32, 7).toString("base64");
    assert.ok(canonicalBase64(canonical, 32));
    const last = canonical.length - 2;
    const flipped = canonical.slice(0, last) + ALPHABET[ALPHABET.indexOf(canonical[last]!) | 1] + "=";
    assert.notEqual(flipped, canonical);
    assert.deepEqual(Buffer.from(flipped, "base64"), Buffer.from(canonical, "base64"));
    assert.equal(canonicalBase64(flipped, 32), undefined);
  });
});

describe("base64Encode", () => {
  it("spells every byte string as Buffer does (every length 0–300, seeded random bytes)", () => {
    const random = seededRandom(0xe4c0de);
    for (let length = 0; length <= 300; length++) {
      for (let round = 0; round < 5; round++) {
        const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
        assert.equal(base64Encode(bytes), Buffer.from(bytes).toString("base64"), `${length} bytes`);
      }
    }
    assert.equal(base64Encode(new Uint8Array([255, 255, 255, 0, 0])), "////AAA=");
  });
});
