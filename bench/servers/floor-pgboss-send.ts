// floor + one bare pg-boss send per request (a fresh job id, the body as base64 in the job's data, the adapter's
// default job options), answered 202 once Postgres committed it: the least any receiver that hands each delivery
// to pg-boss can cost. Beside floor+pg-insert it shows how much of receiver-v1-pgboss is pg-boss's own send
// rather than this package's pipeline.
import { randomUUID } from "node:crypto";
import express from "express";
import PgBoss from "pg-boss";
import { floorStoring } from "../floor-handler.js";
import { benchPgName, dropBenchSchema } from "../library-pgboss.js";
import { serve } from "./serve.js";

// The adapter's defaults: 8 attempts, exponential backoff from 5 s, 900 s per attempt, 14 days' retention.
const jobOptions = {
  retryLimit: 7,
  retryDelay: 5,
  retryBackoff: true,
  expireInSeconds: 900,
  retentionSeconds: 14 * 24 * 3600,
};
// As the adapter makes its own PgBoss, in a schema of this process's own (see library-pgboss.ts).
const connectionString = process.env.DATABASE_URL!;
const schema = benchPgName("floor-pgboss-send");
const boss = new PgBoss({ connectionString, schema, archiveCompletedAfterSeconds: 90_000, schedule: false });
boss.on("error", () => {});
await boss.start();
const name = "deliveries";
await boss.createQueue(name, { name, ...jobOptions });
const app = express();
app.post(
  "/webhook",
  floorStoring((body) => boss.send(name, { rawBody: body.toString("base64") }, { ...jobOptions, id: randomUUID() })),
);
serve(app, async () => {
  await boss.stop({ graceful: false, wait: true });
  await dropBenchSchema(connectionString, schema);
});
