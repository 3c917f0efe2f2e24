// Issue 25 #6, #8, #9 and --version: what the CLI prints of text it did not write. A receiver's answer and the
// user's own arguments reach the terminal escaped, a pasted secret or a URL's password never reaches it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateSecret } from "../src/testing/index.js";
import { CLI_PATH, environmentWithout, ROOT, run, type Run } from "./support/processes.js";

const baseEnv = environmentWithout((name) => name.startsWith("GEMINI_WEBHOOK"));
const secret = generateSecret();

function cli(args: string[]): Promise<Run> {
  return run(CLI_PATH, args, { ...baseEnv, GEMINI_WEBHOOK_SECRET: secret });
}

/** Every raw control character that would act on a terminal (escape sequences, bell, carriage return). */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe("gemini-webhooks CLI: foreign text, secrets and credentials in what it prints", () => {
  const hostile = JSON.stringify({
    error: "bad\u001b[2J\u0007",
    message: "line1\nFAKE: 200 received\r\u001b]0;owned\u0007",
  });
  let server: Server;
  let base = "";
  const authorizations: (string | undefined)[] = [];

  before(async () => {
    server = createServer((request: IncomingMessage, response) => {
      authorizations.push(request.headers.authorization);
      request.resume();
      request.on("end", () => {
        response.writeHead(400, { "content-type": "application/json" }).end(hostile);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("send prints a receiver's answer with its control characters escaped: no escape sequence, no forged line (#6)", async () => {
    const result = await cli(["send", `${base}/hook`, "--type", "batch.succeeded"]);
    assert.equal(result.code, 1, result.output);
    assert.doesNotMatch(result.output, RAW_CONTROL);
    assert.doesNotMatch(result.output, /^FAKE:/m, "no line of the output starts with the receiver's forged text");
    assert.ok(result.output.includes("bad\\u001b[2J\\u0007"), result.output);
    assert.ok(result.output.includes("line1\\nFAKE: 200 received\\r\\u001b]0;owned\\u0007"), result.output);
  });

  it("a secret pasted where the URL goes is not printed back; the error says what the argument should be (#8)", async () => {
    for (const pasted of [secret, "AIzaSyD-not-a-real-key-0123456789abcdef"]) {
      const result = await cli(["send", pasted, "--type", "batch.succeeded"]);
      assert.equal(result.code, 2, result.output);
      assert.equal(result.output.includes(pasted), false, "the pasted value is not echoed");
      assert.equal(result.output.includes(pasted.slice(6, 20)), false, "nor any part of it");
      assert.match(result.stderr, /looks like a signing secret|looks like a secret/);
      assert.match(result.stderr, /receiver's URL/);
    }
  });

  it("a URL's user name and password are sent as Basic authentication and never printed (#9)", async () => {
    const password = "S3cretPw0rd";
    const withCredentials = await cli([
      "send",
      `${base.replace("://", `://alice:${password}@`)}/hook`,
      "-t",
      "batch.succeeded",
    ]);
    assert.equal(withCredentials.output.includes(password), false, withCredentials.output);
    assert.match(withCredentials.output, /Sending .* to http:\/\/\*\*\*@127\.0\.0\.1:\d+\/hook/);
    assert.equal(authorizations.at(-1), `Basic ${Buffer.from(`alice:${password}`).toString("base64")}`);

    // The error line of an unreachable receiver: the port is one this server no longer listens on.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await cli(["send", `http://alice:${password}@127.0.0.1:${port}/hook`, "-t", "batch.succeeded"]);
    assert.equal(unreachable.code, 1, unreachable.output);
    assert.match(unreachable.stderr, /could not reach http:\/\/\*\*\*@127\.0\.0\.1/);
    assert.equal(unreachable.output.includes(password), false, unreachable.output);
  });

  it("--version and -v print the package's version alone on a line", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-v"]) {
      const result = await cli([flag]);
      assert.equal(result.code, 0, result.output);
      assert.equal(result.stdout, `${version}\n`);
    }
  });
});
