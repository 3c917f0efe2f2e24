// The receiver's own cost per delivery, without HTTP: the middleware is called in-process on a stream that
// carries the body, next to a "floor" that only reads the stream and answers. Profiling aid for src/
// changes, not part of `npm run bench`:
//   node --import tsx bench/tools/pipeline-micro.ts [--scheme v1|v1a|jwt] [--rounds N] [--compare /path/to/other/dist/esm/index.js] [--cpu-prof]
// With --scheme v1a or jwt, the floor is the matching "floor + crypto" (bench/floor-handler.ts): the receiver
// is then measured against the bare Ed25519 verification or jose.jwtVerify it cannot avoid.
// --compare loads a second build (e.g. of the previous commit) and interleaves it with this one in the same
// process. Beware: two builds in one process share jose, Node's internals and their inline caches, and an A/A run
// (a build against a copy of itself) read 4.6 µs (v1) and 16 µs (JWT) apart. For A/B figures use
// bench/tools/ab-builds.ts, which runs one process per build, alternating.
import { pathToFileURL } from "node:url";
import { geminiWebhooks } from "../library.js";
import { createBenchKeys, type Delivery } from "../deliveries.js";
import { deliverInProcess, parseScheme, schemeSetup, type Middleware } from "../in-process.js";

const argument = (name: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const scheme = parseScheme(argument("--scheme"));
const keys = createBenchKeys();
const { options, sign, floor } = await schemeSetup(scheme, keys);
// --library: measure another build (bench/tools/ab-builds.ts runs one process per build, so builds never share a process).
const library = argument("--library");
const makeReceiver = library
  ? ((await import(pathToFileURL(library).href)) as { geminiWebhooks: typeof geminiWebhooks }).geminiWebhooks
  : geminiWebhooks;
const receiver = makeReceiver(options);
receiver.on("batch.succeeded", () => {});
const compare = argument("--compare");
const other = compare
  ? ((await import(pathToFileURL(compare).href)) as { geminiWebhooks: typeof geminiWebhooks })
  : undefined;
const otherReceiver = other?.geminiWebhooks(options);
otherReceiver?.on("batch.succeeded", () => {});

/** CPU time (not wall time: other processes on the machine would inflate that) per delivery, in µs. */
async function time(middleware: Middleware, deliveries: Delivery[]): Promise<number> {
  const start = process.cpuUsage();
  for (const delivery of deliveries) {
    const status = await deliverInProcess(middleware, delivery);
    if (status !== 200) throw new Error(`answered ${status}`);
  }
  const { user, system } = process.cpuUsage(start);
  return (user + system) / deliveries.length;
}

// Many short batches, interleaved, each compared with the floor batch next to it: the median of those paired
// differences is steadier on a shared machine than the best of a few long batches.
const rounds = Number(argument("--rounds")) || 40;
// Ed25519 and RSA signatures are slow to make (every batch needs fresh webhook-ids): smaller batches.
const perBatch = scheme === "v1" ? 3_000 : scheme === "v1a" ? 1_000 : 300;
const over = { receiver: [] as number[], other: [] as number[] };
const floors: number[] = [];
for (let round = 0; round < rounds + 4; round++) {
  const deliveries = () => Array.from({ length: perBatch }, sign);
  const batches = [deliveries(), deliveries(), deliveries()];
  // The order rotates every round: whichever runs first or last in a round pays for it (measured: ~1.5 µs).
  const runs: [string, Middleware | undefined][] = [
    ["floor", floor],
    ["receiver", receiver as Middleware],
    ["other", otherReceiver as Middleware | undefined],
  ];
  const took: Record<string, number> = {};
  for (let i = 0; i < runs.length; i++) {
    const [name, middleware] = runs[(i + round) % runs.length]!;
    took[name] = middleware ? await time(middleware, batches[i]!) : NaN;
  }
  const {
    floor: floorUs,
    receiver: receiverUs,
    other: otherUs,
  } = took as Record<"floor" | "receiver" | "other", number>;
  if (round < 4) continue; // warm-up
  floors.push(floorUs);
  over.receiver.push(receiverUs - floorUs);
  if (otherReceiver) over.other.push(otherUs - floorUs);
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[list.length >> 1]!;
const pairedGap = otherReceiver ? median(over.receiver) - median(over.other) : NaN;
if (process.argv.includes("--json"))
  console.log(JSON.stringify({ floorUs: median(floors), overFloorUs: median(over.receiver) }));
else
  console.log(
    `${scheme}: floor ${median(floors).toFixed(2)} µs; receiver ${median(over.receiver).toFixed(2)} µs over floor` +
      (otherReceiver
        ? `; --compare build ${median(over.other).toFixed(2)} µs over floor; this − compare ${pairedGap.toFixed(2)} µs`
        : "") +
      ` per delivery (medians of ${rounds} paired rounds)`,
  );
