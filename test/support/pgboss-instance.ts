// One app with the pg-boss queue, as a user would deploy it: the same instance as BullMQ's
// (test/support/queue-instance.ts, whose header lists what a handler does by the delivery's `data.id`), on
// pgBossQueue. Used in-process and from child processes (test/fixtures/pgboss-instance-process.ts).
import { pgBossQueue, type PgBossDeliveryQueue, type PgBossQueueOptions } from "../../src/pg-boss.js";
import type { PgBossWorkerOptions } from "../../src/queue/pg-boss.js";
import { startInstanceOn, type InstanceOptions, type QueueInstance } from "./queue-instance.js";

export interface PgBossInstanceOptions extends InstanceOptions {
  queue: PgBossQueueOptions;
  work?: PgBossWorkerOptions;
}

export type PgBossInstance = QueueInstance<PgBossDeliveryQueue>;

export function startPgBossInstance(options: PgBossInstanceOptions): Promise<PgBossInstance> {
  return startInstanceOn(pgBossQueue(options.queue), options);
}
