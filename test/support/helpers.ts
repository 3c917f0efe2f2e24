// Shared test utilities: real servers on loopback, and deliveries signed by the independent signer (./signer.ts).
import type { AddressInfo } from "node:net";
import { createServer, type RequestListener, type Server } from "node:http";
import express5 from "express";
import express4 from "express4";
import { hmacSignature, v1aSignature, type TestKey } from "./signer.js";

export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const OTHER_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/** Both supported Express majors, for tests that must pass on each. */
export const EXPRESS_VERSIONS = [
  { name: "express 5", express: express5 as unknown as typeof express5 },
  { name: "express 4", express: express4 as unknown as typeof express5 },
] as const;

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Starts `app` on a random loopback port. */
export function listen(app: RequestListener): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = createServer(app).listen(0, "127.0.0.1", done);
    server.once("error", reject);
    function done() {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        server,
        close: () =>
          new Promise<void>((res) => {
            server.closeAllConnections?.();
            server.close(() => res());
          }),
      });
    }
  });
}

let counter = 0;
export function freshId(): string {
  return `msg_test_${process.pid}_${Date.now()}_${++counter}`;
}

export interface Delivery {
  headers: Record<string, string>;
  body: string;
}

/** A delivery of `event` with the Standard Webhooks headers; `signature` computes the `webhook-signature` value from the body. */
export function standardDelivery(
  event: unknown,
  id: string,
  timestamp: number,
  signature: (body: string) => string,
): Delivery {
  const body = typeof event === "string" ? event : JSON.stringify(event);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signature(body),
    },
  };
}

/** A `v1`-signed delivery of `event`, as Gemini would send it. */
export function signedDelivery(
  event: unknown,
  {
    secret = SECRET,
    id = freshId(),
    timestamp = Math.floor(Date.now() / 1000),
  }: { secret?: string; id?: string; timestamp?: number } = {},
): Delivery {
  return standardDelivery(event, id, timestamp, (body) => `v1,${hmacSignature(secret, id, timestamp, body)}`);
}

/** A `v1a`-signed delivery. */
export function v1aDelivery(
  event: unknown,
  key: TestKey,
  { id, timestamp }: { id: string; timestamp: number },
): Delivery {
  return standardDelivery(event, id, timestamp, (body) => `v1a,${v1aSignature(key.privateKey, id, timestamp, body)}`);
}

/** A delivery whose webhook-signature is `token`; webhook-id / webhook-timestamp only when given. */
export function jwtDelivery(
  token: string,
  body: unknown,
  { id, timestamp }: { id?: string; timestamp?: number } = {},
): Delivery {
  const headers: Record<string, string> = { "content-type": "application/json", "webhook-signature": token };
  if (id !== undefined) headers["webhook-id"] = id;
  if (timestamp !== undefined) headers["webhook-timestamp"] = String(timestamp);
  return { body: typeof body === "string" ? body : JSON.stringify(body), headers };
}

export function batchSucceeded(id = "batches/123"): object {
  return {
    type: "batch.succeeded",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { id, output_file_uri: "gs://my-bucket/results.jsonl" },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  json: any;
}

/** POSTs a delivery and reads the JSON answer. */
export async function post(
  url: string,
  delivery: Delivery | { headers: Record<string, string>; body: string | Buffer },
): Promise<Answer> {
  const response = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, headers: response.headers, json };
}

/** How many answers there were of each kind, e.g. `{ "200 received": 1, "200 duplicate": 499 }`. */
export function tally(answers: ReadonlyArray<{ status: number; json: any }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status, json } of answers) {
    const key = `${status} ${json?.status ?? json?.error}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Runs `count` calls, at most `width` at a time (a burst, not an unbounded flood). */
export async function inBatches<T>(count: number, width: number, call: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await call(index);
      }
    }),
  );
  return results;
}
