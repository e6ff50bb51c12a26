/**
 * What the host tests start and must tear down after each test: temporary data directories, and
 * the runtimes and worker hosts started in them (closed before their directories go).
 */
import { afterEach } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../app/config.ts";
import type { Runtime } from "../../actors/runtime.ts";
import type { WorkerHost } from "../../actors/worker-host.ts";

/** config/demo.json, as the hosts' tests run it. */
export const demoConfig = loadConfig(join(import.meta.dir, "../../config/demo.json"));

/** Temporary directories named `<prefix>XXXXXX`, removed together by removeAll(). */
export class TempDirs {
  private readonly dirs: string[] = [];
  constructor(private readonly prefix: string) {}

  make(): string {
    const d = mkdtempSync(join(tmpdir(), this.prefix));
    this.dirs.push(d);
    return d;
  }

  removeAll(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/** The runtimes and worker hosts a test started; closeAll() stops those still running. */
export class Started {
  readonly runtimes: Runtime[] = [];
  readonly workers: WorkerHost[] = [];

  /** `settle`: wait for each runtime's replica to stop on its own after close(), before its directory goes. */
  async closeAll(settle = false): Promise<void> {
    for (const rt of this.runtimes.splice(0)) {
      rt.close();
      if (settle) await rt.settled();
    }
    for (const h of this.workers.splice(0)) if (!h.stopped) await h.close();
  }
}

/**
 * For the calling test file: after each test, the hosts it started are closed (`settle`: each
 * runtime's replica allowed to stop first) and its data directories (`<prefix>XXXXXX`) removed.
 */
export function hostsPerTest(prefix: string, settle = false): { dataDir: () => string; runtimes: Runtime[]; workers: WorkerHost[] } {
  const dirs = new TempDirs(prefix);
  const started = new Started();
  afterEach(async () => {
    await started.closeAll(settle);
    dirs.removeAll();
  });
  return { dataDir: () => dirs.make(), runtimes: started.runtimes, workers: started.workers };
}
