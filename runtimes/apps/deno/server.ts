import { matrixWebhooks } from "../webhooks.ts";

const webhooks = matrixWebhooks(Deno.env.toObject());

Deno.serve({ hostname: "127.0.0.1", port: Number(Deno.env.get("PORT")) }, webhooks.fetch);
