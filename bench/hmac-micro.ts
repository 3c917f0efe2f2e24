// How much standardwebhooks' pure-JS HMAC-SHA256 costs next to node:crypto's (OpenSSL), for one thin
// Gemini payload. Both compute the same `v1` signature; the receiver keeps standardwebhooks (see README).
// Prints one JSON line: { bodyBytes, standardwebhooksUs, nodeCryptoUs, ratio }.
import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { eventBody, freshId } from "./deliveries.js";

const quick = process.argv.includes("--quick");
const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const key = Buffer.from(secret.slice("whsec_".length), "base64");
const webhook = new Webhook(secret);
const id = freshId();
const timestamp = 1_769_083_200;
const date = new Date(timestamp * 1000);
const body = Buffer.from(eventBody(id));

const viaStandardWebhooks = () => webhook.sign(id, date, body.toString("utf8")).slice(3);
const viaNodeCrypto = () => createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest("base64");
if (viaStandardWebhooks() !== viaNodeCrypto()) throw new Error("the two HMACs disagree");

/** Best of several batches (the machine is shared: the fastest batch is the least disturbed), in µs per call. */
function time(run: () => unknown): number {
  const calls = quick ? 5_000 : 20_000;
  for (let i = 0; i < calls; i++) run(); // warm-up
  let best = Infinity;
  for (let batch = 0; batch < (quick ? 3 : 7); batch++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / calls / 1000);
  }
  return best;
}

// Interleaved, so a burst of load elsewhere hits both.
const swh: number[] = [];
const node: number[] = [];
for (let round = 0; round < 3; round++) {
  swh.push(time(viaStandardWebhooks));
  node.push(time(viaNodeCrypto));
}
const standardwebhooksUs = Math.min(...swh);
const nodeCryptoUs = Math.min(...node);
process.stdout.write(
  JSON.stringify({ bodyBytes: body.length, standardwebhooksUs, nodeCryptoUs, ratio: standardwebhooksUs / nodeCryptoUs }) + "\n",
);
