// The three timeout errors (Redis store, Postgres store, queue) share one base, OperationTimeoutError, and keep
// what users may match on: their class (instanceof), name, message, operation and timeoutMs, and the Redis
// error's command.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { QueueTimeoutError } from "../src/bullmq.js";
import { QueueTimeoutError as PgBossQueueTimeoutError } from "../src/pg-boss.js";
import { postgresStore, PostgresQueryTimeoutError } from "../src/postgres.js";
import { redisStore, RedisCommandTimeoutError } from "../src/redis.js";
import { OperationTimeoutError } from "../src/timeout.js";

function assertShape(
  error: unknown,
  expected: { type: Function; name: string; operation: string; timeoutMs: number; message: string },
): void {
  assert.ok(error instanceof expected.type, `an instance of ${expected.name}`);
  assert.ok(error instanceof OperationTimeoutError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, expected.name);
  assert.equal(error.operation, expected.operation);
  assert.equal(error.timeoutMs, expected.timeoutMs);
  assert.equal(error.message, expected.message);
  assert.match(String(error), new RegExp(`^${expected.name}: `));
}

describe("timeout errors: one base, each class kept", () => {
  test("the Redis store's command with no answer: RedisCommandTimeoutError with its command", async () => {
    const store = redisStore({ sendCommand: () => new Promise(() => {}), commandTimeoutMs: 20 });
    await assert.rejects(store.claim("msg_1"), (error: unknown) => {
      assertShape(error, {
        type: RedisCommandTimeoutError,
        name: "RedisCommandTimeoutError",
        operation: "SET",
        timeoutMs: 20,
        message: "redisStore: Redis did not answer SET within 20 ms.",
      });
      assert.equal((error as RedisCommandTimeoutError).command, "SET");
      return true;
    });
  });

  test("the Postgres store's statement with no answer: PostgresQueryTimeoutError", async () => {
    const store = postgresStore({ query: () => new Promise(() => {}), createTable: false, queryTimeoutMs: 20 });
    await assert.rejects(store.claim("msg_1"), (error: unknown) => {
      assertShape(error, {
        type: PostgresQueryTimeoutError,
        name: "PostgresQueryTimeoutError",
        operation: "claim",
        timeoutMs: 20,
        message: "postgresStore: Postgres did not answer claim within 20 ms.",
      });
      return true;
    });
  });

  test("the queue's QueueTimeoutError: one class from both queue entries, its default and given messages", () => {
    assert.equal(PgBossQueueTimeoutError, QueueTimeoutError);
    assertShape(new QueueTimeoutError("the job", 3000), {
      type: QueueTimeoutError,
      name: "QueueTimeoutError",
      operation: "the job",
      timeoutMs: 3000,
      message: "bullmqQueue: Redis did not acknowledge the job within 3000 ms.",
    });
    const message = "pgBossQueue: Postgres did not commit the job within 3000 ms.";
    assertShape(new QueueTimeoutError("the job", 3000, message), {
      type: QueueTimeoutError,
      name: "QueueTimeoutError",
      operation: "the job",
      timeoutMs: 3000,
      message,
    });
  });
});
