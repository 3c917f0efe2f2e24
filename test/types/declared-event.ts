// The typed opt-in for a type Gemini adds to a catalog namespace before this package knows it: declare it with
// its data. Without the declaration below, on("batch.started") is a compile error (see published-payloads.ts).
import { geminiWebhooks } from "gemini-webhooks-express";

declare module "gemini-webhooks-express" {
  interface GeminiEventDataMap {
    "batch.started": { id: string; started_at: string };
  }
}

const webhooks = geminiWebhooks({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });
webhooks.on("batch.started", (event) => {
  const startedAt: string = event.data.started_at;
  return startedAt;
});
