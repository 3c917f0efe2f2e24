// The offline `npx gemini-webhooks …` examples of README.md, docs/cli.md and docs/local-development.md run and
// succeed as written, against a local receiver: `secret`, `send` (every scheme shown), `--version` and the help.
// Only what a reader must replace is replaced: the receiver's address (`http://localhost:3000`, here a free port)
// and the `whsec_...` placeholder (the secret `npx gemini-webhooks secret` printed). `webhooks …` needs a Gemini API
// key and `queue …` a Redis with a queue, so those are left to their own suites.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import express from "express";
import { geminiWebhooks } from "../src/index.js";
import { createTestKeys } from "../src/testing/index.js";
import { CLI_PATH, ROOT, environmentWithout, run } from "./support/processes.js";

const PAGES = ["README.md", "docs/cli.md", "docs/local-development.md"];
const OFFLINE = new Set(["secret", "send", "--version", "-v", "--help", "-h", "help"]);

interface Example {
  page: string;
  line: string;
  args: string[];
}

/** Splits a shell command line as sh would for the quoting the docs use ('…' and "…"). */
function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(match[1] ?? match[2] ?? match[3]!);
  return words;
}

function examplesOf(page: string): Example[] {
  const markdown = readFileSync(join(ROOT, page), "utf8");
  const examples: Example[] = [];
  for (const block of markdown.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```/gm)) {
    for (const line of block[1]!.split("\n")) {
      const at = line.indexOf("npx gemini-webhooks");
      if (at === -1) continue;
      let command = line.slice(at + "npx gemini-webhooks".length);
      if (line.slice(0, at).includes("$(")) command = command.slice(0, command.indexOf(")"));
      command = command.replace(/\s+#.*$/, "");
      const args = shellWords(command);
      if (OFFLINE.has(args[0] ?? "")) examples.push({ page, line: line.trim(), args });
    }
  }
  return examples;
}

describe("the offline CLI examples of the docs, as written", () => {
  const work = mkdtempSync(join(tmpdir(), "gemini-webhooks-cli-examples-"));
  const keys = createTestKeys({ audience: "my-service" });
  const examples = PAGES.flatMap(examplesOf);
  let secret = "";
  let origin = "";
  let close: () => Promise<void> = async () => {};
  const env = () => ({ ...environmentWithout((name) => name.startsWith("GEMINI_")), GEMINI_WEBHOOK_SECRET: secret });

  before(async () => {
    // `./test-keys.json`, as the docs' --keys example names it, in the directory the examples run from.
    writeFileSync(join(work, "test-keys.json"), JSON.stringify(keys.toJSON()));
    const made = await run(process.execPath, [CLI_PATH, "secret"], env(), work);
    assert.equal(made.code, 0, made.output);
    secret = made.stdout.trim();
    const webhooks = geminiWebhooks({ secret, jwks: { keys: keys.jwks, audience: keys.audience } });
    const server = express().use("/gemini-callback", webhooks).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  after(async () => {
    await close();
    rmSync(work, { recursive: true, force: true });
  });

  it("finds the examples the docs show: secret, send, --version and the help", () => {
    const commands = new Set(examples.map((example) => example.args[0]));
    for (const command of ["secret", "send", "--version", "--help"]) assert.ok(commands.has(command), command);
    assert.ok(examples.filter((example) => example.args[0] === "send").length >= 4, "the send examples");
  });

  it("prints a usable development secret", () => {
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/);
  });

  for (const example of examples) {
    it(`${example.page}: ${example.line}`, async () => {
      const args = example.args.map((arg) =>
        arg.replace("http://localhost:3000", origin).replace(/^whsec_\.\.\.$/, secret),
      );
      const result = await run(process.execPath, [CLI_PATH, ...args], env(), work);
      assert.equal(result.code, 0, result.output);
      if (args[0] === "send" && !args.includes("--help")) assert.match(result.stdout, /answered 2xx/);
      if (args[0] === "--version" || args[0] === "-v") {
        const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
        assert.equal(result.stdout.trim(), version);
      }
      if (args.includes("--help") || args[0] === "help") assert.match(result.stdout, /gemini-webhooks/);
      assert.ok(!result.output.includes(secret) || args[0] === "secret", "the secret is never printed back");
    });
  }
});
