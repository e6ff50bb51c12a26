/**
 * Bench servers in child processes, both sides of the IPC channel. The parent (`Child`) spawns a
 * script with Bun, waits for its `{kind: "ready"}` and asks it for its CPU time around a measured
 * interval; the child (`answerParent`) says ready, answers `cpu`, and closes on `stop` or when the
 * parent goes away, so that no server or data directory outlives the run.
 */
import type { Subprocess } from "bun";
import { withTimeout } from "./ws-wire.ts";
import { log } from "./args.ts";

export type Message = Record<string, unknown>;

/** A child with an IPC channel: `ask` sends a message and waits for the next reply of a kind. */
export class Child {
  private waiting: { kind: string; resolve: (m: Message) => void; reject: (e: Error) => void }[] = [];
  private inbox: Message[] = [];
  readonly proc: Subprocess;
  private dead: string | null = null;
  private lastCpu = 0;
  private lastWall = 0;

  /**
   * `args` follow the Bun executable (runtime flags, then the script). `label` names the child in
   * errors; a `{kind: "error"}` message from it is logged as it comes.
   */
  constructor(
    args: string[],
    private readonly label = "child",
  ) {
    this.proc = Bun.spawn([process.execPath, ...args], {
      stdio: ["ignore", "inherit", "inherit"],
      ipc: (m: Message) => {
        if (m.kind === "error") log(`  child ${args.find((a) => a.endsWith(".ts"))}: ${m.message}`);
        const i = this.waiting.findIndex((w) => w.kind === m.kind);
        if (i >= 0) this.waiting.splice(i, 1)[0]!.resolve(m);
        else this.inbox.push(m);
      },
    });
    void this.proc.exited.then((code) => {
      this.dead = `exited with code ${code}`;
      // A child that dies must fail the bench at once, not after the reply's timeout.
      for (const w of this.waiting.splice(0)) w.reject(new Error(`${this.label} ${this.dead} before it replied "${w.kind}"`));
    });
  }

  next(kind: string, ms = 60_000): Promise<Message> {
    const i = this.inbox.findIndex((m) => m.kind === kind);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    if (this.dead) return Promise.reject(new Error(`${this.label} ${this.dead}`));
    return withTimeout(new Promise((resolve, reject) => this.waiting.push({ kind, resolve, reject })), ms, `${this.label} reply "${kind}"`);
  }

  ask(m: Message, kind: string, ms?: number): Promise<Message> {
    this.proc.send(m);
    return this.next(kind, ms);
  }

  /** Marks the start of a measured interval; `cpuShare` gives the child's CPU since, in cores. */
  async cpuMark(): Promise<void> {
    const m = await this.ask({ kind: "cpu" }, "cpu");
    this.lastCpu = (m.user as number) + (m.system as number);
    this.lastWall = performance.now();
  }

  /** CPU of the child since `cpuMark` (every thread of the process), in cores. */
  async cpuShare(): Promise<number> {
    const m = await this.ask({ kind: "cpu" }, "cpu");
    const cpu = (m.user as number) + (m.system as number) - this.lastCpu;
    return cpu / 1e3 / (performance.now() - this.lastWall);
  }

  /** Asks the child to stop and exit; kills it if it has not exited after `killAfterMs`. */
  async stop(killAfterMs = 10_000): Promise<void> {
    if (this.dead) return;
    try {
      this.proc.send({ kind: "stop" });
      this.proc.send({ kind: "exit" });
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => this.proc.kill(), killAfterMs);
    await this.proc.exited;
    clearTimeout(t);
  }
}

/**
 * The child's side for a bench server: answers `cpu` with its process CPU time (µs), runs `close`
 * once on `stop` or when the parent goes away, then exits; and sends `ready` to the parent.
 */
export function answerParent(ready: Message, close: () => Promise<void>): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await close();
    } finally {
      process.exit(0);
    }
  };
  process.on("message", (m: { kind: string }) => {
    if (m.kind === "cpu") {
      const u = process.cpuUsage();
      process.send!({ kind: "cpu", user: u.user, system: u.system });
    } else if (m.kind === "stop") void stop();
  });
  // The parent went away without saying stop: do not leave a server or a data directory behind.
  process.on("disconnect", () => void stop());
  process.send!({ kind: "ready", ...ready });
}
