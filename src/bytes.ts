// Byte helpers on Uint8Array for the path every runtime shares (Node, workerd, Deno, Bun, Vercel Edge): no
// Buffer, no node:* module. A Node Buffer is a Uint8Array, so everything here takes one as it is.

const encoder = new TextEncoder();
// The BOM is kept, as Buffer's toString keeps it: a body starting with one is not JSON on any runtime.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_VALUES = new Int16Array(128).fill(-1);
for (let index = 0; index < BASE64_ALPHABET.length; index++) BASE64_VALUES[BASE64_ALPHABET.charCodeAt(index)] = index;

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

const BASE64_CODES = Uint8Array.from(BASE64_ALPHABET, (character) => character.charCodeAt(0));
const PADDING = 61; // "="

/**
 * Standard base64 with padding, as Standard Webhooks spells signatures. The characters are written as bytes and
 * decoded once: building the text by concatenation made a string per character (a queued body is encoded for
 * every delivery).
 */
export function base64Encode(bytes: Uint8Array): string {
  const text = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let written = 0;
  let index = 0;
  for (; index + 2 < bytes.length; index += 3) {
    const triple = (bytes[index]! << 16) | (bytes[index + 1]! << 8) | bytes[index + 2]!;
    text[written++] = BASE64_CODES[triple >> 18]!;
    text[written++] = BASE64_CODES[(triple >> 12) & 63]!;
    text[written++] = BASE64_CODES[(triple >> 6) & 63]!;
    text[written++] = BASE64_CODES[triple & 63]!;
  }
  const rest = bytes.length - index;
  if (rest > 0) {
    const value = (bytes[index]! << 16) | (rest === 2 ? bytes[index + 1]! << 8 : 0);
    text[written++] = BASE64_CODES[value >> 18]!;
    text[written++] = BASE64_CODES[(value >> 12) & 63]!;
    text[written++] = rest === 2 ? BASE64_CODES[(value >> 6) & 63]! : PADDING;
    text[written++] = PADDING;
  }
  return decoder.decode(text);
}

/** base64url without padding (RFC 4648 §5), as JWK members and thumbprints are spelt. */
export function base64UrlEncode(bytes: Uint8Array): string {
  return base64Encode(bytes).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * Strict base64 decoding: the standard alphabet, padded to a multiple of 4, and nothing else; `undefined` for
 * anything else. Callers that must accept one spelling per value also compare `base64Encode` of the result
 * with the text (the unused low bits of the last character are then zero).
 */
export function base64Decode(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  let written = 0;
  for (let index = 0; index < text.length; index += 4) {
    let quad = 0;
    for (let offset = 0; offset < 4; offset++) {
      const position = index + offset;
      const code = text.charCodeAt(position);
      let value: number;
      if (code === 61 /* = */ && position >= text.length - padding) value = 0;
      else if (code < 128 && (value = BASE64_VALUES[code]!) >= 0) {
        // a digit
      } else return undefined;
      quad = (quad << 6) | value;
    }
    if (written < bytes.length) bytes[written++] = quad >> 16;
    if (written < bytes.length) bytes[written++] = (quad >> 8) & 255;
    if (written < bytes.length) bytes[written++] = quad & 255;
  }
  return bytes;
}

/** base64url (or standard base64) without padding, as JWK members are spelt: padded and translated, then strict. */
export function base64UrlDecode(text: string): Uint8Array | undefined {
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  return base64Decode(standard + "=".repeat((4 - (standard.length % 4)) % 4));
}

/**
 * The decoded bytes of `text` only if `text` is the canonical padded base64 of exactly `length` bytes. The strict
 * decoder already refused anything but the alphabet and padding at the end, and `length` fixes how much padding;
 * what is left is the unused low bits of the last character before the padding, which must be zero. Checked on the
 * text, not by encoding the bytes again: that built a new string for every signature of every delivery.
 */
export function canonicalBase64(text: string, length: number): Uint8Array | undefined {
  const bytes = base64Decode(text);
  if (bytes === undefined || bytes.length !== length) return undefined;
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  if (padding === 0) return bytes;
  // One "=" leaves 2 unused bits in the character before it, two leave 4.
  const unusedBits = padding === 1 ? 0b11 : 0b1111;
  return (BASE64_VALUES[text.charCodeAt(text.length - 1 - padding)]! & unusedBits) === 0 ? bytes : undefined;
}

export function hexEncode(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0");
  return text;
}

export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  const size = total ?? parts.reduce((sum, part) => sum + part.byteLength, 0);
  const result = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.byteLength;
  }
  return result;
}

/**
 * Whether two byte strings are equal, in a time that depends only on their lengths (which are public: a
 * signature's length is fixed), never on where they first differ.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= a[index]! ^ b[index]!;
  return difference === 0;
}

/** Plain equality, for values that are not secret (keys compared with each other at start-up). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}
