// floor: bare Express that reads the raw body and answers 200 — no verification, no parsing.
// It answers exactly like the receiver does (same headers, same body, res.end), so only the pipeline differs.
import express from "express";
import { floorHandler } from "../floor-handler.js";
import { serve } from "./serve.js";

const app = express();
app.post("/webhook", floorHandler);
serve(app);
