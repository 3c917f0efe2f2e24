// The receiver's own cost per delivery, without HTTP: the middleware is called in-process on a stream that
// carries the body, next to a "floor" that only reads the stream and answers. Profiling aid for src/
// changes, not part of `npm run bench`:
//   node --import tsx bench/pipeline-micro.ts [--compare /path/to/other/dist/esm/index.js] [--cpu-prof]
// --compare loads a second build (e.g. of the previous commit) and interleaves it with this one in the same
// process, so that an A/B difference is not drowned by load elsewhere on the machine.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { geminiWebhooks } from "./library.js";
import { createBenchKeys, signV1, type Delivery } from "./deliveries.js";
import { floorHandler } from "./floor-handler.js";

const keys = createBenchKeys();
const receiver = geminiWebhooks({ secret: keys.config.secret });
receiver.on("batch.succeeded", () => {});
const compareIndex = process.argv.indexOf("--compare");
const other =
  compareIndex > 0 ? ((await import(pathToFileURL(process.argv[compareIndex + 1]!).href)) as { geminiWebhooks: typeof geminiWebhooks }) : undefined;
const otherReceiver = other?.geminiWebhooks({ secret: keys.config.secret });
otherReceiver?.on("batch.succeeded", () => {});

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

const floor: Middleware = floorHandler;

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

/** CPU time (not wall time: other processes on the machine would inflate that) per delivery, in µs. */
async function time(middleware: Middleware, deliveries: Delivery[]): Promise<number> {
  const start = process.cpuUsage();
  for (const delivery of deliveries) {
    const status = await once(middleware, delivery);
    if (status !== 200) throw new Error(`answered ${status}`);
  }
  const { user, system } = process.cpuUsage(start);
  return (user + system) / deliveries.length;
}

const perBatch = 10_000;
const results = { floor: [] as number[], receiver: [] as number[], other: [] as number[] };
for (let round = 0; round < 12; round++) {
  const deliveries = () => Array.from({ length: perBatch }, () => signV1(keys.config.secret));
  results.floor.push(await time(floor, deliveries()));
  results.receiver.push(await time(receiver as Middleware, deliveries()));
  if (otherReceiver) results.other.push(await time(otherReceiver as Middleware, deliveries()));
}
const best = (list: number[]) => Math.min(...list.slice(2)); // the first rounds are warm-up
const over = (list: number[]) => (best(list) - best(results.floor)).toFixed(2);
console.log(
  `floor ${best(results.floor).toFixed(2)} µs, receiver ${best(results.receiver).toFixed(2)} µs ` +
    `(${over(results.receiver)} µs over floor)` +
    (otherReceiver ? `, --compare build ${best(results.other).toFixed(2)} µs (${over(results.other)} µs over floor)` : "") +
    " per delivery",
);
