// `node --import tsx bench/instructions.ts [--only a,b --requests N --warmup N --repeat R]`, or
// `node --import tsx bench/instructions.ts --builds <dist/esm/index.js>,<other dist/esm/index.js> [--scheme ROW] [--count N] [--repeat R] [--keep DIR]`
// (ROW: v1, v1a, jwt, v1-duplicates, or v1-queued with REDIS_URL: the receiver rows, see receiver-loop.ts)
//
// Instructions per request, counted by valgrind's callgrind in each server variant (all its threads: the main
// thread, GC helpers, the thread pool), over the same HTTP requests the time bench sends. Unlike CPU time on
// this shared 2-core machine, an instruction count hardly moves from run to run or with other load, so a
// change of a few per cent shows. It is not time: a cache miss costs no more instructions than a hit, and
// valgrind runs every thread in turn. Use it to compare builds and to find where instructions go; quote
// `npm run bench` for the targets.
//
// Each server starts under callgrind (slowly: ~50× slower than native), is warmed up with --warmup requests
// (the JIT settles), then its counters are zeroed, --requests requests are sent and the counters dumped.
import autocannon from "autocannon";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createBenchKeys, poolRequest } from "./deliveries.js";
import { benchVariants, type Variant } from "./variants.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const index = argv.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(argv[index + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};
const onlyIndex = argv.indexOf("--only");
const only = onlyIndex >= 0 ? new Set(argv[onlyIndex + 1]!.split(",")) : undefined;
const requests = option("--requests", 2000);
const warmup = option("--warmup", 3000);
const repeat = option("--repeat", 1);
// --keep DIR: keep each dump there (DIR/<variant>.<round>.callgrind) for callgrind_annotate.
const keepIndex = argv.indexOf("--keep");
const keepDir = keepIndex >= 0 ? argv[keepIndex + 1] : undefined;
const connections = 4;

const keys = createBenchKeys();
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const all = benchVariants(keys, process.env.REDIS_URL !== undefined);
// --only keeps the floor and the reference of every variant kept.
if (only) for (const variant of all) if (only.has(variant.name) && variant.reference) only.add(variant.reference);
const variants = all.filter((variant) => !only || only.has(variant.name) || variant.name === "floor");

try {
  execFileSync("valgrind", ["--version"], { stdio: "ignore" });
} catch {
  throw new Error("valgrind is not installed: apt-get install -y valgrind");
}

