// Starts a throwaway PostgreSQL cluster on a free loopback port, for tests and CI: initdb into a temp
// dir, pg_ctl start, and a stop() that shuts it down and removes the dir. PostgreSQL refuses to run as
// root, so as root every server command runs as the `postgres` OS user (runuser); otherwise directly.
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BIN_CANDIDATES = [process.env.POSTGRES_BIN, "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin"];

function binDir() {
  for (const dir of BIN_CANDIDATES) if (dir && existsSync(join(dir, "pg_ctl"))) return dir;
  throw new Error(
    "startPostgres: pg_ctl not found in " +
      BIN_CANDIDATES.filter(Boolean).join(", ") +
      ". Install PostgreSQL (apt-get install postgresql) or set POSTGRES_BIN to its bin directory.",
  );
}

/** A port nobody listens on right now (the kernel picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a cluster and resolves once it accepts connections.
 * @returns {Promise<{ url: string, pid: number, port: number, dataDir: string, stop(): Promise<void> }>}
 *   `url` connects as the superuser `postgres` (trust auth, loopback only); `pid` is the postmaster's,
 *   for tests that SIGSTOP the server; `stop()` is idempotent and also runs when the process exits.
 */
export async function startPostgres() {
  const bin = binDir();
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const dir = mkdtempSync(join(tmpdir(), "gemini-webhooks-pg-"));
  if (asRoot) chownSync(dir, ...postgresUserIds());
  const dataDir = join(dir, "data");
  const run = (tool, args) => {
    const command = asRoot ? "runuser" : join(bin, tool);
    const fullArgs = asRoot ? ["-u", "postgres", "--", join(bin, tool), ...args] : args;
    return execFileSync(command, fullArgs, { stdio: ["ignore", "pipe", "pipe"], cwd: dir }).toString();
  };
  run("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const port = await freePort();
  run("pg_ctl", [
    "-D",
    dataDir,
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    "-l",
    join(dir, "log"),
    "-w",
    "-t",
    "60",
    "start",
  ]);
  const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);

  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    try {
      // A SIGSTOPped server cannot shut down: wake it first.
      process.kill(pid, "SIGCONT");
    } catch {
      /* already gone */
    }
    try {
      run("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "-t", "30", "stop"]);
    } catch {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stopNow);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    pid,
    port,
    dataDir,
    async stop() {
      process.removeListener("exit", stopNow);
      stopNow();
    },
  };
}

function postgresUserIds() {
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  return [uid, gid];
}

// `node scripts/services/postgres.mjs` starts one and prints its URL until Ctrl-C.
if (import.meta.url === `file://${process.argv[1]}`) {
  const cluster = await startPostgres();
  console.log(`DATABASE_URL=${cluster.url}  (postmaster pid ${cluster.pid}; Ctrl-C stops it)`);
  const stop = () => cluster.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  setInterval(() => {}, 1 << 30);
}
