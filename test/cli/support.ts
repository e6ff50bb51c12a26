/** Runs bin/bourse.ts as an operator would: a separate process, its exit code, stdout and stderr. */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "../..");
export const BOURSE = join(ROOT, "bin/bourse.ts");
export const DEMO_CONFIG = join(ROOT, "config/demo.json");

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `bun bin/bourse.ts ...args`, to completion. `asUser` runs it as that uid/gid (a root test checking permissions). */
export function bourse(args: string[], o: { env?: Record<string, string>; asUser?: number; timeoutMs?: number } = {}): Result {
  const r = spawnSync(process.execPath, [BOURSE, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: o.timeoutMs ?? 60_000,
    env: { ...process.env, ...(o.asUser !== undefined ? { HOME: "/tmp" } : {}), ...o.env },
    ...(o.asUser !== undefined ? { uid: o.asUser, gid: o.asUser } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Servers still running, for a test's afterAll to stop (a failed expectation must not leave one behind). */
export const running = new Set<{ kill(signal?: NodeJS.Signals): boolean; exitCode: number | null }>();

export function killAll(): void {
  for (const c of running) if (c.exitCode === null) c.kill("SIGKILL");
  running.clear();
}

/** A long-running `bourse serve`: lines as they come, the exit as a promise. */
export function bourseServe(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BOURSE, "serve", ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  running.add(child);
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const m = stdout.match(waiters[i]!.pattern);
      if (m) waiters.splice(i, 1)[0]!.resolve(m);
    }
  };
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    check();
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    /** Resolves with the first match of `pattern` in stdout; rejects if the process exits first. */
    waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
      const m = stdout.match(pattern);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exited.then((code) => reject(new Error(`bourse serve exited (${code}) before printing ${pattern}; stderr: ${stderr}`)));
      });
    },
  };
}

/** The lines of a stream's text, without the empty last one. */
export function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}
