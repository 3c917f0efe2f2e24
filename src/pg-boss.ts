// The `gemini-webhooks-express/pg-boss` entry: the durable hand-off on PostgreSQL through pg-boss, kept
// apart from the root entry so that apps without a queue never load pg-boss.
export { pgBossQueue } from "./queue/pg-boss.js";
export type { PgBossDeliveryQueue, PgBossWorkerOptions } from "./queue/pg-boss.js";
export type { FailedDelivery, RetryResult } from "./queue/failed-deliveries.js";
export type { PgBossQueueOptions } from "./queue/pg-boss-options.js";
export { pgBossJobIdFor } from "./queue/pg-boss-job-id.js";
export { QueueTimeoutError } from "./queue/timeout.js";
export type {
  DeliveryQueue,
  QueuedDelivery,
  AttemptInfo,
  ProcessDelivery,
  QueueWorker,
  WorkerHooks,
} from "./queue/queue.js";
