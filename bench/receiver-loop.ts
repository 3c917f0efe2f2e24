// The receiver alone, in-process, for a fixed number of deliveries: the workload bench/instructions.ts counts
// under callgrind (--in-process). Requests are Node's IncomingMessage/ServerResponse with Express's prototypes,
// as in pipeline-micro.ts; deliveries are signed before the loop (the count includes the signing, the same for
// every build, and the difference of two counts cancels it along with start-up).
//   node --import tsx bench/receiver-loop.ts [--library dist/esm/index.js] [--scheme v1|v1a|jwt] [--count N]
import express from "express";
import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import { pathToFileURL } from "node:url";
import type { JSONWebKeySet } from "jose";
import { createBenchKeys, signJwt, signV1, signV1a, type Delivery } from "./deliveries.js";
import type * as Library from "../src/index.js";

const argument = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const library = argument("--library") ?? new URL("../dist/esm/index.js", import.meta.url).pathname;
const scheme = argument("--scheme") ?? "v1";
const count = Number(argument("--count")) || 10_000;
const { geminiWebhooks } = (await import(pathToFileURL(library).href)) as typeof Library;

const keys = createBenchKeys();
const receiver = geminiWebhooks(
  scheme === "v1"
    ? { secret: keys.config.secret }
    : { jwks: { keys: keys.config.jwks as unknown as JSONWebKeySet, audience: keys.config.audience }, toleranceSeconds: 3600 },
);
receiver.on("batch.succeeded", () => {});
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
    receiver(req, res, reject);
    req.push(delivery.body);
    req.push(null);
    req.complete = true;
  });
}

const deliveries = Array.from({ length: count }, sign);
for (const delivery of deliveries) {
  const status = await once(delivery);
  if (status !== 200) throw new Error(`answered ${status}`);
}
