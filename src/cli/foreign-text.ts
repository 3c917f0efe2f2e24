/**
 * Text the CLI did not write (a receiver's answer, names and URIs from the API, the user's own arguments) is
 * printed only through these functions: a terminal obeys control characters, so raw ones could clear the
 * screen, retitle the window or forge a line that looks like the CLI's own ("FAKE: 200 received").
 */

// C0 controls (newline and tab included: foreign text is always shown on one line), DEL, C1 controls, and
// the invisible bidirectional overrides that make a terminal show characters in another order than sent.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const DEFAULT_MAX_LENGTH = 300;

/**
 * `text` made safe to print on one line: every control character shown escaped (`\n`, `\u001b`), so what it
 * tried to do stays visible without happening; shortened to `maxLength` characters with a trailing `…`.
 */
export function foreignText(text: unknown, maxLength = DEFAULT_MAX_LENGTH): string {
  const escaped = String(text).replace(UNPRINTABLE, escapeCharacter);
  return escaped.length > maxLength ? `${escaped.slice(0, maxLength)}…` : escaped;
}

function escapeCharacter(character: string): string {
  if (character === "\n") return "\\n";
  if (character === "\r") return "\\r";
  if (character === "\t") return "\\t";
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** A URL to print: without its user name and password (`http://alice:pw@host/` → `http://***@host/`), escaped. */
export function printableUrl(url: URL): string {
  if (url.username === "" && url.password === "") return foreignText(url.href);
  const copy = new URL(url.href);
  copy.username = "***";
  copy.password = "";
  return foreignText(copy.href);
}

// Standard Webhooks secrets (whsec_), Gemini API keys (AIza...), and private PEM blocks.
const SECRET_SHAPES = [/whsec_/i, /\bAIza[0-9A-Za-z_-]{20,}/, /-----BEGIN [A-Z ]*PRIVATE KEY-----/];

/** True when `text` looks like a signing secret or an API key, which must never be echoed back to the terminal. */
export function looksLikeSecret(text: string): boolean {
  return SECRET_SHAPES.some((shape) => shape.test(text));
}

/**
 * A user's argument, to quote in an error message: escaped, or replaced by a description when it looks like a
 * secret (a pasted secret ends up in scrollback, screenshots and CI logs otherwise).
 */
export function quotedArgument(text: string): string {
  return looksLikeSecret(text) ? "(a value that looks like a secret, not shown)" : `"${foreignText(text, 200)}"`;
}
