// receiver v1 with the pg-boss queue on DATABASE_URL: verify, dedupe (memory store), enqueue, answer 202 once
// Postgres committed the job. A web process only: no worker, so what is measured is the answer path (judged
// against floor-pgboss-send: the same pg-boss send with nothing of this package).
import express from "express";
import { geminiWebhooks } from "../library.js";
import { benchPgName, dropBenchSchema, pgBossQueue } from "../library-pgboss.js";
import { readConfig, serve } from "./serve.js";

const connectionString = process.env.DATABASE_URL!;
const schema = benchPgName("v1-pgboss");
const queue = pgBossQueue({ connectionString, schema, name: "deliveries" });
const webhooks = geminiWebhooks({ secret: readConfig().secret, queue });
webhooks.on("batch.succeeded", () => {});
const app = express();
app.use("/webhook", webhooks);
serve(app, async () => {
  await queue.close();
  await dropBenchSchema(connectionString, schema);
});
