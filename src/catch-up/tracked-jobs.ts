import { trackedKindOf, trackingKeyOf, type TrackedJob, type TrackingStore } from "../dedupe/tracking.js";
import type { CatchUpItem } from "./item.js";
import type { GeminiClientLike } from "./gemini-client.js";
import { oneLine } from "./one-line.js";
import { interactionOutcome, videoOutcome, type RecoveredEvent, type TrackedOutcome } from "./recovered-event.js";
import { getVideoOperation } from "./video-operation.js";

/** Where the jobs `webhooks.track()` kept are read and, once settled, forgotten: the receiver's store. */
export type TrackedJobs = Pick<TrackingStore, "tracked" | "untrack">;

// Settled: the completion was handled (now or before) or will never come; catch-up stops looking for it.
const SETTLED: ReadonlySet<CatchUpItem["outcome"]> = new Set(["delivered", "already-handled", "ended-without-event"]);

export interface TrackedJobsRun {
  /** Ids passed per call (`track` / `--track`): looked up on this run, due or not. */
  named: Iterable<string>;
  /** The receiver's store, when it keeps tracked jobs (the library call; the CLI has none). */
  store: TrackedJobs | undefined;
  client: GeminiClientLike;
  now: Date;
  /** Delivers a recovered event to the receiver and says how it fared. */
  deliverEvent(resource: string, event: RecoveredEvent): Promise<CatchUpItem>;
}

/**
 * Looks up every tracked job that is overdue (or named on this call), delivers the event of each that ended with
 * one, reports the rest, and stops tracking in the store each one that is settled.
 */
export async function catchUpTrackedJobs(
  run: TrackedJobsRun,
): Promise<{ items: CatchUpItem[]; problem?: { problem: string; cause: unknown } }> {
  const jobs = new Map<string, { name: string; expectBy?: Date; stored: boolean; named: boolean }>();
  for (const tracked of run.named) {
    const name = tracked.startsWith("interactions/") || trackedKindOf(tracked) ? tracked : `interactions/${tracked}`;
    jobs.set(trackingKeyOf(name), { name, stored: false, named: true });
  }
  let problem: { problem: string; cause: unknown } | undefined;
  if (run.store) {
    let stored: TrackedJob[] = [];
    try {
      stored = await run.store.tracked();
    } catch (cause) {
      problem = { problem: "reading the tracked jobs from the dedupe store failed", cause };
    }
    for (const job of stored) {
      const key = trackingKeyOf(job.name);
      jobs.set(key, { ...job, stored: true, named: jobs.has(key) });
    }
  }

  const items: CatchUpItem[] = [];
  for (const [key, job] of jobs) {
    // Not overdue: the app said when to start looking (a job named on this call is looked up regardless).
    if (!job.named && job.expectBy && job.expectBy.getTime() > run.now.getTime()) {
      items.push({ resource: job.name, outcome: "pending", detail: `not due before ${job.expectBy.toISOString()}` });
      continue;
    }
    const item = await lookUpAndDeliver(run, job.name);
    if (job.stored && SETTLED.has(item.outcome)) {
      try {
        await run.store!.untrack(key);
      } catch (cause) {
        // Looked up again next run, when its completion is answered duplicate: only this run's report says so.
        item.detail = [item.detail, `still tracked: ${oneLine(String((cause as Error)?.message ?? cause))}`]
          .filter(Boolean)
          .join("; ");
      }
    }
    items.push(item);
  }
  return problem ? { items, problem } : { items };
}

async function lookUpAndDeliver(run: TrackedJobsRun, resource: string): Promise<CatchUpItem> {
  const video = trackedKindOf(resource) === "video";
  let outcome: TrackedOutcome;
  try {
    outcome = video
      ? videoOutcome(resource, await getVideoOperation(run.client, resource), run.now)
      : interactionOutcome(
          resource,
          await run.client.interactions.get(resource.slice("interactions/".length)),
          run.now,
        );
  } catch (cause) {
    return { resource, outcome: "lookup-failed", detail: oneLine(String((cause as Error)?.message ?? cause)) };
  }
  if (outcome.kind !== "event") return { resource, outcome: outcome.kind, detail: oneLine(outcome.detail) };
  // An interaction's event names it as the API does, `interactions/<id>`, whatever the lookup returned.
  const event = video ? outcome.event : { ...outcome.event, data: { ...outcome.event.data, id: resource } };
  return run.deliverEvent(resource, event);
}
