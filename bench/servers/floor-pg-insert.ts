// floor + one INSERT per request (pg's Pool, a parameterised statement into a table of its own), answered 202
// once Postgres committed it: the least a receiver that stores each delivery in Postgres before answering can
// cost. The floor of floor+pgboss-send (and so of receiver-v1-pgboss).
import { randomUUID } from "node:crypto";
import express from "express";
import pg from "pg";
import { floorStoring } from "../floor-handler.js";
import { benchPgName } from "../library-pgboss.js";
import { serve } from "./serve.js";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL! });
const table = benchPgName("floor_pg_insert");
await pool.query(
  `CREATE TABLE ${table} (id uuid PRIMARY KEY, body text NOT NULL, created_on timestamptz DEFAULT now())`,
);
const insert = `INSERT INTO ${table} (id, body) VALUES ($1, $2)`;
const app = express();
app.post(
  "/webhook",
  floorStoring((body) => pool.query(insert, [randomUUID(), body.toString("base64")])),
);
serve(app, async () => {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
});
