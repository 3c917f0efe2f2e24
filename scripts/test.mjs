// `npm test`: starts the services the suites need (Redis, PostgreSQL) on free loopback ports when they are
// installed and not already given (REDIS_URL, DATABASE_URL), runs node:test over test/*.test.ts, and stops
// them on exit, also on Ctrl-C. What could not be provided is skipped by the suites that need it; one line
// before node:test's closing summary says what was skipped and which package installs it (the summary
// stays last because CI reads it). With CI=true or GEMINI_WEBHOOKS_NO_SKIP=1 any skip fails the run.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const noSkip = process.env.GEMINI_WEBHOOKS_NO_SKIP === "1" || process.env.CI === "true";
const env = { ...process.env };
const started = [];
/** What is missing, each with how to install it. */
const missing = [];

function onPath(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

async function provideRedis() {
  if (env.REDIS_URL) return;
  if (!onPath("redis-server")) {
    missing.push({ service: "Redis", install: "apt-get install redis-server" });
    return;
  }
  const { startRedis } = await import("./services/redis.mjs");
  const redis = await startRedis();
  started.push(redis);
  env.REDIS_URL = redis.url;
  console.log(`# redis-server on ${redis.url}`);
}

async function providePostgres() {
  const module = join(root, "scripts/services/postgres.mjs");
  if (env.DATABASE_URL || !existsSync(module)) return; // no suite needs PostgreSQL until that module lands
  const installed =
    existsSync("/usr/lib/postgresql") &&
    readdirSync("/usr/lib/postgresql").some((version) => existsSync(`/usr/lib/postgresql/${version}/bin/pg_ctl`));
  if (!installed && !env.POSTGRES_BIN) {
    missing.push({ service: "PostgreSQL", install: "apt-get install postgresql" });
    return;
  }
  const { startPostgres } = await import(pathToFileURL(module).href);
  const postgres = await startPostgres();
  started.push(postgres);
  env.DATABASE_URL = postgres.url;
  console.log(`# PostgreSQL on ${postgres.url}`);
}

function checkChromium() {
  const path = env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(path)) missing.push({ service: "Chromium", install: "apt-get install chromium" });
}

function checkRuntimes() {
  if (existsSync(join(root, "runtimes/package.json")) && !existsSync(join(root, "runtimes/node_modules")))
    missing.push({ service: "the runtimes in runtimes/", install: "npm ci --prefix runtimes" });
}

let stopping;
function stopServices() {
  stopping ??= Promise.allSettled(started.map((service) => service.stop()));
  return stopping;
}

async function main() {
  try {
    await provideRedis();
    await providePostgres();
  } catch (error) {
    console.error(`npm test: could not start a service: ${error.message}`);
    await stopServices();
    process.exit(1);
  }
  checkChromium();
  checkRuntimes();

  const given = process.argv.slice(2);
  const files = given.length > 0 ? given : readdirSync(join(root, "test")).filter((f) => f.endsWith(".test.ts"));
  const args = ["--import", "tsx", "--test"];
  if (process.stdout.isTTY) args.push("--test-reporter=spec");
  args.push(...files.map((file) => (given.length > 0 ? file : join("test", file))));
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["inherit", "pipe", "inherit"] });

  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      child.kill(signal);
      void stopServices().then(() => process.exit(130));
    });
  }

  // node:test's closing summary starts at "# tests N" (TAP) or "ℹ tests N" (spec): hold it back so the
  // line about skips comes before it and the summary stays last.
  const summary = [];
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  for await (const line of lines) {
    if (summary.length > 0 || /^(# |ℹ )tests \d+$/.test(line)) summary.push(line);
    else process.stdout.write(line + "\n");
  }
  const code = await new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (c) => resolve(c ?? 1)),
  );
  await stopServices();

  const skipped = Number(summary.join("\n").match(/^(?:# |ℹ )skipped (\d+)$/m)?.[1] ?? 0);
  let exitCode = code;
  if (missing.length > 0) {
    const what = missing.map(({ service, install }) => `${service} (${install})`).join(", ");
    console.log(`# not installed, so the suites that need it were skipped: ${what}`);
  }
  if (noSkip && skipped > 0) {
    console.log(`# ${skipped} skipped, and this run allows no skips (CI=true or GEMINI_WEBHOOKS_NO_SKIP=1)`);
    exitCode = exitCode || 1;
  }
  for (const line of summary) process.stdout.write(line + "\n");
  process.exit(exitCode);
}

await main();
