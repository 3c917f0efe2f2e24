// The `gemini-webhooks-express/bullmq` entry: the durable BullMQ hand-off, kept apart from the root entry
// so that apps without a queue never load BullMQ.
export { bullmqQueue } from "./queue/bullmq.js";
export type {
  BullmqDeliveryQueue,
  BullmqQueueWorker,
  BullmqWorkerOptions,
  FailedDelivery,
  RetryResult,
} from "./queue/bullmq.js";
export type { BullmqQueueOptions } from "./queue/bullmq-options.js";
export { QueueTimeoutError } from "./queue/timeout.js";
export { QueueUnreachableError } from "./queue/redis-reachability.js";
export type { QueueConnectionReport } from "./queue/redis-reachability.js";
export { jobIdFor } from "./queue/job-id.js";
export type {
  DeliveryQueue,
  QueuedDelivery,
  AttemptInfo,
  ProcessDelivery,
  QueueWorker,
  WorkerHooks,
} from "./queue/queue.js";
