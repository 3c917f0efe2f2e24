// The receiver's own cost per delivery, without HTTP: the middleware is called in-process on a stream that
// carries the body, next to a "floor" that only reads the stream and answers. Profiling aid for
// src/ changes (`node --import tsx bench/pipeline-micro.ts [--cpu-prof]`); not part of `npm run bench`.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { geminiWebhooks } from "./library.js";
import { createBenchKeys, signV1, type Delivery } from "./deliveries.js";

const keys = createBenchKeys();
const receiver = geminiWebhooks({ secret: keys.config.secret });
receiver.on("batch.succeeded", () => {});

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

const floor: Middleware = (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    Buffer.concat(chunks);
    res.statusCode = 200;
    res.setHeader("Content-Type", "application/json; charset=utf-8");
    res.setHeader("Cache-Control", "no-store");
    res.end('{"status":"received"}');
  });
};

function once(middleware: Middleware, delivery: Delivery): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = new Readable({ read() {} }) as unknown as IncomingMessage;
    Object.assign(req, { method: "POST", url: "/", headers: delivery.headers, complete: true });
    const res = {
      statusCode: 0,
      headersSent: false,
      writableEnded: false,
      setHeader() {},
      once() {},
      end() {
        resolve(res.statusCode);
      },
    };
    middleware(req, res as unknown as ServerResponse, reject);
    (req as unknown as Readable).push(delivery.body);
    (req as unknown as Readable).push(null);
  });
}

async function time(middleware: Middleware, deliveries: Delivery[]): Promise<number> {
  const start = process.hrtime.bigint();
  for (const delivery of deliveries) {
    const status = await once(middleware, delivery);
    if (status !== 200) throw new Error(`answered ${status}`);
  }
  return Number(process.hrtime.bigint() - start) / deliveries.length / 1000;
}

const perBatch = 20_000;
const results = { floor: [] as number[], receiver: [] as number[] };
for (let round = 0; round < 6; round++) {
  const deliveries = Array.from({ length: perBatch }, () => signV1(keys.config.secret));
  results.floor.push(await time(floor, deliveries));
  results.receiver.push(await time(receiver as Middleware, deliveries));
}
const best = (list: number[]) => Math.min(...list.slice(1)); // round 0 is warm-up
console.log(
  `floor ${best(results.floor).toFixed(2)} µs, receiver ${best(results.receiver).toFixed(2)} µs, ` +
    `receiver − floor ${(best(results.receiver) - best(results.floor)).toFixed(2)} µs per delivery`,
);