// --builds a,b: instead of the HTTP servers, count the receiver alone in-process (bench/receiver-loop.ts) for
// each build: instructions of --count measured deliveries (default 2000) after as many warm-up ones, collection
// switched on only for the measured loop (key generation, RSA's above all, costs a different count each run).
// V8 runs --predictable (no concurrent compiler or GC threads: their share would depend on scheduling) with fixed
// seeds. Two runs of one build differed by up to 1.2 %: use --repeat and compare medians.
if (keepDir) mkdirSync(keepDir, { recursive: true });
const buildsIndex = argv.indexOf("--builds");
if (buildsIndex >= 0) {
  const builds = argv[buildsIndex + 1]!.split(",");
  const schemeIndex = argv.indexOf("--scheme");
  const scheme = schemeIndex >= 0 ? argv[schemeIndex + 1]! : "v1";
  const count = option("--count", 2000);
  const loop = here("./receiver-loop.ts");
  // --keep DIR: each dump as DIR/build<N>.<round>.callgrind (N: the build's place in --builds), for
  // tools/callgrind-split.ts (give it --requests <count>).
  const instructionsFor = async (library: string, keepAs: string | undefined): Promise<number> => {
    const outDir = mkdtempSync(join(tmpdir(), "gw-callgrind-"));
    const out = join(outDir, "callgrind.out");
    const v8 = ["--predictable", "--hash-seed=1", "--random-seed=1"];
    const script = [loop, "--library", library, "--scheme", scheme, "--count", String(count), "--callgrind"];
    const child = spawn(
      "valgrind",
      [
        "--tool=callgrind",
        "--quiet",
        "--instr-atstart=no",
        `--callgrind-out-file=${out}`,
        process.execPath,
        ...v8,
        "--import",
        "tsx",
        ...script,
      ],
      {
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    const code = await new Promise((resolve) => child.once("exit", resolve));
    if (code !== 0) throw new Error(`receiver-loop under callgrind exited with ${code}`);
    // receiver-loop.ts dumps once, right after the measured loop: `<out>.1`.
    const dump = `${out}.1`;
    if (keepAs) copyFileSync(dump, keepAs);
    const summary = /^summary: (\d+)/m.exec(readFileSync(dump, "utf8"));
    rmSync(outDir, { recursive: true, force: true });
    if (!summary || Number(summary[1]) === 0)
      throw new Error("callgrind counted nothing (is callgrind_control on the PATH?)");
    return Number(summary[1]) / count;
  };
  const counts = builds.map(() => [] as number[]);
  for (let round = 0; round < repeat; round++) {
    // Two at a time: the machine has two cores.
    for (let i = 0; i < builds.length; i += 2) {
      const pair = builds.slice(i, i + 2);
      const results = await Promise.all(
        pair.map((library, j) =>
          instructionsFor(library, keepDir && join(keepDir, `build${i + j + 1}.${round + 1}.callgrind`)),
        ),
      );
      results.forEach((perDelivery, j) => {
        counts[i + j]!.push(perDelivery);
        process.stderr.write(
          `  ${pair[j]}: ${(perDelivery / 1000).toFixed(1)} k instructions per delivery (${scheme})\n`,
        );
      });
    }
  }
  const medianOf = (list: number[]) => [...list].sort((x, y) => x - y)[list.length >> 1]!;
  console.log(
    `\n| build | k instructions per delivery (${scheme}, in-process, request and answer included; median of ${repeat}) | ÷ first |`,
  );
  console.log("|---|---:|---:|");
  builds.forEach((library, i) =>
    console.log(
      `| ${library} | ${(medianOf(counts[i]!) / 1000).toFixed(1)} | ${(medianOf(counts[i]!) / medianOf(counts[0]!)).toFixed(3)} |`,
    ),
  );
  process.exit(0);
}

interface Counted {
  child: ChildProcess;
  port: number;
  outDir: string;
}

function startUnderCallgrind(variant: Variant): Promise<Counted> {
  const outDir = mkdtempSync(join(tmpdir(), "gw-callgrind-"));
  const child = spawn(
    "valgrind",
    [
      "--tool=callgrind",
      "--quiet",
      `--callgrind-out-file=${join(outDir, "callgrind.out")}`,
      process.execPath,
      "--import",
      "tsx",
      here(`./${variant.server}`),
    ],
    {
      env: { ...process.env, BENCH_CONFIG: JSON.stringify(keys.config) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  return new Promise((resolve, reject) => {
    child.once("message", (message: { port: number }) => resolve({ child, port: message.port, outDir }));
    child.once("exit", (code) =>
      reject(new Error(`${variant.name}: server exited with code ${code} before listening`)),
    );
  });
}

async function send(variant: Variant, port: number, amount: number): Promise<void> {
  variant.pool.fill(amount);
  const request = poolRequest(variant.pool);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/webhook`,
    connections,
    amount,
    requests: [request],
    timeout: 60,
  });
  if (result["2xx"] !== amount) throw new Error(`${variant.name}: ${result["2xx"]} of ${amount} answers were 2xx`);
}

function callgrindControl(command: "--zero" | "--dump", pid: number): void {
  execFileSync("callgrind_control", [command, String(pid)], { stdio: "ignore" });
}

/** The dump's `summary:` line: instructions executed between the zero and the dump. */
function dumpedInstructions(outDir: string, keepAs: string | undefined): number {
  const dump = readdirSync(outDir).find((name) => /\.\d+$/.test(name));
  if (!dump) throw new Error("callgrind wrote no dump");
  if (keepAs) copyFileSync(join(outDir, dump), keepAs);
  const summary = /^summary: (\d+)/m.exec(readFileSync(join(outDir, dump), "utf8"));
  if (!summary) throw new Error("callgrind dump has no summary line");
  return Number(summary[1]);
}

async function count(variant: Variant, round: number): Promise<number> {
  const server = await startUnderCallgrind(variant);
  try {
    await send(variant, server.port, warmup);
    callgrindControl("--zero", server.child.pid!);
    await send(variant, server.port, requests);
    callgrindControl("--dump", server.child.pid!);
    return (
      dumpedInstructions(server.outDir, keepDir && join(keepDir, `${variant.name}.${round + 1}.callgrind`)) / requests
    );
  } finally {
    server.child.kill("SIGKILL");
    await new Promise((resolve) => server.child.once("exit", resolve));
    rmSync(server.outDir, { recursive: true, force: true });
  }
}

const results = new Map<string, number[]>();
process.stderr.write(
  `instructions: ${variants.length} variants, ${warmup} warm-up + ${requests} counted requests each, ${repeat}×\n`,
);
for (let round = 0; round < repeat; round++) {
  for (const variant of variants) {
    const perRequest = await count(variant, round);
    results.set(variant.name, [...(results.get(variant.name) ?? []), perRequest]);
    process.stderr.write(
      `  ${variant.name.padEnd(28)} ${(perRequest / 1000).toFixed(1).padStart(8)} k instructions/request\n`,
    );
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const perRequest = (name: string) => median(results.get(name) ?? [NaN]);
console.log("\n| variant | k instructions/request | spread | judged against | that ÷ this | over that (k) |");
console.log("|---|---:|---:|---|---:|---:|");
for (const variant of variants) {
  const mine = perRequest(variant.name);
  const list = results.get(variant.name)!;
  const spread = list.length > 1 ? `±${((100 * (Math.max(...list) - Math.min(...list))) / 2 / mine).toFixed(1)} %` : "";
  const reference = variant.name === "floor" ? undefined : (variant.reference ?? "floor");
  const theirs = reference ? perRequest(reference) : NaN;
  console.log(
    `| ${variant.name} | ${(mine / 1000).toFixed(1)} | ${spread} | ${reference ?? ""} | ${reference ? (theirs / mine).toFixed(2) : ""} | ` +
      `${reference ? ((mine - theirs) / 1000).toFixed(1) : ""} |`,
  );
}
