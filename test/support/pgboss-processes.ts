// Starts pg-boss queue instances (test/fixtures/pgboss-instance-process.ts) as child processes and collects the
// handler runs they report over IPC.
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { HandlerRun } from "./queue-instance.js";
import type { PgBossInstanceOptions } from "./pgboss-instance.js";

const CHILD_SCRIPT = fileURLToPath(new URL("../fixtures/pgboss-instance-process.ts", import.meta.url));

export interface ChildInstance {
  name: string;
  process: ChildProcess;
  url?: string;
  /** Starts the worker of an instance started with `deferWork`. */
  startWork(): void;
  /** Stops it gracefully (its worker waits for running handlers). */
  stop(): Promise<void>;
  /** SIGKILL: no clean-up at all, as a crash or an OOM kill. */
  kill(): Promise<void>;
}

export class ChildInstances {
  readonly runs: HandlerRun[] = [];
  private readonly children: ChildInstance[] = [];

  async start(options: Omit<PgBossInstanceOptions, "onRun">): Promise<ChildInstance> {
    const child = fork(CHILD_SCRIPT, [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, PGBOSS_INSTANCE: JSON.stringify(options) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.on("message", (message: { type: string; run?: HandlerRun }) => {
      if (message.type === "run") this.runs.push(message.run!);
    });
    const [ready] = (await Promise.race([
      once(child, "message"),
      once(child, "exit").then(() => {
        throw new Error(`queue instance ${options.name} exited before it was ready`);
      }),
    ])) as [{ type: string; url?: string }];
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    const instance: ChildInstance = {
      name: options.name,
      process: child,
      url: ready.url,
      startWork() {
        child.send({ type: "work" });
      },
      async stop() {
        if (exited()) return;
        child.disconnect();
        await once(child, "exit");
      },
      async kill() {
        if (exited()) return;
        child.kill("SIGKILL");
        await once(child, "exit");
      },
    };
    this.children.push(instance);
    return instance;
  }

  runsOf(webhookId: string, phase: HandlerRun["phase"] = "end"): HandlerRun[] {
    return this.runs.filter((run) => run.webhookId === webhookId && run.phase === phase);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.children.map((child) => child.stop()));
  }
}
