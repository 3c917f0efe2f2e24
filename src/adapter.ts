import type { DedupeStore } from "./dedupe/store.js";
import type { Pipeline } from "./pipeline.js";
import type { RawBodyLimits } from "./raw-body.js";

/**
 * What a framework adapter  needs from a receiver: the pipeline and the body limits. Internal:
 * kept on the receiver under a symbol so the public type and the main entry expose none of it.
 */
export interface ReceiverCore {
  readonly pipeline: Pipeline;
  readonly limits: RawBodyLimits;
  /** The receiver's dedupe store (catch-up reads its tracked jobs and its ttlMs). */
  readonly dedupe: DedupeStore | undefined;
}

// Symbol.for, not Symbol(): a receiver made by the ESM build must still open for an adapter loaded from the
// CJS build (one app can mix `import` and `require`), and each build has its own copy of this module.
const CORE = Symbol.for("gemini-webhooks-express.core");

export function attachReceiverCore(receiver: object, core: ReceiverCore): void {
  Object.defineProperty(receiver, CORE, { value: core });
}

/** The core of a receiver made by `geminiWebhooks()`; a TypeError naming `caller` for anything else. */
export function receiverCore(receiver: unknown, caller: string): ReceiverCore {
  const core = typeof receiver === "function" ? (receiver as { [CORE]?: ReceiverCore })[CORE] : undefined;
  if (!core) throw new TypeError(`${caller}: pass the receiver returned by geminiWebhooks().`);
  return core;
}
