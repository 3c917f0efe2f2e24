/**
 * The Gemini API client every admin command uses: the official SDK (`@google/genai`, an optional peer
 * dependency, loaded only here), the API key found where the SDK looks for it, and a base URL that cannot
 * carry the key in clear text over a network.
 */
import type { GoogleGenAI } from "@google/genai";
import { isLoopbackHostname } from "../../verify/jwks-options.js";
import { foreignText, printableUrl } from "../foreign-text.js";
import { UsageError } from "../usage.js";
import { CommandFailure, type WebhookAdmin } from "./gemini-api.js";

export const DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com";

/** The SDK's order (its getApiKeyFromEnv): GOOGLE_API_KEY wins when both are set. */
const API_KEY_VARIABLES = ["GOOGLE_API_KEY", "GEMINI_API_KEY"] as const;

export interface GeminiClient {
  /** The SDK's client, for any service (webhooks, batches, interactions, ...). */
  sdk: GoogleGenAI;
  /** `sdk.webhooks`, narrowed to what the CLI uses (checked against the SDK's types at build time). */
  webhooks: WebhookAdmin;
  /** Where requests go, printable: Gemini's API, or GOOGLE_GEMINI_BASE_URL (a local fake in tests). */
  baseUrl: string;
  /** The key sent as `x-goog-api-key`: never print it (see redactingApiKey). */
  apiKey: string;
  /** The variable the key came from. */
  apiKeyVariable: (typeof API_KEY_VARIABLES)[number];
}

/**
 * Builds the SDK client from the environment: the API key from GOOGLE_API_KEY or GEMINI_API_KEY (in the SDK's
 * order), the endpoint from GOOGLE_GEMINI_BASE_URL (default Gemini's). Everything is checked before the SDK is
 * loaded: a missing key or an http endpoint off this machine is a UsageError naming the fix (exit 2); a missing
 * SDK is a CommandFailure saying what to install. `command` names the CLI command in those messages.
 */
export async function createGeminiClient(env: NodeJS.ProcessEnv, command: string): Promise<GeminiClient> {
  const apiKeyVariable = API_KEY_VARIABLES.find((name) => env[name]?.trim());
  if (apiKeyVariable === undefined) {
    throw new UsageError(
      "no Gemini API key: export GEMINI_API_KEY (or GOOGLE_API_KEY, which the SDK prefers when both are set) " +
        "with your key from https://aistudio.google.com/apikey.",
      command,
    );
  }
  const apiKey = env[apiKeyVariable]!.trim();
  const baseUrl = checkedBaseUrl(env.GOOGLE_GEMINI_BASE_URL?.trim() || DEFAULT_BASE_URL, command);
  const sdk = await loadSdk(command);
  // Everything explicit, so the SDK's own reading of the environment (Vertex AI, base URLs) cannot differ.
  const client = new sdk.GoogleGenAI({ vertexai: false, apiKey, httpOptions: { baseUrl: baseUrl.href } });
  const webhooks: WebhookAdmin = client.webhooks;
  // As given (credentials were refused above): the user recognises what they set.
  const shownBaseUrl = foreignText(env.GOOGLE_GEMINI_BASE_URL?.trim() || DEFAULT_BASE_URL, 200);
  return { sdk: client, webhooks, baseUrl: shownBaseUrl, apiKey, apiKeyVariable };
}

/**
 * The SDK sends the API key in a header on every request: over plain http it would cross the network in
 * clear text. Plain http is allowed only to this machine (a local fake API, a tunnel), by the same loopback
 * rule as the receiver's jwks.url; there is no opt-out, since a remote endpoint can always be reached over
 * https or through a local tunnel.
 */
function checkedBaseUrl(text: string, command: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `GOOGLE_GEMINI_BASE_URL "${foreignText(text, 200)}" is not a URL; unset it to use ${DEFAULT_BASE_URL}.`,
      command,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new UsageError(
      "GOOGLE_GEMINI_BASE_URL must not contain a user name or password: the API key is the credential.",
      command,
    );
  }
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHostname(url.hostname))) return url;
  throw new UsageError(
    `GOOGLE_GEMINI_BASE_URL ${printableUrl(url)} would send your API key in clear text: use https ` +
      "(plain http is allowed for localhost, 127.0.0.1 and [::1] only), or unset it to use " +
      `${DEFAULT_BASE_URL}.`,
    command,
  );
}

async function loadSdk(command: string): Promise<typeof import("@google/genai")> {
  try {
    return await import("@google/genai");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new CommandFailure(
        `\`gemini-webhooks ${command}\` talks to the Gemini API through Google's official SDK, which is not installed: ` +
          "run `npm install @google/genai` (an optional peer dependency; `send` and `secret` work without it).",
      );
    }
    throw error;
  }
}

/** Shorter "keys" are not real API keys (those are ~39 characters), and redacting them would garble output. */
const MIN_REDACTED_LENGTH = 8;

/** An Io whose every line has the API key replaced, so an API message echoing the key cannot print it. */
export function redactingApiKey<T extends { out(line: string): void; err(line: string): void }>(
  io: T,
  apiKey: string,
): T {
  if (apiKey.length < MIN_REDACTED_LENGTH) return io;
  const scrub = (line: string) => line.split(apiKey).join("[redacted API key]");
  return { ...io, out: (line: string) => io.out(scrub(line)), err: (line: string) => io.err(scrub(line)) };
}
