// Starts queue instances as child processes and collects the handler runs they report over IPC: BullMQ's
// (test/fixtures/queue-instance-process.ts) by default, another engine's child script when given one.
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { HandlerRun, QueueInstanceOptions } from "./queue-instance.js";

const CHILD_SCRIPT = fileURLToPath(new URL("../fixtures/queue-instance-process.ts", import.meta.url));

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

export class ChildInstances<Options extends { name: string } = Omit<QueueInstanceOptions, "onRun">> {
  readonly runs: HandlerRun[] = [];
  private readonly children: ChildInstance[] = [];

  /** `childScript` reads its options as JSON from the environment variable `optionsVariable`. */
  constructor(
    private readonly childScript = CHILD_SCRIPT,
    private readonly optionsVariable = "QUEUE_INSTANCE",
  ) {}

  async start(options: Options): Promise<ChildInstance> {
    const child = fork(this.childScript, [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, [this.optionsVariable]: JSON.stringify(options) },
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
