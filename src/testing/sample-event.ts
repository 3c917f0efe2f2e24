import type { GeminiEvent, GeminiEventDataMap, GeminiEventType } from "../events.js";
import { GEMINI_EVENT_TYPES } from "../events.js";

/** What may be changed in a sample: top-level fields, and any `data` fields (merged over the sample's). */
export interface SampleEventOverrides<
  T extends GeminiEventType,
  M extends Record<string, unknown> = Record<string, unknown>,
> {
  version?: string;
  /** When the event happened (RFC 3339). */
  timestamp?: string;
  data?: Partial<GeminiEventDataMap[T]> & Record<string, unknown>;
  /**
   * The `user_metadata` of a dynamic webhook (`webhook_config.user_metadata`), set at the payload's top
   * level, where the receiver presents it (`event.user_metadata`). Absent by default, as on static webhooks.
   */
  user_metadata?: M;
}

// Realistic values in the shapes the Gemini docs publish (thin payloads: ids and URIs, no results).
const SAMPLE_DATA: { [T in GeminiEventType]: GeminiEventDataMap[T] } = {
  "batch.succeeded": { id: "batch_123456", output_file_uri: "gs://my-bucket/results.jsonl" },
  "batch.cancelled": { id: "batch_234567" },
  "batch.expired": { id: "batch_345678" },
  "batch.failed": {
    id: "batch_456789",
    error_code: "INVALID_ARGUMENT",
    error_message: "Line 3 of the input file is not valid JSON.",
  },
  "interaction.requires_action": { id: "interaction_5f2c9a" },
  "interaction.completed": { id: "interaction_6a3d0b" },
  "interaction.failed": {
    id: "interaction_7b4e1c",
    error_code: "INTERNAL",
    error_message: "The interaction could not be completed.",
  },
  "interaction.cancelled": { id: "interaction_8c5f2d" },
  "video.generated": {
    id: "video_9d6a3e",
    output_file_uri: "gs://my-bucket/videos/sunrise.mp4",
    file_name: "files/sunrise-9d6a3e",
  },
};

/**
 * A realistic payload for a documented event type, typed as the handler will receive it:
 * `sampleEvent("batch.failed", { data: { error_code: "DEADLINE_EXCEEDED" } })`, and with a dynamic webhook's
 * metadata: `sampleEvent("batch.succeeded", { user_metadata: { job_group: "nightly-eval" } })`.
 */
export function sampleEvent<T extends GeminiEventType, M extends Record<string, unknown> = Record<string, unknown>>(
  type: T,
  overrides: SampleEventOverrides<T, M> = {},
): GeminiEvent<T, M> {
  if (!GEMINI_EVENT_TYPES.includes(type)) {
    throw new TypeError(
      `sampleEvent: unknown event type "${String(type)}"; expected one of ${GEMINI_EVENT_TYPES.join(", ")}.`,
    );
  }
  const { user_metadata } = overrides;
  if (
    user_metadata !== undefined &&
    (typeof user_metadata !== "object" || user_metadata === null || Array.isArray(user_metadata))
  ) {
    throw new TypeError('sampleEvent: user_metadata must be an object, e.g. { job_group: "nightly-eval" }.');
  }
  return {
    type,
    version: overrides.version ?? "v1",
    timestamp: overrides.timestamp ?? "2026-01-22T12:00:00Z",
    data: { ...SAMPLE_DATA[type], ...overrides.data },
    ...(user_metadata !== undefined && { user_metadata }),
  } as GeminiEvent<T, M>;
}
