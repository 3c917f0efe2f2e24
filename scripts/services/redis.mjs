// Starts a throwaway redis-server on a free loopback port, for tests and CI: nothing persisted, a temp
// dir for its log, and a stop() that shuts it down and removes the dir. Same shape as postgres.mjs.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

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

/** Resolves true once Redis answers PING with PONG on `port`, false if the connection fails. */
function answersPing(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    socket.once("error", () => resolve(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) {
        socket.destroy();
        resolve(reply.startsWith("+PONG"));
      }
    });
  });
}

/**
 * Starts redis-server and resolves once it answers PING.
 * @returns {Promise<{ url: string, pid: number, port: number, stop(): Promise<void> }>}
 *   `stop()` is idempotent and also runs when the process exits.
 */
export async function startRedis({ command = "redis-server", readyWithinMs = 30_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "gemini-webhooks-redis-"));
  const port = await freePort();
  const logFile = join(dir, "redis.log");
  const child = spawn(
    command,
    [
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--logfile",
      logFile,
    ],
    { stdio: ["ignore", "ignore", "ignore"] },
  );
  let exited = null;
  child.once("exit", (code, signal) => (exited = signal ?? `exit code ${code}`));
  const spawnError = new Promise((_, reject) => child.once("error", reject));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", stopSync);
    if (exited === null) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const stopSync = () => {
    if (exited === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stopSync);

  const deadline = Date.now() + readyWithinMs;
  const ready = (async () => {
    while (Date.now() < deadline) {
      if (exited !== null) break;
      if (await answersPing(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    let log = "";
    try {
      log = readFileSync(logFile, "utf8");
    } catch {}
    await stop();
    throw new Error(
      `startRedis: redis-server on port ${port} did not answer PING` +
        (exited !== null ? ` (it stopped: ${exited})` : ` within ${readyWithinMs} ms`) +
        (log ? `:\n${log}` : ""),
    );
  })();
  await Promise.race([ready, spawnError]);
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid, port, stop };
}
