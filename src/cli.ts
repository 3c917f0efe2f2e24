#!/usr/bin/env node
/**
 * `gemini-webhooks`: the package's command line. Signs and sends deliveries to a receiver
 * (`send`), makes development secrets (`secret`), manages webhooks through the Gemini API (`webhooks`),
 * lists and retries failed queued deliveries (`queue`). Run `gemini-webhooks --help`.
 */
import type { Io } from "./cli/send.js";
import { isCommand, UsageError, USAGE, type Command } from "./cli/usage.js";

async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    io.out(USAGE.main.trimEnd());
    return name === undefined ? 2 : 0;
  }
  if (name === "help") {
    const topic = rest[0];
    io.out((isCommand(topic) ? USAGE[topic] : USAGE.main).trimEnd());
    return 0;
  }
  if (!isCommand(name)) throw new UsageError(`unknown command "${name}".`);
  return run(name, rest, io);
}

// Each command is loaded when used: `secret` and `--help` need not load the signing libraries.
async function run(command: Command, args: string[], io: Io): Promise<number> {
  switch (command) {
    case "send":
      return (await import("./cli/send.js")).sendCommand(args, io);
    case "secret":
      return (await import("./cli/secret.js")).secretCommand(args, io.out);
    case "queue":
      return (await import("./cli/queue.js")).queueCommand(args, io);
    case "webhooks":
      // Loads @google/genai only now: without it, every other command still works.
      return (await import("./cli/webhooks.js")).webhooksCommand(args, io);
  }
}

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

main(process.argv.slice(2), io).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.exitCode = report(error);
  },
);

function report(error: unknown): number {
  const argsError = (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  if (error instanceof UsageError || argsError) {
    const command = error instanceof UsageError ? error.command : process.argv[2];
    io.err(`error: ${(error as Error).message}`);
    io.err(`Run "gemini-webhooks ${isCommand(command) ? `${command} ` : ""}--help" for usage.`);
    return 2;
  }
  io.err(`error: ${(error as Error)?.stack ?? String(error)}`);
  return 1;
}
