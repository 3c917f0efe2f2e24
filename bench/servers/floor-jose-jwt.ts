// floor + jose JWT: the floor plus one bare jose.jwtVerify of the RS256 token (see joseJwtCheck), the fair
// floor of receiver-jwt.
import express from "express";
import { floorWith, joseJwtCheck } from "../floor-handler.js";
import { readConfig, serve } from "./serve.js";

const app = express();
app.post("/webhook", floorWith(await joseJwtCheck(readConfig())));
serve(app);
