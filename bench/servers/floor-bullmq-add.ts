// floor + one bare BullMQ Queue.add per request (a fresh jobId, the body as base64 in the job's data, the
// adapter's job options), answered 202 once Redis acknowledged it: the least any receiver that hands each
// delivery to BullMQ can cost. Beside floor+redis-set it shows how much of receiver-v1-queued is BullMQ's own
// add (a Lua script, a Job, msgpackr options) rather than this package's pipeline.
import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import express from "express";
import { Redis } from "ioredis";
import { floorStoring } from "../floor-handler.js";
import { benchQueueName } from "../library-bullmq.js";
import { serve } from "./serve.js";

const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
const queue = new Queue(benchQueueName("floor-bullmq-add"), { connection });
queue.on("error", () => {});
// The adapter's defaults: 8 attempts, exponential backoff from 5 s, completed jobs kept 25 h, failed ones 14 days.
const jobOptions = {
  attempts: 8,
  backoff: { type: "exponential", delay: 5_000 },
  removeOnComplete: { age: 90_000 },
  removeOnFail: { age: 1_209_600 },
};
const app = express();
app.post(
  "/webhook",
  floorStoring((body) =>
    queue.add("delivery", { rawBody: body.toString("base64") }, { ...jobOptions, jobId: `wh-${randomUUID()}` }),
  ),
);
serve(app, async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
});
