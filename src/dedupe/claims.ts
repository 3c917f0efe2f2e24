import { WebhookError } from "../errors.js";
import { isThenable } from "../maybe-promise.js";
import type { ClaimResult, DedupeStore } from "./store.js";
import { isTrackingStore, type TrackingStore } from "./tracking.js";

/**
 * The receiver's policy around a dedupe store: a claim that fails refuses the delivery (503, Gemini retries);
 * completing or releasing that fails is only reported, since the answer is already decided by then.
 * Sync-first: a store that answers synchronously (the memory store) costs no promise and no async hop.
 */
export interface DedupeClaims {
  claim(id: string): ClaimResult | Promise<ClaimResult>;
  /** The handlers ran (or the job is stored): answering 5xx now would make them run again. */
  complete(id: string): void | Promise<void>;
  /** Not done: forget the claim so Gemini's retry is processed. An unreleased claim expires on its own. */
  release(id: string): void | Promise<void>;
  /**
   * A tracked job's completion was handled: stop tracking it (only reported if that fails: catch-up finds it
   * handled and stops then). Present only when the store keeps tracked jobs.
   */
  untrack?(key: string): void | Promise<void>;
}

export function createDedupeClaims(store: DedupeStore, reportError: (error: WebhookError) => void): DedupeClaims {
  // Closures are made only on the error and promise paths: the memory store's calls allocate nothing here.
  function quietly(operation: "complete" | "release" | "untrack", id: string, detail: string): void | Promise<void> {
    try {
      // untrack is only offered (below) for a store that has it.
      const result = (store as DedupeStore & Partial<TrackingStore>)[operation]!(id);
      if (isThenable(result))
        return Promise.resolve(result).then(undefined, (cause: unknown) => reportError(unavailable(id, cause, detail)));
    } catch (cause) {
      reportError(unavailable(id, cause, detail));
    }
  }

  return {
    claim(id) {
      let result: ClaimResult | PromiseLike<ClaimResult>;
      try {
        result = store.claim(id);
      } catch (cause) {
        throw unavailable(id, cause);
      }
      if (!isThenable(result)) return result;
      return Promise.resolve(result).catch((cause: unknown) => {
        throw unavailable(id, cause);
      });
    },
    complete: (id) => quietly("complete", id, "could not mark the delivery done"),
    release: (id) => quietly("release", id, "could not release the claim"),
    ...(isTrackingStore(store) && {
      untrack: (key: string) => quietly("untrack", key, "could not stop tracking the job"),
    }),
  };
}

function unavailable(webhookId: string, cause: unknown, detail?: string): WebhookError {
  return new WebhookError("store_unavailable", { webhookId, cause, detail });
}
