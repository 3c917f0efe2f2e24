// A consumer of the packed package (test/runtimes-typescript.test.ts): compiled with TypeScript 7 and 5, `strict`
// and `skipLibCheck: false`, so every published declaration file is checked, not only what this file touches.
import express from "express";
import { geminiWebhooks, WebhookError, type DeliveryContext, type GeminiWebhooks } from "gemini-webhooks-express";
import { redisStore } from "gemini-webhooks-express/redis";

declare const sendCommand: (command: string, ...args: string[]) => Promise<unknown>;

const webhooks: GeminiWebhooks = geminiWebhooks({
  secret: () => process.env.GEMINI_WEBHOOK_SECRET,
  dedupe: redisStore({ sendCommand }),
});

webhooks.on("batch.succeeded", async (event, ctx: DeliveryContext) => {
  const uri: string | undefined = event.data.output_file_uri;
  console.log(event.data.id, uri, ctx.webhookId);
});
webhooks.onError((error) => {
  if (error instanceof WebhookError) console.error(error.code);
});

const app = express();
app.post("/gemini-callback", webhooks);

export const POST: (request: Request) => Promise<Response> = webhooks.fetch;
