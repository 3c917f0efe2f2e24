/**
 * The example app. `npm run example` starts it on embedded defaults; `npm run demo` (or
 * `npm run example -- --demo`) starts it, sends it every kind of delivery, prints what happened and exits.
 * `npm run example -- --deliveries` also serves the live delivery page at /deliveries (never served without it);
 * with `--demo --deliveries` the app keeps running after the demo, so the page shows the demo's deliveries.
 * `--queue` hands deliveries to a BullMQ queue on REDIS_URL, `--queue postgres` to a pg-boss queue on DATABASE_URL,
 * and runs a worker in this process (example-app/queue.ts).
 *
 * Environment (all optional):
 *   GEMINI_WEBHOOK_SECRET     your static signing secret (default: a new one, printed)
 *   GEMINI_WEBHOOK_TEST_KEYS  a test key set file for dynamic deliveries: read if it exists, else written
 *                             (default: a temporary file, removed on exit)
 *   PORT                      port on 127.0.0.1 (default 3000; the demo always picks a free one)
 *   REDIS_URL                 with --queue: the Redis for the queue, e.g. redis://127.0.0.1:6379
 *   DATABASE_URL              with --queue postgres: the PostgreSQL for the queue, e.g. postgres://postgres@127.0.0.1:5432/postgres
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestKeys, generateSecret, importTestKeys, type TestKeys } from "gemini-webhooks-express/testing";
import { CALLBACK_PATH, createExampleApp, DELIVERIES_PATH, type ExampleApp } from "./app.js";
import { runDemo } from "./demo.js";
import { exampleQueue, queueEngine, SLOW_HANDLER_MS, type ExampleQueue } from "./queue.js";
import type { QueueWorker } from "gemini-webhooks-express/bullmq";

const demoMode = process.argv.slice(2).includes("--demo");
const deliveriesPage = process.argv.slice(2).includes("--deliveries");
const engine = queueEngine(process.argv.slice(2));
const secretFromEnv = process.env.GEMINI_WEBHOOK_SECRET || undefined;
const secret = secretFromEnv ?? generateSecret();
const keysFile =
  process.env.GEMINI_WEBHOOK_TEST_KEYS ||
  (demoMode ? undefined : join(tmpdir(), `gemini-webhooks-example-${process.pid}.keys.json`));
const keys = loadOrCreateKeys(keysFile);

let example: ExampleApp;
let queued: ExampleQueue | undefined;
let worker: QueueWorker | undefined;
try {
  queued = engine ? exampleQueue(engine, process.env, demoMode) : undefined;
  example = createExampleApp({
    secret,
    keys,
    log: demoMode ? () => {} : console.log,
    deliveries: deliveriesPage,
    ...(queued ? { queue: queued.queue, slowHandlerMs: SLOW_HANDLER_MS } : {}),
  });
  // The worker: in this process here; in production it may as well be another one (same module, same handlers).
  worker = queued ? example.webhooks.work(queued.workerOptions) : undefined;
} catch (error) {
  // A malformed GEMINI_WEBHOOK_SECRET is the likely cause; the message names the problem, never the secret.
  console.error(`Cannot start: ${(error as Error).message}${secretFromEnv ? " (check GEMINI_WEBHOOK_SECRET)" : ""}`);
  process.exit(1);
}

// The demo alone exits when done, so any free port will do; with the page it stays up for the browser.
const keepRunning = !demoMode || deliveriesPage;
const port = keepRunning ? Number(process.env.PORT ?? 3000) : 0;
const server = example.app.listen(port, "127.0.0.1", () => {
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${origin}${CALLBACK_PATH}`;
  const deliveriesUrl = deliveriesPage ? `${origin}${DELIVERIES_PATH}` : undefined;
  if (demoMode) {
    const slow = queued ? { slowHandlerMs: SLOW_HANDLER_MS } : undefined;
    runDemo({
      url,
      secret,
      keys,
      schemes: example.schemes,
      calls: example.calls,
      rejections: example.rejections,
      out: console.log,
      queued: slow,
    }).then(
      (ok) => {
        if (!deliveriesUrl) return stop(server, ok ? 0 : 1);
        console.log(`\nThe demo's deliveries, on the live page: ${deliveriesUrl}\nStop with Ctrl+C.`);
      },
      (error: unknown) => {
        console.error("The demo could not run:", error);
        stop(server, 1);
      },
    );
  } else {
    printBanner(url, deliveriesUrl);
  }
});
server.on("error", (error: NodeJS.ErrnoException) => {
  console.error(
    error.code === "EADDRINUSE"
      ? `Port ${port} is in use: set PORT to another one.`
      : `Cannot listen: ${error.message}`,
  );
  process.exit(1);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop(server, 0));

function loadOrCreateKeys(file: string | undefined): TestKeys {
  if (file && existsSync(file)) return importTestKeys(JSON.parse(readFileSync(file, "utf8")));
  const created = createTestKeys({ audience: "gemini-webhooks-example" });
  // Private test keys, so the CLI can sign dynamic deliveries this app accepts: owner-only permissions.
  if (file) writeFileSync(file, JSON.stringify(created.toJSON(), null, 2), { mode: 0o600 });
  return created;
}

function printBanner(url: string, deliveriesUrl: string | undefined): void {
  const secretArg = secretFromEnv ? '--secret "$GEMINI_WEBHOOK_SECRET"' : `--secret ${secret}`;
  console.log(`Gemini webhooks example: listening on ${url}`);
  console.log(
    secretFromEnv
      ? "  static (v1):        the secret in GEMINI_WEBHOOK_SECRET"
      : `  static (v1):        secret ${secret} (generated for this run; set GEMINI_WEBHOOK_SECRET to use yours)`,
  );
  console.log(
    `  dynamic (v1a, jwt): a local test key set, audience "${keys.audience}"; private keys for the CLI's --keys: ${keysFile}`,
  );
  console.log("Send a delivery from another terminal:");
  console.log(`  npm run cli -- send ${url} --type batch.succeeded ${secretArg}`);
  console.log(`  npm run cli -- send ${url} --type video.generated --scheme jwt --keys ${keysFile}`);
  console.log("Or see every event type, scheme, duplicate and forgery at once: npm run demo");
  console.log(
    deliveriesUrl
      ? `Watch deliveries live: ${deliveriesUrl}`
      : "Add -- --deliveries to watch deliveries live in a browser.",
  );
  if (queued)
    console.log(
      `Queue: ${queued.description}, a worker in this process; batch.succeeded takes ${SLOW_HANDLER_MS} ms and is still answered at once.`,
    );
  console.log("Stop with Ctrl+C.");
}

function stop(running: Server, status: number): void {
  // The temporary key file is ours; one named in GEMINI_WEBHOOK_TEST_KEYS belongs to the user.
  if (keysFile && !process.env.GEMINI_WEBHOOK_TEST_KEYS) rmSync(keysFile, { force: true });
  running.closeAllConnections();
  running.close(() => {
    process.exitCode = status;
    void closeQueue();
  });
}

async function closeQueue(): Promise<void> {
  await worker?.close(); // graceful: running handlers finish
  await queued?.close(); // the demo's queue is its own (see queue.ts): emptied, so nothing is left behind
}
