/**
 * The exchange bench/login-storm.ts measures, in a process of its own (spawned with IPC, so the
 * harness's load never runs on the server's event loop): `serve()` (app/serve.ts) on a fresh data
 * directory, fsync on, the demo config as bench/ws-server.ts lifts it (benchConfig), plus:
 *
 *   --hash-concurrency N --hash-queue Q   identity.passwordHashing (default: the exchange's own, 1 and 32)
 *   the login guard's failure counts lifted (config.login): the storm's wrong passwords all come
 *   from 127.0.0.1 and would lock the address after 50, after which a login is refused without
 *   an argon2id verify — the guard working, but no longer the cost this bench is after.
 *
 * Besides the parent's `cpu` and `stop` (bench/kit/child.ts) it answers `lag-start` (starts a 1 ms
 * interval on the server's own event loop, recording how late each tick is) and `lag` (stops it,
 * replies with the lateness percentiles in ns): the sockets' thread, seen from inside.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../app/serve.ts";
import { silentLogger } from "../log/logger.ts";
import { flagText } from "./kit/args.ts";
import { answerParent } from "./kit/child.ts";
import { summarize } from "./kit/histogram.ts";
import { benchConfig } from "./ws-server.ts";

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const concurrency = Number(flagText(argv, "--hash-concurrency", "0"));
  const maxQueued = Number(flagText(argv, "--hash-queue", "-1"));
  const dataDir = mkdtempSync(join(flagText(argv, "--dir", tmpdir()), "bourse-login-"));
  const config = benchConfig(false);
  config.login = { keyFailures: 1e9, addressFailures: 1e9 };
  if (concurrency > 0 || maxQueued >= 0) {
    config.identity = { ...(config.identity ?? {}), passwordHashing: { ...(concurrency > 0 ? { concurrency } : {}), ...(maxQueued >= 0 ? { maxQueued } : {}) } };
  }
  const s = await serve({ dataDir, config, workers: 0, port: 0, fsync: true, log: silentLogger });

  let late: number[] = [];
  let timer: ReturnType<typeof setInterval> | null = null;
  process.on("message", (m: { kind: string }) => {
    if (m.kind === "lag-start") {
      late = [];
      let last = Bun.nanoseconds();
      if (timer) clearInterval(timer);
      timer = setInterval(() => {
        const now = Bun.nanoseconds();
        late.push(Math.max(0, now - last - 1e6));
        last = now;
      }, 1);
    } else if (m.kind === "lag") {
      if (timer) clearInterval(timer);
      timer = null;
      process.send!({ kind: "lag", ...summarize(Float64Array.from(late)) });
    }
  });

  answerParent({ url: s.gateway.url.replace(/\/ws$/, ""), dataDir }, async () => {
    try {
      await s.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

if (import.meta.main) await main();
