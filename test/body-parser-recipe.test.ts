// README § "With express.json() in front": a parser in front answers malformed bodies before the receiver runs.
// Without an error handler Express shows strangers a stack trace (issue 12, finding 4); with the README's
// handler the answer is JSON and says nothing about the server.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import express from "express";
import { captureRawBody, geminiWebhooks } from "../src/index.js";
import { batchSucceeded, listen, post, SECRET, signedDelivery, type RunningServer } from "./support/helpers.js";

const servers: RunningServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

/** The README's option 2, optionally with its error handler. */
async function startApp(withErrorHandler: boolean): Promise<{ url: string; handled: string[] }> {
  const handled: string[] = [];
  const webhooks = geminiWebhooks({ secret: SECRET }).on(
    "batch.succeeded",
    (event) => void handled.push(event.data.id),
  );
  const app = express();
  app.set("env", "development"); // Express's default when NODE_ENV is unset: stacks shown
  app.use(express.json({ verify: captureRawBody }));
  app.use("/gemini-callback", webhooks);
  if (withErrorHandler) {
    app.use((error: any, _req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (res.headersSent) return next(error);
      const status = Number.isInteger(error?.status) && error.status >= 400 && error.status < 500 ? error.status : 500;
      res.status(status).json({
        error: status === 500 ? "internal_error" : "bad_request",
        message: "The request could not be processed.",
      });
    });
  }
  const server = await listen(app);
  servers.push(server);
  return { url: `${server.url}/gemini-callback`, handled };
}

const malformed = { headers: { "content-type": "application/json" }, body: "{not json" };

describe("a body parser in front of the receiver", () => {
  test("without an error handler, Express answers a stranger's malformed JSON with a stack trace (why the README warns)", async () => {
    const { url } = await startApp(false);
    const answer = await post(url, malformed);
    assert.equal(answer.status, 400);
    assert.match(String(answer.json), /SyntaxError/);
  });

  test("with the README's error handler: JSON, no stack, no path; genuine deliveries are still handled", async () => {
    const { url, handled } = await startApp(true);
    const answer = await post(url, malformed);
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.json, { error: "bad_request", message: "The request could not be processed." });
    assert.doesNotMatch(JSON.stringify(answer.json), /SyntaxError|node_modules|\bat\b/);

    const genuine = await post(url, signedDelivery(batchSucceeded("batches/recipe")));
    assert.deepEqual([genuine.status, genuine.json], [200, { status: "received" }]);
    assert.deepEqual(handled, ["batches/recipe"]);
  });
});
