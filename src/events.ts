/**
 * The Gemini webhook event catalog, as types. Payloads are "thin": `{ type, version, timestamp, data }`.
 * Only `type` is checked at run time; fields here are what the docs publish, and deliveries may carry more.
 */

/** `batch.succeeded` (also sent as `batch.completed` in one published example). */
export interface BatchSucceededData {
  /** The batch's id. */
  id: string;
  /** Where the results are, e.g. `gs://bucket/results.jsonl`. */
  output_file_uri: string;
}

/** Events that carry only the job's id. */
export interface JobIdData {
  id: string;
}

/** `batch.failed` and `interaction.failed`. */
export interface JobFailedData {
  id: string;
  error_code: string | number;
  error_message: string;
  /** Appears in one published example only. */
  error_count?: number;
}

/**
 * `video.generated`. The catalog documents `output_file_uri` and `file_name`; another page documents
 * `file_id` and `video_uri`. Which ones arrive is not settled, so all four are optional.
 */
export interface VideoGeneratedData {
  id: string;
  output_file_uri?: string;
  file_name?: string;
  file_id?: string;
  video_uri?: string;
}

/** Every documented event type and the shape of its `data`. */
export interface GeminiEventDataMap {
  "batch.succeeded": BatchSucceededData;
  "batch.cancelled": JobIdData;
  "batch.expired": JobIdData;
  "batch.failed": JobFailedData;
  "interaction.requires_action": JobIdData;
  "interaction.completed": JobIdData;
  "interaction.failed": JobFailedData;
  "interaction.cancelled": JobIdData;
  "video.generated": VideoGeneratedData;
}

/** A documented event type name. */
export type GeminiEventType = keyof GeminiEventDataMap;

/** Other names published for a documented type. Deliveries under an alias reach the documented type's handlers. */
export const EVENT_TYPE_ALIASES = { "batch.completed": "batch.succeeded" } as const satisfies Record<
  string,
  GeminiEventType
>;
export type GeminiEventTypeAlias = keyof typeof EVENT_TYPE_ALIASES;

type AliasesOf<T extends GeminiEventType> = {
  [A in GeminiEventTypeAlias]: (typeof EVENT_TYPE_ALIASES)[A] extends T ? A : never;
}[GeminiEventTypeAlias];

/**
 * The `user_metadata` a dynamic webhook was created with (`webhook_config: { uris, user_metadata }`),
 * returned with each of its deliveries. Type it once: `geminiWebhooks<{ job_group: string }>(options)`.
 */
export type UserMetadata = Record<string, unknown>;

/** A verified delivery of a documented type; `type` is the name as sent (an alias included). */
export type GeminiEvent<T extends GeminiEventType = GeminiEventType, M = UserMetadata> = {
  [K in T]: {
    type: K | AliasesOf<K>;
    /** Payload version, e.g. `"v1"`. */
    version: string;
    /** When the event happened (RFC 3339). */
    timestamp: string;
    data: GeminiEventDataMap[K];
    /** Dynamic webhooks only: the `user_metadata` of the request's `webhook_config` (static webhooks carry none). */
    user_metadata?: M;
  };
}[T];

/** A verified delivery of a type this package does not know yet. */
export interface UnknownGeminiEvent<M = UserMetadata> {
  type: string;
  version?: string;
  timestamp?: string;
  data?: unknown;
  /** Dynamic webhooks only: the `user_metadata` of the request's `webhook_config`. */
  user_metadata?: M;
  [field: string]: unknown;
}

/** Any verified delivery: known or not. Narrow it with `isEventType`. */
export type AnyGeminiEvent<M = UserMetadata> = GeminiEvent<GeminiEventType, M> | UnknownGeminiEvent<M>;

/** The event a handler registered for `T` receives. */
export type EventFor<T extends string, M = UserMetadata> = T extends GeminiEventType
  ? GeminiEvent<T, M>
  : UnknownGeminiEvent<M>;

/** The documented type a delivered `type` stands for (itself unless it is an alias). */
export function canonicalEventType(type: string): string {
  return Object.hasOwn(EVENT_TYPE_ALIASES, type) ? EVENT_TYPE_ALIASES[type as GeminiEventTypeAlias] : type;
}

/** Narrows any event to a documented type (aliases included): `if (isEventType(event, "batch.failed")) event.data.error_code`. */
export function isEventType<T extends GeminiEventType, M = UserMetadata>(
  event: AnyGeminiEvent<M>,
  type: T,
): event is GeminiEvent<T, M> {
  return canonicalEventType(event.type) === type;
}

/** The documented event types, for iteration (examples, tests, admin screens). */
export const GEMINI_EVENT_TYPES: readonly GeminiEventType[] = [
  "batch.succeeded",
  "batch.cancelled",
  "batch.expired",
  "batch.failed",
  "interaction.requires_action",
  "interaction.completed",
  "interaction.failed",
  "interaction.cancelled",
  "video.generated",
];
