// Every published payload variant (test/fixtures/published-payloads/, the same values: test/events-published.test.ts
// checks they match) as a typed literal, and handlers a strict consumer writes against each. Compiled by
// test/types.test.ts; each @ts-expect-error must be a real error.
import { geminiWebhooks, isEventType, type AnyGeminiEvent, type GeminiEvent } from "gemini-webhooks-express";

const webhooks = geminiWebhooks({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });

export const publishedPayloads = {
  "batch-succeeded.catalog.json": {
    type: "batch.succeeded",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { id: "batch_123456", output_file_uri: "gs://my-bucket/results.jsonl" },
  },
  "batch-succeeded.no-output-file.json": {
    type: "batch.succeeded",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { id: "batch_123456" },
  },
  "batch-completed.he.json": {
    type: "batch.completed",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { id: "batch_123456", output_file_uri: "gs://my-bucket/results.jsonl", error_count: 0 },
  },
  "batch-failed.catalog.json": {
    type: "batch.failed",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { id: "batch_123456", error_code: "INVALID_ARGUMENT", error_message: "The input file is not valid JSONL." },
  },
  "interaction-failed.catalog.json": {
    type: "interaction.failed",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { id: "interaction_123456", error_code: 13, error_message: "Internal error." },
  },
  "interaction-completed.catalog.json": {
    type: "interaction.completed",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { id: "interaction_123456" },
  },
  "video-generated.catalog.json": {
    type: "video.generated",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { id: "video_123456", output_file_uri: "gs://my-bucket/videos/sunrise.mp4", file_name: "files/sunrise" },
  },
  "video-generated.he.json": {
    type: "video.generated",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { file_id: "files/sunrise", video_uri: "gs://my-bucket/videos/sunrise.mp4" },
  },
} satisfies Record<string, AnyGeminiEvent>;

// Each variant is assignable to the event its type names (a TS2741/TS2353 here means the types reject a
// published payload).
export const catalogSucceeded: GeminiEvent<"batch.succeeded"> = publishedPayloads["batch-succeeded.catalog.json"];
export const succeededWithoutFile: GeminiEvent<"batch.succeeded"> =
  publishedPayloads["batch-succeeded.no-output-file.json"];
export const hebrewCompleted: GeminiEvent<"batch.succeeded"> = publishedPayloads["batch-completed.he.json"];
export const batchFailed: GeminiEvent<"batch.failed"> = publishedPayloads["batch-failed.catalog.json"];
export const interactionFailed: GeminiEvent<"interaction.failed"> =
  publishedPayloads["interaction-failed.catalog.json"];
export const interactionCompleted: GeminiEvent<"interaction.completed"> =
  publishedPayloads["interaction-completed.catalog.json"];
export const catalogVideo: GeminiEvent<"video.generated"> = publishedPayloads["video-generated.catalog.json"];
export const hebrewVideo: GeminiEvent<"video.generated"> = publishedPayloads["video-generated.he.json"];

// The handlers the guides' own code implies, under `strict`.
webhooks.on("batch.succeeded", (event) => {
  const type: "batch.succeeded" | "batch.completed" = event.type;
  const id: string = event.data.id;
  // @ts-expect-error output_file_uri can be absent (the Indonesian guide checks for it): handle undefined
  const mustHandle: string = event.data.output_file_uri;
  if (event.data.output_file_uri) {
    const uri: string = event.data.output_file_uri;
    return [type, id, uri, mustHandle];
  }
  const errors: number | undefined = event.data.error_count; // the Hebrew example's field
  return errors;
});

// The Hebrew guide's name is a one-liner too: registered as batch.succeeded, typed the same, runs for both names.
webhooks.on("batch.completed", (event) => {
  const type: "batch.succeeded" | "batch.completed" = event.type;
  return [type, event.data.output_file_uri ?? "no file", event.data.error_count ?? 0];
});

// Both names in one call: the same handler, run once per delivery.
webhooks.on(["batch.succeeded", "batch.completed"], (event) => event.data.id);

webhooks.on("video.generated", (event) => {
  // @ts-expect-error one published version has no data.id
  const mustHandle: string = event.data.id;
  const uri: string | undefined = event.data.video_uri ?? event.data.output_file_uri;
  const file: string | undefined = event.data.file_id ?? event.data.file_name;
  return [uri, file, mustHandle];
});

webhooks.on(["batch.failed", "interaction.failed"], (event) => {
  const code: string | number = event.data.error_code;
  const message: string = event.data.error_message;
  return [code, message];
});

webhooks.onAny((event) => {
  if (isEventType(event, "batch.succeeded")) return event.data.output_file_uri ?? event.data.id;
  return event.type;
});

// Typos in a catalog namespace are compile errors; names outside the catalog's namespaces stay open.
// @ts-expect-error "batch.succeded" is not in the event catalog
webhooks.on("batch.succeded", () => {});
// @ts-expect-error one misspelled name in a list is enough
webhooks.on(["batch.failed", "interaction.complete"], () => {});
webhooks.on("ping", (event) => event.type);
webhooks.on("model.tuned", (event) => event.data);
const fromConfig: string = process.env.EVENT_NAME ?? "batch.failed";
webhooks.on(fromConfig, (event) => event.type); // a non-literal string is not checked at compile time
