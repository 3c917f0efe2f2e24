// floor: bare Express that reads the raw body and answers 200 — no verification, no parsing.
// It answers exactly like the receiver does (same headers, same body, res.end), so only the pipeline differs.
import express from "express";
import { serve } from "./serve.js";

const app = express();
app.post("/webhook", (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    Buffer.concat(chunks);
    res.statusCode = 200;
    res.setHeader("Content-Type", "application/json; charset=utf-8");
    res.setHeader("Cache-Control", "no-store");
    res.end('{"status":"received"}');
  });
});
serve(app);
