// The receiver alone, in-process, for a fixed number of deliveries: the workload bench/instructions.ts counts
// under callgrind (--builds). Requests are handed over as Express hands them (in-process.ts, as for
// pipeline-micro.ts); deliveries are signed before the loop (the count includes none of the signing, the same for
// every build).
//   node --import tsx bench/receiver-loop.ts [--library dist/esm/index.js | floor] [--scheme v1|v1a|jwt] [--count N]
import { spawn } from "node:child_process";
import { once as onEvent } from "node:events";
import { pathToFileURL } from "node:url";
import type * as Library from "../src/index.js";
import { createBenchKeys, type Delivery } from "./deliveries.js";
import { deliverInProcess, parseScheme, schemeSetup, type Middleware } from "./in-process.js";

const argument = (name: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const library = argument("--library") ?? new URL("../dist/esm/index.js", import.meta.url).pathname;
const scheme = parseScheme(argument("--scheme"));
const count = Number(argument("--count")) || 10_000;
const keys = createBenchKeys();
const { options, sign, floor } = await schemeSetup(scheme, keys);

// --library floor: the floor's handler (read the body, answer) in place of the receiver, for the baseline.
async function middlewareFor(library: string): Promise<Middleware> {
  if (library === "floor") return floor;
  const { geminiWebhooks } = (await import(pathToFileURL(library).href)) as typeof Library;
  const receiver = geminiWebhooks(options);
  receiver.on("batch.succeeded", () => {});
  return receiver;
}
const middleware = await middlewareFor(library);

async function run(deliveries: Delivery[]): Promise<void> {
  for (const delivery of deliveries) {
    const status = await deliverInProcess(middleware, delivery);
    if (status !== 200) throw new Error(`answered ${status}`);
  }
}

// Under callgrind started with --instr-atstart=no (bench/instructions.ts --builds): warm up with as many
// deliveries again, then switch collection on, so the count covers only the measured loop (key generation,
// RSA's above all, costs a different number of instructions every run).
const warmUp = Array.from({ length: count }, sign);
const measured = Array.from({ length: count }, sign);
await run(warmUp);
if (process.argv.includes("--callgrind")) {
  const control = spawn("callgrind_control", ["--instr=on", String(process.pid)], { stdio: "ignore" });
  await onEvent(control, "exit");
}
await run(measured);
