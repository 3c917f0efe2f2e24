// floor + one Redis SET per request (ioredis, pipelined by the client as usual): the least a receiver that
// stores each delivery in Redis before answering can cost. The floor of receiver-v1-queued.
import { randomUUID } from "node:crypto";
import express from "express";
import { Redis } from "ioredis";
import { floorStoring } from "../floor-handler.js";
import { serve } from "./serve.js";

const redis = new Redis(process.env.REDIS_URL!);
const prefix = `gemini-webhooks-bench-floor-${process.pid}:`;
const app = express();
app.post(
  "/webhook",
  floorStoring((body) => redis.set(prefix + randomUUID(), body, "PX", 60_000)),
);
serve(app, async () => {
  redis.disconnect();
});
