import { WebhookError } from "../errors.js";

/** One entry of `webhook-signature`: `v1,<base64>`, `v1a,<base64>`, or a compact JWT (`version: "jwt"`). */
export interface SignatureEntry {
  version: string;
  value: string;
}

/**
 * Space-separated parts read from one header, at most (what is not an entry counts too): verification is capped per scheme (MAX_V1A_ENTRIES, MAX_JWT_ENTRIES), so
 * parsing is too: a forged header of thousands of entries costs what one of this many does. Gemini sends one or
 * two (two during a key rotation).
 */
export const MAX_SIGNATURE_ENTRIES = 8;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/**
 * Splits `webhook-signature` into entries. Entries are space-separated (the spec); Node joins a
 * repeated header with ", ", so a comma after an entry is a separator too (base64 has no commas).
 */
export function parseSignatureHeader(header: string, webhookId?: string): SignatureEntry[] {
  // The usual header, one `version,value` entry and nothing else: no split, no regular expression.
  const single = singleEntry(header);
  if (single) return [single];
  const entries: SignatureEntry[] = [];
  const tokens = /\S+/g;
  for (
    let read = 0, found = tokens.exec(header);
    found && read < MAX_SIGNATURE_ENTRIES;
    read++, found = tokens.exec(header)
  ) {
    let token = found[0];
    while (token.endsWith(",")) token = token.slice(0, -1);
    if (token === "") continue;
    const comma = token.indexOf(",");
    if (comma > 0 && comma < token.length - 1) {
      entries.push({ version: token.slice(0, comma), value: token.slice(comma + 1) });
    } else if (comma === -1 && COMPACT_JWS.test(token)) {
      entries.push({ version: "jwt", value: token });
    }
  }
  if (entries.length === 0)
    throw new WebhookError("invalid_headers", { webhookId, detail: "webhook-signature has no entries" });
  return entries;
}

/**
 * The one entry of a header that is exactly `version,value` (no whitespace, one comma inside) or exactly one
 * compact JWT, else undefined.
 */
function singleEntry(header: string): SignatureEntry | undefined {
  for (let i = 0; i < header.length; i++) {
    const code = header.charCodeAt(i);
    // Whitespace as /\s/ sees it in ASCII, plus anything non-ASCII (left to the general path).
    if (code <= 0x20 || code >= 0x7f) return undefined;
  }
  const comma = header.indexOf(",");
  if (comma === -1) return COMPACT_JWS.test(header) ? { version: "jwt", value: header } : undefined;
  if (comma === 0 || comma === header.length - 1 || header.indexOf(",", comma + 1) !== -1) return undefined;
  return { version: header.slice(0, comma), value: header.slice(comma + 1) };
}
