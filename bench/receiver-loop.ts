// The receiver alone, in-process, for a fixed number of deliveries: the workload bench/instructions.ts counts
// under callgrind (--builds). Requests are handed over as Express hands them (in-process.ts, as for
// tools/pipeline-micro.ts); deliveries are signed before the loop (the count includes none of the signing, the same for
// every build).
//   node --import tsx bench/receiver-loop.ts [--library dist/esm/index.js | floor] [--scheme ROW] [--count N] [--time]
// ROW is one of the bench's receiver rows: v1, v1a, jwt, v1-duplicates (one webhook-id repeated: the first is
// handled, every other answered as a duplicate) or v1-queued (the BullMQ queue on REDIS_URL, from the build's own
// bullmq.js beside --library; answers 202; its queue is emptied at the end, outside the count).
import { spawn } from "node:child_process";
import { once as onEvent } from "node:events";
import { pathToFileURL } from "node:url";
import type * as Bullmq from "../src/bullmq.js";
import type * as Library from "../src/index.js";
import { createBenchKeys, freshId, signV1, type Delivery } from "./deliveries.js";
import { deliverInProcess, parseScheme, schemeSetup, type Middleware } from "./in-process.js";

const argument = (name: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const library = argument("--library") ?? new URL("../dist/esm/index.js", import.meta.url).pathname;
const row = argument("--scheme") ?? "v1";
const duplicates = row === "v1-duplicates";
const queued = row === "v1-queued";
const scheme = parseScheme(duplicates || queued ? "v1" : row);
const count = Number(argument("--count")) || 10_000;
const keys = createBenchKeys();
const setup = await schemeSetup(scheme, keys);
const { floor } = setup;
const repeatedId = freshId();
const sign = duplicates ? () => signV1(keys.config.secret, repeatedId) : setup.sign;
const expectedStatus = queued ? 202 : 200;
if (queued && process.env.REDIS_URL === undefined) throw new Error("--scheme v1-queued needs REDIS_URL");

let queue: Bullmq.BullmqDeliveryQueue | undefined;
// --library floor: the floor's handler (read the body, answer) in place of the receiver, for the baseline.
async function middlewareFor(library: string): Promise<Middleware> {
  if (library === "floor") return floor;
  const { geminiWebhooks } = (await import(pathToFileURL(library).href)) as typeof Library;
  const options = { ...setup.options };
  if (queued) {
    const { bullmqQueue } = (await import(pathToFileURL(library.replace(/[^/]+$/, "bullmq.js")).href)) as typeof Bullmq;
    // Under callgrind everything runs tens of times slower: the default 3 s for Redis's acknowledgement would
    // turn the first enqueues into 503s.
    queue = bullmqQueue({
      connection: process.env.REDIS_URL!,
      name: `gemini-webhooks-instructions-${process.pid}`,
      enqueueTimeoutMs: 120_000,
    });
    Object.assign(options, { queue });
  }
  const receiver = geminiWebhooks(options);
  receiver.on("batch.succeeded", () => {});
  return receiver;
}
const middleware = await middlewareFor(library);

async function run(deliveries: Delivery[]): Promise<void> {
  for (const delivery of deliveries) {
    const status = await deliverInProcess(middleware, delivery);
    if (status !== expectedStatus) throw new Error(`answered ${status}`);
  }
}

function callgrindControl(command: "--instr=on" | "--dump"): Promise<unknown> {
  return onEvent(spawn("callgrind_control", [command, String(process.pid)], { stdio: "ignore" }), "exit");
}

// Under callgrind started with --instr-atstart=no (bench/instructions.ts --builds): warm up with as many
// deliveries again, then switch collection on for the measured loop only (key generation, RSA's above all, costs a
// different number of instructions every run) and dump right after it (the queue's clean-up and the process's
// exit are no delivery's; instructions.ts reads that dump).
const warmUp = Array.from({ length: count }, sign);
const measured = Array.from({ length: count }, sign);
await run(warmUp);
const underCallgrind = process.argv.includes("--callgrind");
if (underCallgrind) await callgrindControl("--instr=on");
const cpuBefore = process.cpuUsage();
await run(measured);
const cpu = process.cpuUsage(cpuBefore);
if (underCallgrind) await callgrindControl("--dump");
// --time: the measured loop's CPU time (user + system, this process) per delivery, in µs, on stdout: time beside
// the instruction count, from a run without callgrind.
if (process.argv.includes("--time")) console.log(((cpu.user + cpu.system) / count).toFixed(1));
if (queue) {
  await queue.queue().obliterate({ force: true });
  await queue.close();
}
