// The receiver alone, in-process, for a fixed number of deliveries: the workload bench/instructions.ts counts
// under callgrind (--in-process). Requests are Node's IncomingMessage/ServerResponse with Express's prototypes,
// as in pipeline-micro.ts; deliveries are signed before the loop (the count includes none of the signing, the same for
// every build).
//   node --import tsx bench/receiver-loop.ts [--library dist/esm/index.js | floor] [--scheme v1|v1a|jwt] [--count N]
import express from "express";
import { spawn } from "node:child_process";
import { once as onEvent } from "node:events";
import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import { pathToFileURL } from "node:url";
import type { JSONWebKeySet } from "jose";
import { createBenchKeys, signJwt, signV1, signV1a, type Delivery } from "./deliveries.js";
import { ed25519Check, floorWith, joseJwtCheck } from "./floor-handler.js";
import type * as Library from "../src/index.js";

const argument = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const library = argument("--library") ?? new URL("../dist/esm/index.js", import.meta.url).pathname;
const scheme = argument("--scheme") ?? "v1";
const count = Number(argument("--count")) || 10_000;
const { geminiWebhooks } = (await import(
  pathToFileURL(library === "floor" ? new URL("../dist/esm/index.js", import.meta.url).pathname : library).href
)) as typeof Library;

const keys = createBenchKeys();
const receiver = geminiWebhooks(
  scheme === "v1"
    ? { secret: keys.config.secret }
    : { jwks: { keys: keys.config.jwks as unknown as JSONWebKeySet, audience: keys.config.audience }, toleranceSeconds: 3600 },
);
receiver.on("batch.succeeded", () => {});
// --library floor: the floor's handler (read the body, answer) in place of the receiver, for the baseline.
const middleware: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void =
  library === "floor"
    ? floorWith(scheme === "v1a" ? ed25519Check(keys.config) : scheme === "jwt" ? await joseJwtCheck(keys.config) : undefined)
    : receiver;
const sign: () => Delivery =
  scheme === "v1a" ? () => signV1a(keys.ed25519) : scheme === "jwt" ? () => signJwt(keys.rsa, keys.config.audience) : () => signV1(keys.config.secret);

const app = express();
const socket = new Socket();
function once(delivery: Delivery): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = Object.setPrototypeOf(new IncomingMessage(socket), app.request) as IncomingMessage;
    req.method = "POST";
    req.url = "/";
    req.headers = delivery.headers;
    const res = Object.setPrototypeOf(new ServerResponse(req), app.response) as ServerResponse;
    const end = res.end;
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      end.apply(this, args as never);
      resolve(this.statusCode);
      return this;
    } as ServerResponse["end"];
    middleware(req, res, reject);
    req.push(delivery.body);
    req.push(null);
    req.complete = true;
  });
}

async function run(deliveries: Delivery[]): Promise<void> {
  for (const delivery of deliveries) {
    const status = await once(delivery);
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
