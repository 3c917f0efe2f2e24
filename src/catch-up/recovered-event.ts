import type { BatchJobLike, InteractionLike, VideoOperationLike } from "./gemini-client.js";

/** An event rebuilt from what the API returned, in the shape of Gemini's delivery of it. */
export interface RecoveredEvent {
  type: string;
  version: "v1";
  /** When the job ended (the API's endTime / updateTime), else when catch-up found it. */
  timestamp: string;
  data: Record<string, unknown>;
}

const BATCH_EVENT_BY_STATE: Record<string, string> = {
  JOB_STATE_SUCCEEDED: "batch.succeeded",
  JOB_STATE_FAILED: "batch.failed",
  JOB_STATE_CANCELLED: "batch.cancelled",
  JOB_STATE_EXPIRED: "batch.expired",
};

/** The event a batch in a final state sends; undefined while it runs (or in a state no event stands for). */
export function batchEvent(batch: BatchJobLike, now: Date): RecoveredEvent | undefined {
  const type = batch.state ? BATCH_EVENT_BY_STATE[batch.state] : undefined;
  if (!type || !batch.name) return undefined;
  const data: Record<string, unknown> = { id: batch.name };
  // Mapped to the event's documented fields where the API has them; the rest of what it returned rides along
  // under names of its own, so a handler can tell recovered data from delivered data.
  const output = batch.dest?.gcsUri ?? batch.dest?.fileName ?? batch.dest?.bigqueryUri;
  if (type === "batch.succeeded" && output) data.output_file_uri = output;
  if (type === "batch.failed" && batch.error) {
    if (batch.error.code !== undefined) data.error_code = String(batch.error.code);
    if (batch.error.message !== undefined) data.error_message = batch.error.message;
  }
  if (batch.displayName) data.display_name = batch.displayName;
  if (batch.createTime) data.create_time = batch.createTime;
  if (batch.endTime) data.end_time = batch.endTime;
  return { type, version: "v1", timestamp: endedAt(batch) ?? now.toISOString(), data };
}

/** When a batch reached its final state, as the API says. */
export function endedAt(batch: BatchJobLike): string | undefined {
  return batch.endTime ?? batch.updateTime;
}

/** What a tracked job's state means for catch-up. */
export type TrackedOutcome =
  | { kind: "event"; event: RecoveredEvent }
  /** Ended in a status Gemini sends no webhook for: reported, never waited on. */
  | { kind: "ended-without-event"; detail: string }
  /** Still running, or waiting for the app (`requires_action`): look again next time. */
  | { kind: "pending"; detail: string };

const INTERACTION_EVENT_BY_STATUS: Record<string, string> = {
  completed: "interaction.completed",
  failed: "interaction.failed",
  cancelled: "interaction.cancelled",
};
const ENDED_WITHOUT_EVENT = new Set(["incomplete", "budget_exceeded", "requires_continuation"]);

export function interactionOutcome(id: string, interaction: InteractionLike, now: Date): TrackedOutcome {
  const status = interaction.status ?? "unknown";
  const type = INTERACTION_EVENT_BY_STATUS[status];
  if (type) {
    const data = { id: interaction.id ?? id };
    return { kind: "event", event: { type, version: "v1", timestamp: interaction.updated ?? now.toISOString(), data } };
  }
  if (ENDED_WITHOUT_EVENT.has(status)) return { kind: "ended-without-event", detail: `status ${status}` };
  return { kind: "pending", detail: `status ${status}` };
}

/**
 * A tracked video operation: done with a video is `video.generated` (the only video event the guide documents);
 * done with an error, or with every video filtered out, sends no webhook the guide names, so it is reported.
 * `name` is the operation's full name (`models/<model>/operations/<id>`), kept as the event's `data.id`.
 */
export function videoOutcome(name: string, operation: VideoOperationLike, now: Date): TrackedOutcome {
  if (operation.done !== true) return { kind: "pending", detail: "not done" };
  if (operation.error) {
    const code = operation.error.code === undefined ? "" : ` ${String(operation.error.code)}`;
    const message = typeof operation.error.message === "string" ? `: ${operation.error.message}` : "";
    return { kind: "ended-without-event", detail: `failed${code}${message}` };
  }
  const uri = operation.response?.generatedVideos?.find((video) => video.video?.uri)?.video?.uri;
  if (!uri) {
    const filtered = operation.response?.raiMediaFilteredCount;
    return { kind: "ended-without-event", detail: `done without a video${filtered ? ` (${filtered} filtered)` : ""}` };
  }
  const data: Record<string, unknown> = { id: operation.name ?? name, output_file_uri: uri };
  const file = fileNameOf(uri);
  if (file) data.file_name = file;
  // An operation carries no end time: the event is stamped when catch-up found it.
  return { kind: "event", event: { type: "video.generated", version: "v1", timestamp: now.toISOString(), data } };
}

/** `files/abc` from a Files API URI (`https://…/v1beta/files/abc:download?alt=media`); undefined for any other URI. */
function fileNameOf(uri: string): string | undefined {
  const match = /\/(files\/[A-Za-z0-9_-]+)(?::download)?(?:[?#]|$)/.exec(uri);
  return match?.[1];
}
