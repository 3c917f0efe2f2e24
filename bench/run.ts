// `npm run bench [-- --quick] [-- --rounds N --duration S --connections C --only a,b --profile variant]`
// With REDIS_URL set, also the queued receiver (BullMQ) beside its floor, and the answer time with a 5 s handler;
// with DATABASE_URL set, the same for pg-boss.
//
// Each server variant runs in its own child process on 127.0.0.1; autocannon drives it from this process.
// All servers start (and warm up) first; then the load visits them in turn, round after round, in an order
// rotated each round. Every ratio is taken between measurements of the same round, then the median over
// rounds is printed: on a shared, noisy machine absolute numbers mean little, ratios measured side by side do.
import autocannon from "autocannon";
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { createBenchKeys, DeliveryPool, poolRequest, signV1 } from "./deliveries.js";
import { benchVariants, type Variant } from "./variants.js";

interface Settings {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  only?: Set<string>;
  profile?: string;
  quick: boolean;
  extraServers: [string, string][];
}

function parseArgs(argv: string[]): Settings {
  const quick = argv.includes("--quick");
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const number = (name: string, fallback: number): number => {
    const text = value(name);
    if (text === undefined) return fallback;
    const parsed = Number(text);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${name} must be a positive number`);
    return parsed;
  };
  const only = value("--only");
  return {
    quick,
    rounds: number("--rounds", quick ? 3 : 10),
    durationSeconds: number("--duration", quick ? 1 : 2),
    warmupSeconds: number("--warmup", quick ? 0.5 : 1),
    connections: number("--connections", 10),
    only: only ? new Set(only.split(",")) : undefined,
    profile: value("--profile"),
    extraServers: argv.flatMap((arg, i) => (arg === "--server" ? [argv[i + 1]!.split("=") as [string, string]] : [])),
  };
}

const settings = parseArgs(process.argv.slice(2));
const keys = createBenchKeys();
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const ALL_VARIANTS = benchVariants(keys, process.env.REDIS_URL !== undefined);
// --only keeps the baselines (floor, docs-handler) and the reference of every variant kept.
const wanted = settings.only && new Set(["floor", "docs-handler", ...settings.only]);
for (const variant of ALL_VARIANTS) if (wanted?.has(variant.name) && variant.reference) wanted.add(variant.reference);
const VARIANTS = ALL_VARIANTS.filter((variant) => !wanted || wanted.has(variant.name));
// Extra servers for experiments: --server name=servers/file.ts (fed v1 deliveries).
for (const [name, server] of settings.extraServers)
  VARIANTS.push({ name, server, pool: new DeliveryPool(() => signV1(keys.config.secret)), resignEachRound: true });

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU time (user + system) per answered request, in µs. */
  cpuUs: number;
  /** The main thread's part of `cpuUs` (the rest: V8's GC and compiler threads, libuv's thread pool). */
  mainUs: number;
}

interface Started {
  child: ChildProcess;
  port: number;
}

function startServer(variant: Variant): Promise<Started> {
  const execArgv = ["--import", "tsx"];
  if (settings.profile?.split(",").includes(variant.name)) {
    const dir = here("./profiles");
    mkdirSync(dir, { recursive: true });
    // One file per thread (tsx runs its loader in a worker); the main thread's is the large one.
    execArgv.push("--cpu-prof", "--cpu-prof-dir", join(dir, variant.name));
  }
  const child = fork(here(`./${variant.server}`), [], {
    execArgv,
    env: { ...process.env, BENCH_CONFIG: JSON.stringify(keys.config) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", (message: { port: number }) => resolve({ child, port: message.port }));
    child.once("exit", (code) =>
      reject(new Error(`${variant.name}: server exited with code ${code} before listening`)),
    );
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    // Disconnecting makes the server exit normally (so --cpu-prof writes its profile); kill it if it doesn't.
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.disconnect();
    else child.kill("SIGTERM");
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function drive(
  variant: Variant,
  port: number,
  seconds: number,
): Promise<Omit<Sample, "cpuUs" | "mainUs"> & { answered: number }> {
  const url = `http://127.0.0.1:${port}/webhook`;
  const request = poolRequest(variant.pool);
  const latencies: number[] = [];
  const instance = autocannon({
    url,
    connections: settings.connections,
    duration: seconds,
    requests: [request],
    timeout: 10,
  });
  // autocannon's own histogram has whole-millisecond resolution; keep the exact times to compare p99s.
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) =>
    latencies.push(responseTime),
  );
  const result = await instance;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    const codes = Object.entries(result.statusCodeStats)
      .map(([code, { count }]) => `${code}×${count}`)
      .join(" ");
    throw new Error(
      `${variant.name}: ${result.non2xx} non-2xx (${codes}), ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    rps: result["2xx"] / result.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    answered: result["2xx"],
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const samples = new Map<string, Sample[]>();
const failed = new Map<string, string>();
// Requests one measurement may need from a pool (grows with the fastest variant seen).
let expectedRequests = 8000 * Math.max(settings.warmupSeconds, settings.durationSeconds);
const servers = new Map<string, Started>();

/** Starts the variant's server and warms it up (JIT), or records why it failed. */
async function start(variant: Variant): Promise<void> {
  variant.pool.fill(Math.ceil(expectedRequests * 1.5));
  try {
    const started = await startServer(variant);
    servers.set(variant.name, started);
    await drive(variant, started.port, settings.warmupSeconds);
  } catch (error) {
    fail(variant, error);
  }
}

async function measure(variant: Variant): Promise<void> {
  const server = servers.get(variant.name);
  if (!server || failed.has(variant.name)) return;
  // Signed between measurements, never during one (signing would take CPU from the server).
  if (variant.resignEachRound) variant.pool.clear();
  variant.pool.fill(Math.ceil(expectedRequests * 1.5));
  try {
    server.child.send("cpu-start");
    const { answered, ...measured } = await drive(variant, server.port, settings.durationSeconds);
    const cpu = await serverCpu(server.child);
    const sample: Sample = {
      ...measured,
      cpuUs: (cpu.user + cpu.system) / answered,
      mainUs: cpu.mainThread / answered,
    };
    expectedRequests = Math.max(expectedRequests, sample.rps * settings.durationSeconds);
    const list = samples.get(variant.name) ?? [];
    list.push(sample);
    samples.set(variant.name, list);
    process.stderr.write(
      `  ${variant.name.padEnd(28)} ${sample.rps.toFixed(0).padStart(6)} req/s  p50 ${sample.p50.toFixed(2)} ms  ` +
        `p99 ${sample.p99.toFixed(2)} ms  server CPU ${sample.cpuUs.toFixed(0)} µs/req (main thread ${sample.mainUs.toFixed(0)})  (${answered} answered)\n`,
    );
  } catch (error) {
    fail(variant, error);
  }
}

function fail(variant: Variant, error: unknown): void {
  failed.set(variant.name, (error as Error).message);
  process.stderr.write(`  ${variant.name}: FAILED: ${(error as Error).message}\n`);
}

function serverCpu(child: ChildProcess): Promise<NodeJS.CpuUsage & { mainThread: number }> {
  return new Promise((resolve) => {
    const onMessage = (message: { cpu?: NodeJS.CpuUsage; mainThread: number }) => {
      if (!message.cpu) return;
      child.off("message", onMessage);
      resolve({ ...message.cpu, mainThread: message.mainThread });
    };
    child.on("message", onMessage);
    child.send("cpu-stop");
  });
}

async function runScript(script: string, extraExecArgv: string[] = []): Promise<Record<string, unknown>> {
  const child = fork(here(`./${script}`), settings.quick ? ["--quick"] : [], {
    execArgv: ["--import", "tsx", ...extraExecArgv],
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) return { error: `${script} exited with code ${code}` };
  const lastLine = output.trim().split("\n").pop() ?? "{}";
  return JSON.parse(lastLine) as Record<string, unknown>;
}

function fmt(value: number | undefined, digits: number): string {
  return value === undefined || Number.isNaN(value) ? "—" : value.toFixed(digits);
}

async function main(): Promise<void> {
  const started = Date.now();
  process.stderr.write(
    `bench: ${settings.rounds} rounds × ${settings.durationSeconds}s per variant (after ${settings.warmupSeconds}s warm-up), ` +
      `${settings.connections} connections, ${VARIANTS.length} variants\n`,
  );
  // Every server stays up for the whole run (warm, its dedupe store filling as in production); the load
  // moves from one to the next, in an order rotated each round.
  process.stderr.write(`starting and warming up ${VARIANTS.length} servers\n`);
  for (const variant of VARIANTS) await start(variant);
  try {
    for (let round = 0; round < settings.rounds; round++) {
      process.stderr.write(`round ${round + 1}/${settings.rounds}\n`);
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
      for (const variant of order) await measure(variant);
    }
  } finally {
    for (const server of servers.values()) await stopServer(server.child);
  }

  const jwks = await runScript("jwks-fetches.ts");
  const heap = await runScript("memory-heap.ts", ["--expose-gc"]);
  const hmac = await runScript("hmac-micro.ts");
  const slow =
    process.env.REDIS_URL || process.env.DATABASE_URL
      ? await runScript("slow-handler.ts")
      : { error: "neither REDIS_URL nor DATABASE_URL is set" };

  // Ratios are paired within each round, then the median is taken over rounds.
  const floor = samples.get("floor") ?? [];
  const docs = samples.get("docs-handler") ?? [];
  const paired = (name: string, base: Sample[], pick: (s: Sample, b: Sample) => number): number | undefined => {
    const list = samples.get(name) ?? [];
    const values = list.map((s, i) => (base[i] ? pick(s, base[i]) : NaN)).filter((v) => !Number.isNaN(v));
    return values.length ? median(values) : undefined;
  };
  const rows = VARIANTS.map((variant) => {
    const list = samples.get(variant.name) ?? [];
    const reference = variant.reference ?? "floor";
    const own = samples.get(reference) ?? [];
    return {
      name: variant.name,
      reference,
      note: failed.has(variant.name) ? "FAILED" : undefined,
      rps: list.length ? median(list.map((s) => s.rps)) : undefined,
      p50: list.length ? median(list.map((s) => s.p50)) : undefined,
      p99: list.length ? median(list.map((s) => s.p99)) : undefined,
      cpuUs: list.length ? median(list.map((s) => s.cpuUs)) : undefined,
      mainUs: list.length ? median(list.map((s) => s.mainUs)) : undefined,
      cpuVsFloor: paired(variant.name, floor, (s, b) => b.cpuUs / s.cpuUs),
      cpuVsDocs: paired(variant.name, docs, (s, b) => b.cpuUs / s.cpuUs),
      cpuVsReference: paired(variant.name, own, (s, b) => b.cpuUs / s.cpuUs),
      rpsVsReference: paired(variant.name, own, (s, b) => s.rps / b.rps),
      vsFloor: paired(variant.name, floor, (s, b) => s.rps / b.rps),
      vsDocs: paired(variant.name, docs, (s, b) => s.rps / b.rps),
      p99OverFloor: paired(variant.name, floor, (s, b) => s.p99 - b.p99),
      p99OverReference: paired(variant.name, own, (s, b) => s.p99 - b.p99),
    };
  });

  // The targets are ratios of server CPU per request (steadier than req/s on a shared machine); req/s beside them.
  const lines: string[] = [];
  lines.push("");
  lines.push(
    `| variant | req/s | p50 ms | p99 ms | p99 − floor ms | server CPU µs/req | main thread µs/req | CPU floor ÷ this | CPU docs-handler ÷ this | judged against | CPU that ÷ this | req/s this ÷ that |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|`,
  );
  for (const row of rows) {
    if (row.note && row.rps === undefined) {
      lines.push(`| ${row.name} | ${row.note} | | | | | | | | | | |`);
      continue;
    }
    const judged = row.name === row.reference ? "" : row.reference;
    lines.push(
      `| ${row.name}${row.note ? ` (${row.note})` : ""} | ${fmt(row.rps, 0)} | ${fmt(row.p50, 2)} | ${fmt(row.p99, 2)} | ` +
        `${fmt(row.p99OverFloor, 2)} | ${fmt(row.cpuUs, 0)} | ${fmt(row.mainUs, 0)} | ${fmt(row.cpuVsFloor, 2)} | ${fmt(row.cpuVsDocs, 2)} | ${judged} | ` +
        `${judged ? fmt(row.cpuVsReference, 2) : ""} | ${judged ? fmt(row.rpsVsReference, 2) : ""} |`,
    );
  }
  lines.push("");
  lines.push(`JWKS fetches for 200 concurrent cold deliveries: ${formatJwks(jwks)}`);
  lines.push(`Memory store heap: ${formatHeap(heap)}`);
  lines.push(`v1 HMAC alone, in-process: ${formatHmac(hmac)}`);
  lines.push(`Time to answer with a 5 s handler: ${formatSlow(slow)}`);

  const byName = new Map(rows.map((row) => [row.name, row]));
  const check = (label: string, value: number | undefined, ok: (v: number) => boolean, shown: string): string => {
    if (value === undefined) return `- ${label}: n/a`;
    return `- ${label}: ${shown} ${ok(value) ? "met" : "NOT MET"}`;
  };
  const ratio = (
    name: string,
    pick: (row: (typeof rows)[number]) => number | undefined,
    target: number,
    label: string,
  ): string => {
    const row = byName.get(name);
    const value = row ? pick(row) : undefined;
    const rps = row && label === "docs-handler" ? row.vsDocs : row?.rpsVsReference;
    return check(
      `${name} ÷ ${label} (server CPU) ≥ ${target.toFixed(2)}×`,
      value,
      (v) => v >= target,
      `${fmt(value, 2)}× (req/s ${fmt(rps, 2)}×)`,
    );
  };
  const v1 = byName.get("receiver-v1");
  const dup = byName.get("receiver-v1-duplicates");
  lines.push("");
  lines.push("Targets (server CPU per request, paired within rounds, median over rounds):");
  lines.push(ratio("receiver-v1", (row) => row.cpuVsReference, 0.9, "floor"));
  lines.push(ratio("receiver-v1", (row) => row.cpuVsDocs, 1.3, "docs-handler"));
  lines.push(ratio("receiver-v1a", (row) => row.cpuVsReference, 0.9, "floor+ed25519"));
  lines.push(ratio("receiver-jwt", (row) => row.cpuVsReference, 0.9, "floor+jose-jwt"));
  lines.push(ratio("receiver-v1-queued", (row) => row.cpuVsReference, 0.85, "floor+redis-set"));
  // Reported, not a target: the queued row against a floor that makes the same BullMQ add (no pipeline).
  const bullmqFloor = samples.get("floor+bullmq-add");
  if (bullmqFloor?.length) {
    const vsBullmq = paired("receiver-v1-queued", bullmqFloor, (s, b) => b.cpuUs / s.cpuUs);
    lines.push(`- receiver-v1-queued ÷ floor+bullmq-add (reported): ${fmt(vsBullmq, 2)}× server CPU`);
  }
  // Reported, not a target: the pg-boss row against the floor plus one bare pg-boss send, and that against a bare INSERT.
  const pgboss = byName.get("receiver-v1-pgboss");
  if (pgboss) {
    lines.push(
      `- receiver-v1-pgboss ÷ floor+pgboss-send (reported): ${fmt(pgboss.cpuVsReference, 2)}× server CPU (req/s ${fmt(pgboss.rpsVsReference, 2)}×)`,
    );
    const sendRow = byName.get("floor+pgboss-send");
    lines.push(
      `- floor+pgboss-send ÷ floor+pg-insert (reported): ${fmt(sendRow?.cpuVsReference, 2)}× server CPU (req/s ${fmt(sendRow?.rpsVsReference, 2)}×)`,
    );
  }
  lines.push(
    `- receiver-v1-duplicates (reported): ${fmt(dup?.cpuVsFloor, 2)}× floor CPU, ${fmt(dup?.cpuVsDocs, 2)}× docs-handler CPU`,
  );
  lines.push(
    check("receiver-v1 p99 − floor p99 ≤ 0.5 ms", v1?.p99OverFloor, (v) => v <= 0.5, `${fmt(v1?.p99OverFloor, 2)} ms`),
  );
  const fetches = typeof jwks.fetches === "number" ? jwks.fetches : undefined;
  lines.push(check("1 JWKS fetch per cold key", fetches, (v) => v === 1, `${fetches ?? "—"} fetch(es)`));
  const per100k = typeof heap.mbPer100k === "number" ? heap.mbPer100k : undefined;
  lines.push(
    check("memory store ≤ 12 MB per 100 000 ids (moonshot 6)", per100k, (v) => v <= 12, `${fmt(per100k, 1)} MB`),
  );

  for (const [name, reason] of failed) lines.push(`(${name} FAILED: ${reason})`);
  for (const variant of VARIANTS) {
    if (variant.pool.signedLate)
      lines.push(`(${variant.name}: pool ran out, ${variant.pool.signedLate} deliveries signed during the run)`);
  }
  lines.push("");
  lines.push(
    `Machine: ${os.cpus()[0]?.model.trim() ?? "unknown CPU"}, ${os.cpus().length} cores, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}; ` +
      `${settings.rounds} rounds × ${settings.durationSeconds}s, ${settings.connections} connections; took ${Math.round((Date.now() - started) / 1000)}s.`,
  );
  process.stdout.write(lines.join("\n") + "\n");
  if (failed.size > 0) process.exitCode = 1;
}

function formatJwks(result: Record<string, unknown>): string {
  if (typeof result.error === "string") return `FAILED (${result.error})`;
  return `${result.fetches} fetch(es), ${result.accepted}/${result.deliveries} accepted`;
}

function formatSlow(result: Record<string, unknown>): string {
  if (typeof result.error === "string") return `n/a (${result.error})`;
  const { inlineMs, queuedMs, pgbossMs, deliveries } = result as Record<string, number | undefined>;
  const queued = [
    queuedMs === undefined ? undefined : `queued (BullMQ) ${queuedMs.toFixed(1)} ms`,
    pgbossMs === undefined ? undefined : `queued (pg-boss) ${pgbossMs.toFixed(1)} ms`,
  ].filter(Boolean);
  return `inline ${inlineMs!.toFixed(0)} ms, ${queued.join(", ")} (median of ${deliveries} deliveries sent at once)`;
}

function formatHmac(result: Record<string, unknown>): string {
  if (typeof result.error === "string") return `FAILED (${result.error})`;
  const { bodyBytes, standardwebhooksUs, nodeCryptoUs, ratio } = result as Record<string, number>;
  return (
    `standardwebhooks ${standardwebhooksUs!.toFixed(1)} µs, node:crypto ${nodeCryptoUs!.toFixed(1)} µs ` +
    `per ${bodyBytes} B delivery (${ratio!.toFixed(1)}×)`
  );
}

function formatHeap(result: Record<string, unknown>): string {
  if (typeof result.error === "string") return `FAILED (${result.error})`;
  const points = result.points as { ids: number; mb: number }[];
  const steady = result.steady as { seen: number; mb: number } | undefined;
  return (
    points.map((p) => `${p.ids.toLocaleString("en-US")} ids → ${p.mb.toFixed(1)} MB`).join(", ") +
    ` (${(result.mbPer100k as number).toFixed(1)} MB per 100 000 ids)` +
    (steady ? `; a 100 000-id store after ${steady.seen.toLocaleString("en-US")} ids: ${steady.mb.toFixed(1)} MB` : "")
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
