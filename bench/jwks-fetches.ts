// How many times the receiver fetches the JWKS when 200 deliveries (half v1a, half JWT) arrive at once,
// cold (nothing cached). Target: one fetch. Everything on 127.0.0.1: a local JWKS server counts the GETs.
// Prints one JSON line: { deliveries, accepted, fetches, statuses }.
import express from "express";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { geminiWebhooks } from "./library.js";
import { createBenchKeys, signJwt, signV1a } from "./deliveries.js";

const DELIVERIES = 200;
const keys = createBenchKeys();
let fetches = 0;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

const jwksServer = createServer((_req, res) => {
  fetches++;
  // A little latency, as a real endpoint has: concurrent deliveries must share the one fetch in flight.
  setTimeout(() => {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify(keys.config.jwks));
  }, 50);
});
const jwksUrl = `${await listen(jwksServer)}/.well-known/jwks.json`;

const webhooks = geminiWebhooks({ jwks: { url: jwksUrl, audience: keys.config.audience } });
webhooks.on("batch.succeeded", () => {});
const app = express();
app.use("/webhook", webhooks);
const receiver = createServer(app);
const url = `${await listen(receiver)}/webhook`;
const deliveries = Array.from({ length: DELIVERIES }, (_, i) =>
  i % 2 ? signJwt(keys.rsa, keys.config.audience) : signV1a(keys.ed25519),
);
const statuses = await Promise.all(
  deliveries.map(async (delivery) => {
    const response = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body });
    await response.arrayBuffer();
    return response.status;
  }),
);
const accepted = statuses.filter((status) => status === 200).length;
process.stdout.write(
  JSON.stringify({ deliveries: DELIVERIES, accepted, fetches, statuses: [...new Set(statuses)] }) + "\n",
);
receiver.closeAllConnections();
receiver.close();
jwksServer.close();
