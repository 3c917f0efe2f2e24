import { env } from "cloudflare:workers";
import { matrixWebhooks } from "../../webhooks.ts";

const webhooks = matrixWebhooks(env);

export default { fetch: webhooks.fetch };
