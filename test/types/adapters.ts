// Type-level tests for the other adapters, as a user writes them: a Next.js route file, Hono, Fastify.
import Fastify from "fastify";
import { Hono } from "hono";
import { geminiWebhooks } from "gemini-webhooks-express";
import { fastifyWebhooks } from "gemini-webhooks-express/fastify";

const webhooks = geminiWebhooks({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });

// app/api/gemini-callback/route.ts
export const POST: (request: Request) => Promise<Response> = webhooks.fetch;

new Hono().post("/gemini-callback", (c) => webhooks.fetch(c.req.raw));

const app = Fastify();
void app.register(fastifyWebhooks(webhooks), { prefix: "/gemini-callback" });
void app.register(fastifyWebhooks(webhooks, { path: "/hooks/gemini" }));
// @ts-expect-error the plugin takes the receiver, not its options
fastifyWebhooks({ secret: "x" });
// @ts-expect-error unknown plugin option
fastifyWebhooks(webhooks, { prefix: "/x" });
// @ts-expect-error fetch is the receiver's own: not replaceable
webhooks.fetch = async () => new Response();
