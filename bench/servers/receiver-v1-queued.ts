// receiver v1 with the BullMQ queue on REDIS_URL: verify, dedupe (memory store), enqueue, answer 202. A web
// process only: no worker, so what is measured is the answer path (its floor is floor-redis-set).
import express from "express";
import { geminiWebhooks } from "../library.js";
import { benchQueueName, bullmqQueue } from "../library-bullmq.js";
import { readConfig, serve } from "./serve.js";

const queue = bullmqQueue({ connection: process.env.REDIS_URL!, name: benchQueueName("v1-queued") });
const webhooks = geminiWebhooks({ secret: readConfig().secret, queue });
webhooks.on("batch.succeeded", () => {});
const app = express();
app.use("/webhook", webhooks);
serve(app, async () => {
  await queue.queue().obliterate({ force: true });
  await queue.close();
});
