// Types only: this file must load without fastify installed (the package's core never needs it).
import type { FastifyPluginCallback } from "fastify";
import { receiverCore } from "./adapter.js";
import { getRawBody } from "./raw-body.js";
import type { GeminiWebhooks } from "./receiver.js";

export interface FastifyWebhooksOptions {
  /** The route inside the plugin's prefix. Default `"/"`: `app.register(plugin, { prefix: "/gemini-callback" })`. */
  path?: string;
}

/**
 * The Fastify adapter: a plugin that adds one POST route for `webhooks`,
 * `app.register(fastifyWebhooks(webhooks), { prefix: "/gemini-callback" })`.
 */
export function fastifyWebhooks(
  webhooks: GeminiWebhooks<any>,
  { path = "/" }: FastifyWebhooksOptions = {},
): FastifyPluginCallback {
  const { pipeline, limits } = receiverCore(webhooks, "fastifyWebhooks(webhooks)");
  return function geminiWebhooksPlugin(app, _options, done) {
    // Inside this plugin's scope only (it is not wrapped in fastify-plugin), so the app's parsers stay as they
    // are. No parser reads the body: the receiver reads `request.raw` itself, once the headers passed, with its
    // own size and time limits (so an oversized body gets our 413, not Fastify's), and gets the exact bytes.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", (_request, _payload, leaveUnread) => leaveUnread(null));
    app.post(path, async (request, reply) => {
      const answer = await pipeline({
        headers: request.headers,
        readBody: () => getRawBody(request.raw, limits),
        request: request.raw,
      });
      reply.code(answer.status).headers(answer.headers);
      // As the Express adapter: Node closes the socket after a `Connection: close` answer instead of draining.
      if (answer.connection !== "keep") reply.header("connection", "close");
      if (answer.connection === "destroy") reply.raw.once("finish", () => request.raw.destroy());
      return reply.send(answer.body);
    });
    done();
  };
}
