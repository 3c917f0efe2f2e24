// Shared by every server variant: listen on loopback, tell the runner the port, exit with the runner.
import { createServer, type RequestListener } from "node:http";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";

/** What the runner hands each server through BENCH_CONFIG (see bench/keys.ts). */
export interface BenchConfig {
  secret: string;
  audience: string;
  /** Public keys only: Ed25519 (for v1a) and RSA (for RS256 JWTs). */
  jwks: { keys: Record<string, unknown>[] };
}

export function readConfig(): BenchConfig {
  const raw = process.env.BENCH_CONFIG;
  if (!raw) throw new Error("BENCH_CONFIG is not set: servers are started by bench/run.ts");
  return JSON.parse(raw) as BenchConfig;
}

/** `cleanUp` runs before the server exits (e.g. to empty a bench queue in Redis). */
export function serve(app: RequestListener, cleanUp?: () => Promise<void>): void {
  const server = createServer(app);
  server.listen(0, "127.0.0.1", () => {
    process.send!({ port: (server.address() as AddressInfo).port });
  });
  // The runner disconnects after each round (a normal exit lets --cpu-prof write its profile).
  process.on("disconnect", () => {
    if (!cleanUp) process.exit(0);
    cleanUp().finally(() => process.exit(0));
  });
  // CPU time this process spends during the measured run: a steadier cost than req/s on a shared machine.
  // The main thread's share is read apart (Linux): what it does not do, V8's helper threads (GC, compiler) and
  // libuv's thread pool do.
  let start: NodeJS.CpuUsage | undefined;
  let mainStart = 0;
  process.on("message", (message) => {
    if (message === "cpu-start") [start, mainStart] = [process.cpuUsage(), mainThreadMicros()];
    if (message === "cpu-stop")
      process.send!({ cpu: process.cpuUsage(start), mainThread: mainThreadMicros() - mainStart });
  });
}

/** User + system time of the main thread (whose thread id is the process id), in µs; NaN where /proc is missing. */
function mainThreadMicros(): number {
  try {
    // Fields after the command name: state is 3rd, utime the 14th and stime the 15th (clock ticks of 10 ms).
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return NaN;
  }
}
