// floor + HMAC via node:crypto (OpenSSL): the implementation the receiver uses for v1.
import { createHmac } from "node:crypto";
import { serveFloorWithHmac } from "./floor-hmac.js";
import { readConfig } from "./serve.js";

const key = Buffer.from(readConfig().secret.replace(/^whsec_/, ""), "base64");
serveFloorWithHmac((id, timestamp, body) =>
  createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest("base64"),
);
