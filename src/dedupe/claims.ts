import { WebhookError } from "../errors.js";
import { isThenable, type ClaimResult, type DedupeStore } from "./store.js";

/**
 * The receiver's policy around a dedupe store: a claim that fails refuses the delivery (503, Gemini retries);
 * completing or releasing that fails is only reported, since the answer is already decided by then.
 * Sync-first: a store that answers synchronously (the memory store) costs no promise and no async hop.
 */
export interface Claims {
  claim(id: string): ClaimResult | Promise<ClaimResult>;
  /** The handlers ran (or the job is stored): answering 5xx now would make them run again. */
  complete(id: string): void | Promise<void>;
  /** Not done: forget the claim so Gemini's retry is processed. An unreleased claim expires on its own. */
  release(id: string): void | Promise<void>;
}

export function createClaims(store: DedupeStore, reportError: (error: WebhookError) => void): Claims {
  function quietly(operation: "complete" | "release", id: string, detail: string): void | Promise<void> {
    const report = (cause: unknown) => reportError(new WebhookError("store_unavailable", { webhookId: id, cause, detail }));
    try {
      const result = store[operation](id);
      if (isThenable(result)) return Promise.resolve(result).then(undefined, report);
    } catch (cause) {
      report(cause);
    }
  }

  return {
    claim(id) {
      const unavailable = (cause: unknown) => new WebhookError("store_unavailable", { webhookId: id, cause });
      try {
        const result = store.claim(id);
        return isThenable(result)
          ? Promise.resolve(result).catch((cause: unknown) => {
              throw unavailable(cause);
            })
          : result;
      } catch (cause) {
        throw unavailable(cause);
      }
    },
    complete: (id) => quietly("complete", id, "could not mark the delivery done"),
    release: (id) => quietly("release", id, "could not release the claim"),
  };
}
