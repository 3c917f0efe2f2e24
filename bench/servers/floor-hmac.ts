// Shared by the two "floor + HMAC" reference variants: the floor, plus checking the v1 signature with `hmac`.
// They isolate what the HMAC implementation alone costs over HTTP (see bench/README.md).
import express from "express";
import { timingSafeEqual } from "node:crypto";
import { serve } from "./serve.js";

/** base64 HMAC-SHA256 of `${id}.${timestamp}.${body}` with the static secret. */
export type HmacBase64 = (id: string, timestamp: string, body: Buffer) => string;

export function serveFloorWithHmac(hmac: HmacBase64): void {
  const app = express();
  app.post("/webhook", (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const expected = Buffer.from(
        `v1,${hmac(String(req.headers["webhook-id"]), String(req.headers["webhook-timestamp"]), body)}`,
      );
      const given = Buffer.from(String(req.headers["webhook-signature"]));
      const ok = given.length === expected.length && timingSafeEqual(given, expected);
      res.statusCode = ok ? 200 : 401;
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.setHeader("Cache-Control", "no-store");
      res.end(ok ? '{"status":"received"}' : '{"error":"invalid_signature"}');
    });
  });
  serve(app);
}
