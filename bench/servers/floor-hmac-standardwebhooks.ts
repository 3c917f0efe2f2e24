// floor + HMAC via standardwebhooks (pure JS, fast-sha256): the reference implementation, which the receiver
// used for v1 until it moved to node:crypto (the docs' handler still uses it).
import { Webhook } from "standardwebhooks";
import { serveFloorWithHmac } from "./floor-hmac.js";
import { readConfig } from "./serve.js";

const webhook = new Webhook(readConfig().secret);
serveFloorWithHmac((id, timestamp, body) =>
  webhook.sign(id, new Date(Number(timestamp) * 1000), body.toString("utf8")).slice(3),
);
