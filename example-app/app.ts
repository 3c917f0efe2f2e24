import express from "express";
import { canonicalEventType, GEMINI_EVENT_TYPES } from "gemini-webhooks-express";
import type { DeliveryContext, GeminiEventType, GeminiWebhooks, SignatureScheme } from "gemini-webhooks-express";
import type { TestKeys } from "gemini-webhooks-express/testing";
import type { DeliveryQueue } from "gemini-webhooks-express/bullmq";
import { setTimeout as delay } from "node:timers/promises";
import { deliveryFeed, type DeliveryFeed } from "./deliveries.js";
import { consoleLogger, countRejections, logDeliveries, type RejectionCounts } from "./observability.js";
import { createReceiver } from "./receiver.js";

/** What one handler call saw, for the log and the demo's table. */
export interface HandlerCall {
  webhookId: string;
  type: string;
  scheme: SignatureScheme;
  summary: string;
  /** When the handler finished, ms since the epoch. */
  at: number;
}

export interface ExampleApp {
  app: express.Express;
  webhooks: GeminiWebhooks;
  schemes: SignatureScheme[];
  /** Every handler call so far, in order. */
  calls: HandlerCall[];
  /** Rejections and failures so far, by error code. */
  rejections: RejectionCounts;
  /** The live delivery page's feed, when it was asked for. */
  deliveries?: DeliveryFeed;
}

export interface ExampleAppOptions {
  secret: string;
  keys: TestKeys;
  /** Where lines go. Default console.log. */
  log?: (line: string) => void;
  /** Serve the live delivery page at DELIVERIES_PATH. Off by default: it shows every caller's ids and types. */
  deliveries?: boolean;
  /** Hand deliveries to this queue (202 at once; `webhooks.work()` runs the handlers). Default: inline. */
  queue?: DeliveryQueue;
  /** Make the batch.succeeded handler take this long, as a results download would. Default 0. */
  slowHandlerMs?: number;
}

/** The path Gemini is configured to call. */
export const CALLBACK_PATH = "/gemini-callback";
/** Where the live delivery page is served, when enabled. */
export const DELIVERIES_PATH = "/deliveries";

/** An Express app with a handler for every Gemini event type, each logging what it received. */
export function createExampleApp({
  secret,
  keys,
  log = console.log,
  deliveries = false,
  queue,
  slowHandlerMs = 0,
}: ExampleAppOptions): ExampleApp {
  const { webhooks, schemes } = createReceiver(secret, keys, queue);
  const calls: HandlerCall[] = [];

  const saw = (event: { type: string }, ctx: DeliveryContext, summary: string) => {
    calls.push({ webhookId: ctx.webhookId, type: event.type, scheme: ctx.scheme, summary, at: Date.now() });
    log(`[handler] ${event.type} via ${ctx.scheme} (${ctx.webhookId}): ${summary}`);
  };

  // event.data is typed per event type: the editor knows output_file_uri exists on batch.succeeded only.
  webhooks.on("batch.succeeded", async (event, ctx) => {
    if (slowHandlerMs > 0) await delay(slowHandlerMs); // "downloading" event.data.output_file_uri
    saw(event, ctx, `${event.data.id}: results at ${event.data.output_file_uri}`);
  });
  webhooks.on("batch.failed", (event, ctx) =>
    saw(event, ctx, `${event.data.id}: failed: ${event.data.error_code} ${event.data.error_message}`),
  );
  webhooks.on("batch.cancelled", (event, ctx) => saw(event, ctx, `${event.data.id}: was cancelled`));
  webhooks.on("batch.expired", (event, ctx) => saw(event, ctx, `${event.data.id}: expired unfinished`));
  webhooks.on("interaction.requires_action", (event, ctx) =>
    saw(event, ctx, `${event.data.id}: waits for a function result`),
  );
  webhooks.on("interaction.completed", (event, ctx) => saw(event, ctx, `${event.data.id}: completed`));
  webhooks.on("interaction.failed", (event, ctx) =>
    saw(event, ctx, `${event.data.id}: failed: ${event.data.error_code} ${event.data.error_message}`),
  );
  webhooks.on("interaction.cancelled", (event, ctx) => saw(event, ctx, `${event.data.id}: was cancelled`));
  webhooks.on("video.generated", (event, ctx) =>
    saw(event, ctx, `${event.data.id}: video at ${event.data.output_file_uri ?? event.data.video_uri ?? "(no uri)"}`),
  );
  // Types Gemini adds later still arrive, verified, here (and are acknowledged with 200).
  webhooks.onAny((event, ctx) => {
    if (!GEMINI_EVENT_TYPES.includes(canonicalEventType(event.type) as GeminiEventType))
      saw(event, ctx, "a type this app has no handler for");
  });

  // Observability: the README's recipes, with a console logger standing in for pino.
  logDeliveries(webhooks, consoleLogger(log));
  const rejections = countRejections(webhooks);
  const feed = deliveries ? deliveryFeed(webhooks) : undefined;

  const app = express();
  app.use(CALLBACK_PATH, webhooks);
  if (feed) app.use(DELIVERIES_PATH, feed.router);
  app.get("/", (_req, res) => {
    res.type("text/plain").send(`POST Gemini webhooks to ${CALLBACK_PATH}. Accepted schemes: ${schemes.join(", ")}.\n`);
  });
  return { app, webhooks, schemes, calls, rejections, deliveries: feed };
}
