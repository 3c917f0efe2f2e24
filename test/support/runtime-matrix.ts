// The runtime matrix's shared pieces: where the runtimes are installed, how a runtime's server is started and
// waited for, and the one list of requests every runtime is sent (test/runtimes.test.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { batchSucceeded, jwtDelivery, signedDelivery, v1aDelivery, type Delivery } from "./helpers.js";
import type { Service } from "./services.js";
import { signJwt, type TestKey } from "./signer.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const RUNTIMES = `${ROOT}runtimes/`;
export const RUNTIME_BIN = `${RUNTIMES}node_modules/.bin/`;

/**
 * The runtimes of the matrix (bun, deno, workerd, next, node 22/24, TypeScript 7 and 5) are their own install,
 * kept out of the root devDependencies for their size: a newcomer without them sees the suites counted as skipped.
 */
export const RUNTIMES_SERVICE: Service = {
  name: "the runtimes in runtimes/",
  missing: existsSync(`${RUNTIMES}node_modules/gemini-webhooks-express`)
    ? false
    : "not installed: run `npm ci --prefix runtimes` (bun, deno, workerd, next, node 22/24, TypeScript 7 and 5)",
};

export const fixture = (name: string) => JSON.parse(readFileSync(`${ROOT}test/fixtures/${name}`, "utf8"));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

export interface RunningRuntime {
  url: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts `command` and waits (polling, generous deadline) until `url` answers anything at all. */
export async function startServer(
  command: string,
  args: string[],
  { cwd, env, url, deadlineMs = 120_000 }: { cwd: string; env: NodeJS.ProcessEnv; url: string; deadlineMs?: number },
): Promise<RunningRuntime> {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const stop = () => stopChild(child);
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}:\n${output}`);
    try {
      await fetch(url, { method: "GET" });
      return { url, output: () => output, stop };
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${command} did not answer on ${url}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** Runs `command` to completion, failing with its output. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`)),
    );
  });
}

export interface MatrixRequest {
  name: string;
  delivery: Delivery;
}

export interface MatrixAnswer {
  status: number;
  body: unknown;
}

/**
 * The requests, in order, that every runtime gets: the reference vectors, typed events signed fresh with v1 and
 * v1a, a JWT against the local JWKS, a duplicate, a stale timestamp, a forged signature and an oversized body.
 * `nowS` is the receiver's pinned clock; `keys.v1a`'s and `keys.jwt`'s public halves are in the receiver's JWKS.
 */
export function matrixRequests(nowS: number, keys: { jwt: TestKey; v1a: TestKey }, audience: string): MatrixRequest[] {
  const jwtKey = keys.jwt;
  const v1 = fixture("standard-webhooks-vectors.json").official[0];
  const v1a = fixture("standard-webhooks-v1a-vector.json");
  const vectorHeaders = (id: string, timestamp: number, signature: string) => ({
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature,
  });
  const fresh = signedDelivery(batchSucceeded(), { secret: v1.secret, id: "msg_matrix_fresh", timestamp: nowS });
  const claims = { aud: audience, iat: nowS, exp: nowS + 300 };
  const oversized = signedDelivery(
    { ...batchSucceeded(), padding: "x".repeat(70 * 1024) },
    { secret: v1.secret, id: "msg_matrix_big", timestamp: nowS },
  );
  return [
    {
      name: "v1 vector",
      delivery: { body: v1.payload, headers: vectorHeaders(v1.id, v1.timestamp, v1.expected_signature) },
    },
    // The v1a vector shares the v1 vector's id: whether it is a duplicate follows from the v1 vector's answer.
    {
      name: "v1a vector",
      delivery: { body: v1a.payload, headers: vectorHeaders(v1a.id, v1a.timestamp, v1a.signature) },
    },
    { name: "v1 delivery", delivery: fresh },
    {
      name: "v1a delivery",
      delivery: v1aDelivery(batchSucceeded(), keys.v1a, { id: "msg_matrix_v1a", timestamp: nowS }),
    },
    { name: "duplicate", delivery: fresh },
    {
      name: "JWT",
      delivery: jwtDelivery(signJwt(claims, { key: jwtKey }), batchSucceeded(), {
        id: "msg_matrix_jwt",
        timestamp: nowS,
      }),
    },
    {
      name: "stale timestamp",
      delivery: signedDelivery(batchSucceeded(), { secret: v1.secret, id: "msg_matrix_stale", timestamp: nowS - 3600 }),
    },
    {
      name: "forged signature",
      delivery: signedDelivery(batchSucceeded(), {
        secret: fixture("standard-webhooks-vectors.json").official[1].secret,
        id: "msg_matrix_forged",
        timestamp: nowS,
      }),
    },
    { name: "oversized body", delivery: oversized },
  ];
}

/** What a receiver started with no secret gets: a typed event, signed as if the secret were there. */
export function noSecretRequests(nowS: number): MatrixRequest[] {
  const { secret } = fixture("standard-webhooks-vectors.json").official[0];
  return [
    {
      name: "delivery with no secret configured",
      delivery: signedDelivery(batchSucceeded(), { secret, id: "msg_matrix_no_secret", timestamp: nowS }),
    },
  ];
}

/** Sends every request in order over real HTTP and collects status and JSON body (or text, when not JSON). */
export async function sendAll(url: string, requests: MatrixRequest[]): Promise<MatrixAnswer[]> {
  const answers: MatrixAnswer[] = [];
  for (const { delivery } of requests) {
    const response = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    answers.push({ status: response.status, body });
  }
  return answers;
}
