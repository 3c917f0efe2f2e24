// floor + jose JWT: the floor plus one bare jose.jwtVerify of the RS256 token in webhook-signature, against a
// key imported once at start-up (audience and algorithm checked, as any JWT verification must). The crypto
// every JWT delivery must cost, with the library the receiver uses for it.
import express from "express";
import { importJWK, jwtVerify } from "jose";
import { RSA_KID } from "../deliveries.js";
import { readConfig, serve } from "./serve.js";

const { jwks, audience } = readConfig();
const key = await importJWK(jwks.keys.find((jwk) => jwk.kid === RSA_KID)!, "RS256");

const app = express();
app.post("/webhook", (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    Buffer.concat(chunks);
    const answer = (ok: boolean) => {
      res.statusCode = ok ? 200 : 401;
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.setHeader("Cache-Control", "no-store");
      res.end(ok ? '{"status":"received"}' : '{"error":"invalid_signature"}');
    };
    jwtVerify(String(req.headers["webhook-signature"]), key, { algorithms: ["RS256"], audience }).then(
      () => answer(true),
      () => answer(false),
    );
  });
});
serve(app);
