// Type-level tests: compiled by test/types.test.ts with tsc. Each @ts-expect-error must be a real error.
import express from "express";
import { geminiWebhooks, isEventType, type AnyGeminiEvent, type GeminiEvent } from "gemini-webhooks-express";

const webhooks = geminiWebhooks({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });
const app = express();
app.use("/gemini-callback", webhooks);
app.post("/x", webhooks);

webhooks.on("batch.succeeded", async (event, ctx) => {
  const uri: string | undefined = event.data.output_file_uri;
  const id: string = event.data.id;
  const webhookId: string = ctx.webhookId;
  // @ts-expect-error batch.succeeded has no error_message
  event.data.error_message;
  // @ts-expect-error not a field of any event
  event.data.nope;
  return [uri, id, webhookId];
});

webhooks.on(["batch.failed", "interaction.failed"], (event) => {
  const code: string | number = event.data.error_code;
  const message: string = event.data.error_message;
  const type: "batch.failed" | "interaction.failed" = event.type;
  return [code, message, type];
});

webhooks.on(["batch.failed", "batch.expired"], (event) => {
  event.data.id;
  // @ts-expect-error batch.expired has no error_code, so the union doesn't either
  event.data.error_code;
});

webhooks.on("video.generated", (event) => {
  const uri: string | undefined = event.data.video_uri ?? event.data.output_file_uri;
  return uri;
});

webhooks.on("some.future_type", (event) => {
  const type: string = event.type;
  const data: unknown = event.data;
  return [type, data];
});

webhooks.onAny((event: AnyGeminiEvent) => {
  if (isEventType(event, "batch.succeeded")) {
    const narrowed: GeminiEvent<"batch.succeeded"> = event;
    const uri: string | undefined = narrowed.data.output_file_uri;
    return uri;
  }
  return undefined;
});

webhooks.onError((error) => {
  const code: "invalid_signature" | "handler_failed" | string = error.code;
  const status: number = error.status;
  return [code, status];
});

// @ts-expect-error a handler must be given
webhooks.on("batch.succeeded");
// @ts-expect-error unknown option
geminiWebhooks({ secret: "x", tolerance: 5 });

// user_metadata: typed once, on the receiver, and seen in every handler with no cast (optional: static webhooks carry none).
const dynamic = geminiWebhooks<{ job_group: string; priority: "high" | "low" }>({ jwks: { audience: "my-service" } });
dynamic.on("batch.succeeded", (event) => {
  const group: string | undefined = event.user_metadata?.job_group;
  const priority: "high" | "low" | undefined = event.user_metadata?.priority;
  // @ts-expect-error user_metadata is optional: a static webhook's delivery carries none
  const required: string = event.user_metadata.job_group;
  // @ts-expect-error not a declared metadata field
  event.user_metadata?.nope;
  return [group, priority, required];
});
dynamic.on("some.future_type", (event) => {
  const priority: "high" | "low" | undefined = event.user_metadata?.priority;
  return priority;
});
dynamic.onAny((event) => {
  // @ts-expect-error "urgent" is not a declared priority
  const wrong: boolean = event.user_metadata?.priority === "urgent";
  return wrong;
});
// Without a type argument, user_metadata is an open record.
webhooks.on("batch.failed", (event) => {
  const anything: unknown = event.user_metadata?.["whatever"];
  return anything;
});

// webhooks.work() takes the configured queue's worker options (BullMQ's WorkerOptions) and returns its worker.
import { bullmqQueue } from "gemini-webhooks-express/bullmq";
const queued = geminiWebhooks({
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  queue: bullmqQueue({ connection: "redis://127.0.0.1:6379" }),
});
export const typedWorker = () => {
  const worker = queued.work({ concurrency: 4, lockDuration: 30_000 });
  const bullWorker: import("bullmq").Worker = worker.worker;
  // @ts-expect-error not a BullMQ worker option
  queued.work({ concurency: 4 });
  // @ts-expect-error concurrency is a number
  queued.work({ concurrency: "4" });
  return bullWorker;
};
