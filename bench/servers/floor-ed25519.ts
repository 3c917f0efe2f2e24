// floor + Ed25519: the floor plus one bare node:crypto Ed25519 verification of `${id}.${timestamp}.${body}`,
// the crypto every v1a delivery must cost. It verifies the way the receiver does, on libuv's thread pool
// (crypto.verify with a callback), so the receiver-v1a row is judged against the same crypto, done the same way.
import express from "express";
import { createPublicKey, verify } from "node:crypto";
import { ED25519_KID } from "../deliveries.js";
import { readConfig, serve } from "./serve.js";

const jwk = readConfig().jwks.keys.find((key) => key.kid === ED25519_KID)!;
const key = createPublicKey({ key: jwk as never, format: "jwk" });

const app = express();
app.post("/webhook", (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const message = Buffer.concat([Buffer.from(`${String(req.headers["webhook-id"])}.${String(req.headers["webhook-timestamp"])}.`), body]);
    const signature = Buffer.from(String(req.headers["webhook-signature"]).slice("v1a,".length), "base64");
    verify(null, message, key, signature, (error, ok) => {
      res.statusCode = !error && ok ? 200 : 401;
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.setHeader("Cache-Control", "no-store");
      res.end(ok ? '{"status":"received"}' : '{"error":"invalid_signature"}');
    });
  });
});
serve(app);
