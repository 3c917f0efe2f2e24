// floor + one Redis SET per request (ioredis, pipelined by the client as usual): the least a receiver that
// stores each delivery in Redis before answering can cost. The floor of receiver-v1-queued.
import { randomUUID } from "node:crypto";
import express from "express";
import { Redis } from "ioredis";
import { serve } from "./serve.js";

const redis = new Redis(process.env.REDIS_URL!);
const prefix = `gemini-webhooks-bench-floor-${process.pid}:`;
const app = express();
app.post("/webhook", (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    redis.set(prefix + randomUUID(), Buffer.concat(chunks), "PX", 60_000).then(
      () => {
        res.statusCode = 202;
        res.setHeader("Content-Type", "application/json; charset=utf-8");
        res.setHeader("Cache-Control", "no-store");
        res.end('{"status":"queued"}');
      },
      () => {
        res.statusCode = 503;
        res.end();
      },
    );
  });
});
serve(app, async () => {
  redis.disconnect();
});
