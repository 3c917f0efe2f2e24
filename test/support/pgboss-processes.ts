// Starts pg-boss queue instances (test/fixtures/pgboss-instance-process.ts) as child processes, with the same
// collector as BullMQ's (test/support/queue-processes.ts).
import { fileURLToPath } from "node:url";
import type { PgBossInstanceOptions } from "./pgboss-instance.js";
import { ChildInstances as QueueChildInstances } from "./queue-processes.js";

export type { ChildInstance } from "./queue-processes.js";

const CHILD_SCRIPT = fileURLToPath(new URL("../fixtures/pgboss-instance-process.ts", import.meta.url));

export class ChildInstances extends QueueChildInstances<Omit<PgBossInstanceOptions, "onRun">> {
  constructor() {
    super(CHILD_SCRIPT, "PGBOSS_INSTANCE");
  }
}
