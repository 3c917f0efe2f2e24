#!/usr/bin/env node
/**
 * `gemini-webhooks`: the package's command line. Signs and sends deliveries to a receiver
 * (`send`), makes development secrets (`secret`), manages webhooks through the Gemini API (`webhooks`),
 * lists and retries failed queued deliveries (`queue`). Run `gemini-webhooks --help`.
 */
import { foreignText, looksLikeSecret } from "./cli/foreign-text.js";
import type { Io } from "./cli/io.js";
import { UsageError } from "./cli/usage.js";
import { packageVersion } from "./cli/version.js";

interface CommandEntry {
  /** What `gemini-webhooks --help` says about the command. */
  summary: string;
  /** Loaded when used: `secret` and `--help` need not load the signing libraries, nor `webhooks` the SDK elsewhere. */
  run(args: string[], io: Io): Promise<number>;
}

/** Every command: its help line and where it lives. Each command prints its own help (`<command> --help`). */
const COMMANDS: Record<string, CommandEntry> = {
  send: {
    summary: "Sign and POST deliveries (v1 HMAC, v1a Ed25519 or JWT) and print each answer",
    run: async (args, io) => (await import("./cli/send.js")).sendCommand(args, io),
  },
  secret: {
    summary: "Print a new random signing secret (whsec_...)",
    run: async (args, io) => (await import("./cli/secret.js")).secretCommand(args, io.out),
  },
  webhooks: {
    summary: "Create, list, get, update, delete, ping webhooks and rotate their secrets (Gemini API)",
    run: async (args, io) => (await import("./cli/admin/webhooks.js")).webhooksCommand(args, io),
  },
  doctor: {
    summary: "Check that Gemini delivers to every webhook; --reenable switches a disabled one back on",
    run: async (args, io) => (await import("./cli/doctor.js")).doctorCommand(args, io),
  },
  "catch-up": {
    summary: "Deliver the completions Gemini did not (batches that ended in a window, tracked interactions)",
    run: async (args, io) => (await import("./cli/catch-up.js")).catchUpCommand(args, io),
  },
  queue: {
    summary: "List and retry queued deliveries whose attempts are exhausted",
    run: async (args, io) => (await import("./cli/queue.js")).queueCommand(args, io),
  },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length), "help [cmd]".length) + 3;
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}${entry.summary}`);
  return `Usage: gemini-webhooks <command> [options]

Sign and send Gemini webhook deliveries to a receiver (development and tests), and manage
your webhooks through the Gemini API.

Commands:
${lines.join("\n")}
  ${"help [cmd]".padEnd(width)}Show help for a command

Options:
  -v, --version  Print the version of gemini-webhooks-express
  -h, --help     Show this help

Run "gemini-webhooks <command> --help" for a command's options.`;
}

function commandNamed(name: string | undefined): CommandEntry | undefined {
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    io.out(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    const version = packageVersion(process.argv[1] ?? "");
    if (version === undefined) {
      io.err("error: could not find gemini-webhooks-express's package.json beside this script.");
      return 1;
    }
    io.out(version);
    return 0;
  }
  if (name === "help") {
    const command = commandNamed(rest[0]);
    if (command) return command.run(["--help"], io);
    io.out(mainHelp());
    return 0;
  }
  const command = commandNamed(name);
  if (!command) throw new UsageError(`unknown command "${foreignText(name, 60)}".`);
  return command.run(rest, io);
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
    io.err(`error: ${error instanceof UsageError ? error.message : argumentsErrorMessage(error as Error)}`);
    io.err(`Run "gemini-webhooks ${commandNamed(command) ? `${command} ` : ""}--help" for usage.`);
    return 2;
  }
  // One line, no stack: the stack helps nobody running the command, and a message may carry foreign text.
  io.err(`error: ${foreignText((error as Error)?.message ?? error)}`);
  return 1;
}

/** parseArgs quotes the argument it refused: anything the user typed, a pasted secret included. */
function argumentsErrorMessage(error: Error): string {
  if (!looksLikeSecret(error.message)) return foreignText(error.message);
  return "an argument that looks like a secret is in the wrong place: pass a signing secret with --secret (or GEMINI_WEBHOOK_SECRET), never as a bare argument.";
}
