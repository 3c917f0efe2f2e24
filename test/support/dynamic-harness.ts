// A receiver on loopback with a settable clock, recording handler calls and onError reports.
import express from "express";
import {
  geminiWebhooks,
  type DeliveryContext,
  type GeminiWebhooks,
  type GeminiWebhooksOptions,
  type WebhookError,
} from "../../src/index.js";
import { listen } from "./helpers.js";

export interface Clock {
  /** ms since the epoch, as the receiver sees it. */
  ms: number;
  readonly seconds: number;
  advance(ms: number): void;
}

export function clockAt(ms = Date.UTC(2026, 0, 22, 12, 0, 0)): Clock {
  return {
    ms,
    get seconds() {
      return Math.floor(this.ms / 1000);
    },
    advance(by) {
      this.ms += by;
    },
  };
}

export interface TestReceiver {
  url: string;
  webhooks: GeminiWebhooks;
  calls: { event: any; ctx: DeliveryContext }[];
  errors: WebhookError[];
  close(): Promise<void>;
}

/** `geminiWebhooks(options)` on the test clock, mounted at /hook, with an onAny recorder and an onError recorder. */
export async function startReceiver(options: GeminiWebhooksOptions, clock: Clock): Promise<TestReceiver> {
  const calls: TestReceiver["calls"] = [];
  const errors: WebhookError[] = [];
  const webhooks = geminiWebhooks({ now: () => clock.ms, ...options });
  webhooks.onAny((event, ctx) => {
    calls.push({ event, ctx });
  });
  webhooks.onError((error) => errors.push(error));
  const app = express();
  app.use("/hook", webhooks);
  const server = await listen(app);
  return { url: `${server.url}/hook`, webhooks, calls, errors, close: server.close };
}
