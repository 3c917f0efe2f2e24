import { matrixWebhooks } from "../webhooks.ts";

const webhooks = matrixWebhooks(Bun.env);

Bun.serve({ hostname: "127.0.0.1", port: Number(Bun.env.PORT), fetch: webhooks.fetch });
