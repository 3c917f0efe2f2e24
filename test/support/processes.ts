// Child processes the suites start: the built CLI and the example app, with their output collected.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CLI_PATH = join(ROOT, "dist/esm/cli.js");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Both streams, in the order they arrived. */
  output: string;
}

/** The environment without the variables whose names match `drop`, so each test says what it sets. */
export function environmentWithout(drop: (name: string) => boolean): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !drop(name)));
}

/** Runs `command` to its end and collects what it printed. */
export function run(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
  cwd?: string,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout.on("data", (chunk) => ((stdout += chunk), (output += chunk)));
    child.stderr.on("data", (chunk) => ((stderr += chunk), (output += chunk)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, output }));
  });
}

/** Runs `example-app/server.ts` with `args` (what `npm run example -- ...` runs, without npm in between). */
export async function runExample(
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; output: string; rows: string[][] }> {
  const { code, output } = await run(
    process.execPath,
    ["--import", "tsx", "example-app/server.ts", ...args],
    { ...env, TSX_TSCONFIG_PATH: "example-app/tsconfig.json" },
    ROOT,
  );
  // The demo's table rows (numbered, eight columns), not its summary line.
  const rows = output
    .split("\n")
    .filter((line) => /^\d+\s/.test(line))
    .map((line) => line.split(/\s{2,}/))
    .filter((cells) => cells.length === 8);
  return { code, output, rows };
}
