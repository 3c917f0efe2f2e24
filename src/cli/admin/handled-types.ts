/**
 * `webhooks create --from <module>`: the event types a receiver module handles, read from the receivers it
 * exports. TypeScript modules load through tsx when the user's project has it (it is not a dependency of
 * this package).
 */
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { canonicalEventType } from "../../events.js";
import { foreignText } from "../foreign-text.js";
import type { Io } from "../io.js";
import { UsageError } from "../usage.js";
import { CommandFailure } from "./gemini-api.js";

const TYPESCRIPT_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx"]);

/** What a receiver made by `geminiWebhooks()` offers, looked for among a module's exports. */
interface ReceiverLike {
  on: unknown;
  registeredTypes(): string[];
}

function isReceiver(value: unknown): value is ReceiverLike {
  return (
    typeof value === "function" &&
    typeof (value as Partial<ReceiverLike>).on === "function" &&
    typeof (value as Partial<ReceiverLike>).registeredTypes === "function"
  );
}

/** The documented types the module's exported receivers have `on()` handlers for (aliases under their documented name). */
export async function typesHandledBy(path: string, io: Io): Promise<string[]> {
  const shown = foreignText(path, 200);
  const exports = await loadModule(path, shown);
  const receivers = [...new Set(Object.values(exports).filter(isReceiver))];
  if (receivers.length === 0) {
    throw new UsageError(
      `--from ${shown} exports no receiver: export the value geminiWebhooks() returns, e.g. \`export const webhooks = geminiWebhooks({ ... })\`.`,
      "webhooks",
    );
  }
  const types = [...new Set(receivers.flatMap((receiver) => receiver.registeredTypes()).map(canonicalEventType))];
  if (types.length === 0) {
    throw new UsageError(
      `the receiver in ${shown} has no on() handlers (onAny alone handles every type): pass --events, or leave out --from to subscribe to the whole catalog.`,
      "webhooks",
    );
  }
  io.out(
    `Subscribing to the ${types.length} type${types.length === 1 ? "" : "s"} ${shown} handles: ${types.map((type) => foreignText(type, 100)).join(", ")}.`,
  );
  return types;
}

async function loadModule(path: string, shown: string): Promise<Record<string, unknown>> {
  const absolute = resolve(path);
  const typescript = TYPESCRIPT_EXTENSIONS.has(extname(absolute).toLowerCase());
  const load = typescript ? await typescriptLoader(absolute, shown) : (url: string) => import(url);
  try {
    return (await load(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CommandFailure(`could not load --from ${shown}: ${foreignText(firstLine(error))}.${loadTip(error)}`);
  }
}

/** Named through a constant: tsx is not a dependency, so its types may not be there at build time either. */
const TSX_API = "tsx/esm/api";

interface TsxApi {
  tsImport(specifier: string, parentUrl: string): Promise<unknown>;
}

/**
 * tsx's `tsImport`, resolved like any import of this CLI: from the project it is installed in, since this
 * package does not depend on tsx. Without it, the error names the ways out.
 */
async function typescriptLoader(absolute: string, shown: string): Promise<(url: string) => Promise<unknown>> {
  let api: TsxApi;
  try {
    api = (await import(TSX_API)) as TsxApi;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") throw error;
    throw new CommandFailure(
      `--from ${shown} is TypeScript, and tsx (which loads it) is not installed. Either install it ` +
        "(npm install --save-dev tsx) and run this again, run the CLI through it (npx tsx node_modules/.bin/gemini-webhooks " +
        "webhooks create ...), or compile first and pass the built .js file (e.g. --from ./dist/server.js).",
    );
  }
  return (url) => api.tsImport(url, pathToFileURL(absolute).href);
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split("\n")[0] ?? "";
}

/** A hint only where it fits: the receiver throws at import when it has no secret. */
function loadTip(error: unknown): string {
  if (!/secret/i.test(firstLine(error))) return "";
  return (
    " If the module needs a secret to start, give this command any development secret: " +
    "GEMINI_WEBHOOK_SECRET=$(npx gemini-webhooks secret) npx gemini-webhooks webhooks create ..."
  );
}
