// What both entries export besides geminiWebhooks itself (src/index.ts for Node, src/index.web.ts for the
// Web runtimes): one list, so the two cannot drift apart.
export type { GeminiWebhooks, EventHandler, ErrorListener } from "./receiver.js";
export type { GeminiWebhooksOptions, JwksOptions } from "./options.js";
export { GEMINI_JWKS_URL, DEFAULT_JWT_ALGORITHMS } from "./options.js";
export type { JWK, JSONWebKeySet, JWTPayload } from "jose";
export type { DeliveryContext } from "./context.js";
export type { DeliveryLifecycleEvent, DeliveryStage, LifecycleListener } from "./lifecycle.js";
export { captureRawBody } from "./raw-body.js";
export { WebhookError, ANSWERS } from "./errors.js";
export type { WebhookErrorCode, WebhookErrorDetails } from "./errors.js";
export { memoryStore } from "./dedupe/memory.js";
export type { MemoryDedupeStore, MemoryStoreOptions } from "./dedupe/memory.js";
export type { TrackedJob, TrackingStore } from "./dedupe/tracking.js";
export type { Track, TrackOptions } from "./dedupe/track.js";
export type { DedupeStore, ClaimResult } from "./dedupe/store.js";
export { canonicalEventType, isEventType, EVENT_TYPE_ALIASES, GEMINI_EVENT_TYPES } from "./events.js";
export type {
  AnyGeminiEvent,
  BatchSucceededData,
  CheckedEventName,
  EventFor,
  GeminiEvent,
  GeminiEventDataMap,
  GeminiEventType,
  GeminiEventTypeAlias,
  JobFailedData,
  JobIdData,
  KnownEventName,
  UnknownGeminiEvent,
  VideoGeneratedData,
} from "./events.js";
export type { SignatureScheme } from "./verify/index.js";
