// One receiver contract (test/support/contract.ts), run against every adapter: Express 5 and 4, the Web handler
// under Hono on @hono/node-server and called directly like a Next.js route handler, and the Fastify plugin.
import { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { serve } from "@hono/node-server";
import Fastify from "fastify";
import { Hono } from "hono";
import { fastifyWebhooks } from "../src/fastify.js";
import type { GeminiWebhooks } from "../src/index.js";
import { answerOf, httpSender, receiverContract, webRequest, type DoorConnection } from "./support/contract.js";
import { EXPRESS_VERSIONS, listen } from "./support/helpers.js";

const isNodeRequest = (value: unknown) => value instanceof IncomingMessage;
const isWebRequest = (value: unknown) => value instanceof Request;

/** node:http sends to `url`; `stop` shuts the server down afterwards. */
function overHttp(url: string, stop: () => Promise<void>): DoorConnection {
  const sender = httpSender(() => url);
  return { send: sender.send, close: async () => (await sender.close(), await stop()) };
}

for (const { name, express } of EXPRESS_VERSIONS) {
  receiverContract({
    name,
    isRequest: isNodeRequest,
    async open(webhooks) {
      const app = express();
      app.use("/gemini-callback", webhooks);
      const server = await listen(app);
      return overHttp(`${server.url}/gemini-callback`, server.close);
    },
  });
}

/** `app.post("/gemini-callback", (c) => webhooks.fetch(c.req.raw))` on a real Hono app and @hono/node-server. */
async function startHono(webhooks: GeminiWebhooks) {
  const app = new Hono();
  app.post("/gemini-callback", (c) => webhooks.fetch(c.req.raw));
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const stop = () =>
    new Promise<void>(
      (resolve) => (server.close(() => resolve()), "closeAllConnections" in server && server.closeAllConnections()),
    );
  return { url: `http://127.0.0.1:${port}/gemini-callback`, stop };
}

receiverContract({
  name: "hono + @hono/node-server (webhooks.fetch)",
  isRequest: isWebRequest,
  async open(webhooks) {
    const { url, stop } = await startHono(webhooks);
    return overHttp(url, stop);
  },
});

receiverContract({
  name: "a Next.js-style route handler (export const POST = webhooks.fetch), called with Request objects",
  isRequest: isWebRequest,
  async open(webhooks) {
    const POST = webhooks.fetch; // unbound, as a route file exports it
    return {
      send: async (request) => answerOf(await POST(webRequest("http://localhost:3000/api/gemini-callback", request))),
      close: async () => {},
    };
  },
});

async function startFastify(webhooks: GeminiWebhooks, setup?: (app: ReturnType<typeof Fastify>) => void) {
  const app = Fastify();
  setup?.(app);
  await app.register(fastifyWebhooks(webhooks), { prefix: "/gemini-callback" });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}/gemini-callback`, stop: () => app.close() };
}

receiverContract({
  name: "fastify (fastifyWebhooks plugin)",
  isRequest: isNodeRequest,
  async open(webhooks) {
    const { url, stop } = await startFastify(webhooks);
    return overHttp(url, stop);
  },
});
