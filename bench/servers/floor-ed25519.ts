// floor + Ed25519: the floor plus one bare node:crypto Ed25519 verification (see ed25519Check), the fair
// floor of receiver-v1a.
import express from "express";
import { ed25519Check, floorWith } from "../floor-handler.js";
import { readConfig, serve } from "./serve.js";

const app = express();
app.post("/webhook", floorWith(ed25519Check(readConfig())));
serve(app);
