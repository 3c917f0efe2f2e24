// How much standardwebhooks' pure-JS HMAC-SHA256 costs next to node:crypto's (OpenSSL), for one thin
// Gemini payload. Both compute the same `v1` signature; the receiver verifies with node:crypto and keeps
// standardwebhooks as the reference its tests check against (see README § Security model).
// Also the two exact ways to compare a given base64 entry with our digest (Buffer's base64 decoder is
// lenient, so a plain decode would accept several spellings of one signature):
//   compareText:  our digest encoded to base64, compared as text with the entry (one encode per secret);
//   compareBytes: the entry decoded, re-encoded and checked equal to itself, then the 32 bytes compared.
// Prints one JSON line: { bodyBytes, standardwebhooksUs, nodeCryptoUs, ratio, compareTextUs, compareBytesUs }.
import { createHmac, timingSafeEqual } from "node:crypto";
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

const entry = viaNodeCrypto();
const entryText = Buffer.from(entry);
const digest = () => createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
const compareText = () => {
  const expected = Buffer.from(digest().toString("base64"));
  return expected.length === entryText.length && timingSafeEqual(expected, entryText);
};
const compareBytes = () => {
  const given = Buffer.from(entry, "base64");
  if (given.length !== 32 || given.toString("base64") !== entry) return false;
  return timingSafeEqual(digest(), given);
};
if (!compareText() || !compareBytes()) throw new Error("a comparison refuses the genuine entry");

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
const text: number[] = [];
const bytes: number[] = [];
for (let round = 0; round < 3; round++) {
  text.push(time(compareText));
  bytes.push(time(compareBytes));
}
const standardwebhooksUs = Math.min(...swh);
const nodeCryptoUs = Math.min(...node);
process.stdout.write(
  JSON.stringify({
    bodyBytes: body.length,
    standardwebhooksUs,
    nodeCryptoUs,
    ratio: standardwebhooksUs / nodeCryptoUs,
    compareTextUs: Math.min(...text),
    compareBytesUs: Math.min(...bytes),
  }) + "\n",
);
