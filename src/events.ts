/**
 * The Gemini webhook event catalog, as types. Payloads are "thin": `{ type, version, timestamp, data }`.
 * Only `type` is checked at run time; fields here are what the docs publish, and deliveries may carry more.
 */

/**
 * `batch.succeeded` (named `batch.completed` in one published example; see `EVENT_TYPE_ALIASES`).
 * Every field any published version leaves out is optional: docs/events.md "Catalog notes" names the sources.
 */
export interface BatchSucceededData {
  /** The batch's id. */
  id: string;
  /**
   * Where the results are, e.g. `gs://bucket/results.jsonl`. Optional: the guide's own handler checks for it
   * first ("for batch jobs with input file"), so a batch with inline requests may arrive without it.
   */
  output_file_uri?: string;
  /** Appears in one published example only (the `batch.completed` one, as `0`). */
  error_count?: number;
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
 * `video.generated`. The catalog documents `id`, `output_file_uri` and `file_name`; another version documents
 * only `file_id` and `video_uri` (no `id`). Which ones arrive is not settled, so every one is optional.
 */
export interface VideoGeneratedData {
  id?: string;
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
    /**
     * Dynamic webhooks: the `user_metadata` of the request's `webhook_config`. The docs describe it only for
     * dynamic webhooks; as far as is known a static webhook's deliveries carry none (the docs do not say).
     */
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

/** A name a handler can be registered for in the catalog: a documented type or one of its aliases. */
export type KnownEventName = GeminiEventType | GeminiEventTypeAlias;

type NamespaceOf<T> = T extends `${infer N}.${string}` ? N : never;

/**
 * Compile-time check of a name given to `on()`: a catalog name, or a name outside the catalog's namespaces
 * (`batch.`, `interaction.`, `video.`), passes as itself; an unknown name inside them (`"batch.succeded"`) is
 * almost always a typo that would never match, so it becomes an error message the argument cannot satisfy.
 * A type Gemini adds to those namespaces is declared, with its data, by augmenting `GeminiEventDataMap`
 * (docs/events.md, "Types outside the catalog"). A `string` that is not a literal passes unchecked.
 */
export type CheckedEventName<T extends string> = T extends KnownEventName
  ? T
  : T extends `${NamespaceOf<KnownEventName>}.${string}`
    ? `"${T}" is not in the event catalog: check its spelling, or declare it (docs/events.md)`
    : T;

/**
 * The event a handler registered for `T` receives. An alias is registered as its documented type (it
 * receives deliveries under either name), so it gets the documented type's event.
 */
export type EventFor<T extends string, M = UserMetadata> = T extends GeminiEventType
  ? GeminiEvent<T, M>
  : T extends GeminiEventTypeAlias
    ? GeminiEvent<(typeof EVENT_TYPE_ALIASES)[T], M>
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
