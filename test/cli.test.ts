// The `gemini-webhooks` CLI, run from dist (as the package's bin) against a running example app.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createTestKeys, generateSecret } from "../src/testing/index.js";
import { assertUsableSecret } from "../src/verify/secret.js";
import { CLI_PATH, environmentWithout, ROOT, run, type Run } from "./support/processes.js";

const root = ROOT;
const cliPath = CLI_PATH;
// The environment without the variables the CLI and the example read, so each test says what it sets.
const baseEnv = environmentWithout((name) => name.startsWith("GEMINI_WEBHOOK"));

/** Runs the built bin directly (its shebang and execute bit included). */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return run(cliPath, args, { ...baseEnv, ...env });
}

describe("gemini-webhooks CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "gemini-webhooks-cli-test-"));
  const keysFile = join(dir, "keys.json");
  const secret = generateSecret();
  let example: ChildProcess;
  let exampleOutput = "";
  let url = "";

  before(async () => {
    assert.ok(existsSync(cliPath), "dist/esm/cli.js is missing: run `npm run build` (npm test does)");
    writeFileSync(keysFile, JSON.stringify(createTestKeys({ audience: "cli-test" }).toJSON()));
    example = spawn(process.execPath, ["--import", "tsx", "example-app/server.ts"], {
      cwd: root,
      env: {
        ...baseEnv,
        TSX_TSCONFIG_PATH: "example-app/tsconfig.json",
        PORT: "0",
        GEMINI_WEBHOOK_SECRET: secret,
        GEMINI_WEBHOOK_TEST_KEYS: keysFile,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    example.stdout!.on("data", (chunk) => (exampleOutput += chunk));
    example.stderr!.on("data", (chunk) => (exampleOutput += chunk));
    url = await new Promise<string>((resolve, reject) => {
      const onData = () => {
        const match = /listening on (http:\/\/\S+)/.exec(exampleOutput);
        if (match && exampleOutput.includes("dynamic (")) {
          example.stdout!.off("data", onData);
          resolve(match[1]!);
        }
      };
      example.stdout!.on("data", onData);
      example.once("exit", (code) =>
        reject(new Error(`the example exited (${code}) before listening:\n${exampleOutput}`)),
      );
    });
    assert.match(exampleOutput, /dynamic \(v1a, jwt\): a local test key set, audience "cli-test"/);
    assert.equal(exampleOutput.includes(secret), false, "a secret from the environment is never printed");
  });

  after(async () => {
    if (example.exitCode === null) {
      const exited = new Promise((resolve) => example.once("exit", resolve));
      example.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("send: signs with GEMINI_WEBHOOK_SECRET, prints each status, and the handler sees the event", async () => {
    const run = await cli(["send", url, "--type", "batch.succeeded"], { GEMINI_WEBHOOK_SECRET: secret });
    assert.equal(run.code, 0, run.stderr);
    const [, id] = /(msg_[0-9a-f-]+)\s+200 received/.exec(run.stdout) ?? [];
    assert.ok(id, run.stdout);
    assert.match(run.stdout, /1 sent: 1 answered 2xx\./);
    await eventually(() =>
      exampleOutput.includes(`[handler] batch.succeeded via v1 (${id}): batch_123456: results at gs://`),
    );
  });

  it("send --duplicate --repeat: new ids per delivery, the second copy of each answered duplicate", async () => {
    const run = await cli([
      "send",
      url,
      "-t",
      "batch.failed",
      "--secret",
      secret,
      "--repeat",
      "2",
      "--duplicate",
      "-d",
      '{"error_code":"DEADLINE_EXCEEDED"}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const answers = [...run.stdout.matchAll(/(msg_[0-9a-f-]+)\s+200 (received|duplicate)/g)].map((m) => [m[1], m[2]]);
    assert.equal(answers.length, 4, run.stdout);
    assert.deepEqual(
      answers.map((a) => a[1]),
      ["received", "duplicate", "received", "duplicate"],
    );
    assert.equal(answers[0]![0], answers[1]![0]);
    assert.notEqual(answers[0]![0], answers[2]![0]);
    await eventually(() => exampleOutput.includes(`(${answers[2]![0]}): batch_456789-2: failed: DEADLINE_EXCEEDED`));
  });

  it("send: a wrong secret and a stale timestamp are refused with their codes, exit status 1", async () => {
    const forged = await cli(["send", url, "-t", "batch.succeeded", "--secret", generateSecret()]);
    assert.equal(forged.code, 1);
    assert.match(forged.stdout, /401 invalid_signature: No signature/);
    assert.match(forged.stdout, /0 answered 2xx, 1 refused or failed/);
    const stale = await cli([
      "send",
      url,
      "-t",
      "batch.succeeded",
      "--secret",
      secret,
      "--timestamp",
      String(Math.floor(Date.now() / 1000) - 3600),
    ]);
    assert.equal(stale.code, 1);
    assert.match(stale.stdout, /401 timestamp_too_old/);
  });

  it("send: a type the catalog does not know is sent with --data and acknowledged", async () => {
    const run = await cli(["send", url, "-t", "model.tuned", "--secret", secret, "--data", '{"id":"tunedModels/x"}']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /not a documented type/);
    assert.match(run.stdout, /200 received/);
  });

  it("send --scheme v1a / jwt: signs with the --keys file the example trusts; the handler sees the scheme", async () => {
    const runs = await Promise.all([
      cli(["send", url, "-t", "video.generated", "--scheme", "v1a", "--keys", keysFile]),
      cli(["send", url, "-t", "interaction.completed", "--scheme", "jwt", "--algorithm", "ES256"], {
        GEMINI_WEBHOOK_TEST_KEYS: keysFile,
      }),
    ]);
    for (const [index, scheme] of ["v1a", "jwt"].entries()) {
      const run = runs[index]!;
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const [, id] = /(msg_[0-9a-f-]+)\s+200 received/.exec(run.stdout) ?? [];
      assert.ok(id, run.stdout);
      await eventually(() => exampleOutput.includes(`via ${scheme} (${id})`));
    }
    const stranger = join(dir, "stranger-keys.json");
    writeFileSync(stranger, JSON.stringify(createTestKeys({ audience: "cli-test" }).toJSON()));
    const forged = await cli(["send", url, "-t", "video.generated", "--scheme", "jwt", "--keys", stranger]);
    assert.equal(forged.code, 1);
    assert.match(forged.stdout, /401 invalid_signature/);
  });

  it("reports a bad URL, a malformed secret, missing keys and bad options as usage errors (exit status 2)", async () => {
    const cases: [string[], RegExp][] = [
      [["send", "localhost:3000/hook", "-t", "batch.succeeded", "--secret", secret], /is not an http\(s\) URL/],
      [
        ["send", url, "-t", "batch.succeeded", "--secret", "whsec_short"],
        /--secret is not a valid signing secret|--secret is too short/,
      ],
      [["send", url, "--secret", secret], /--type is required/],
      [["send", url, "-t", "batch.succeeded", "--scheme", "v1a"], /--scheme v1a needs --keys <file>/],
      [["send", url, "-t", "batch.succeeded", "--secret", secret, "--data", "{oops"], /--data is not valid JSON/],
      [["send", url, "-t", "batch.succeeded", "--secret", secret, "--bogus"], /Unknown option '--bogus'/],
      [
        ["send", url, "-t", "batch.succeeded", "--secret", secret, "--repeat", "0"],
        /option "--repeat" must be a positive whole number, got 0\./,
      ],
      [
        ["send", url, "-t", "batch.succeeded", "--secret", secret, "--timeout", "1e3"],
        /option "--timeout" must be a positive whole number, got "1e3"\./,
      ],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((run, index) => {
      const [args, message] = cases[index]!;
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /--help" for usage/);
      assert.equal(run.stdout.includes("Sending"), false, "nothing is sent");
    });
    const fromEnv = await cli(["send", url, "-t", "batch.succeeded"], { GEMINI_WEBHOOK_SECRET: "not-base64!" });
    assert.equal(fromEnv.code, 2);
    assert.match(fromEnv.stderr, /GEMINI_WEBHOOK_SECRET is not a valid signing secret/);
    assert.equal(fromEnv.stderr.includes("not-base64!"), false, "the secret is not echoed");
  });

  it("reports an unreachable server clearly (exit status 1)", async () => {
    const closedPort = await freePort();
    const run = await cli([
      "send",
      `http://127.0.0.1:${closedPort}/gemini-callback`,
      "-t",
      "batch.succeeded",
      "--secret",
      secret,
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(
        `could not reach http://127\\.0\\.0\\.1:${closedPort}/gemini-callback: connection refused \\(ECONNREFUSED\\)`,
      ),
    );
  });

  it("secret prints a new usable whsec_ secret, alone on its line", async () => {
    const [first, second] = await Promise.all([cli(["secret"]), cli(["secret"])]);
    assert.equal(first.code, 0);
    assert.match(first.stdout, /^whsec_[A-Za-z0-9+/]{32}\n$/);
    assertUsableSecret(first.stdout.trim(), "secret");
    assert.notEqual(first.stdout, second.stdout);
  });

  it("--help for the CLI and each command", async () => {
    const [main, send, secretHelp, bare] = await Promise.all([
      cli(["--help"]),
      cli(["send", "--help"]),
      cli(["secret", "--help"]),
      cli(["frobnicate"]),
    ]);
    assert.equal(main.code, 0);
    assert.match(main.stdout, /^Usage: gemini-webhooks <command>/);
    assert.match(main.stdout, /^  send\s/m);
    assert.equal(send.code, 0);
    assert.match(send.stdout, /^Usage: gemini-webhooks send <url> --type/);
    for (const option of ["--scheme", "--secret", "--keys", "--data", "--repeat", "--duplicate", "--timestamp"])
      assert.ok(send.stdout.includes(option), option);
    assert.equal(secretHelp.code, 0);
    assert.match(secretHelp.stdout, /^Usage: gemini-webhooks secret/);
    assert.equal(bare.code, 2, "an unknown command is a usage error");
    assert.match(bare.stderr, /unknown command "frobnicate"/);
  });
});

/** A port nothing listens on: bound, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The example logs asynchronously (another process): wait for a line instead of assuming it is there. */
async function eventually(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000; // generous: a loaded machine can be slow to start the example
  while (Date.now() < deadline) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail("the expected line never appeared in the example's output");
}
