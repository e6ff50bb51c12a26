/**
 * The server bench/fix.ts measures, in a process of its own (spawned with IPC by fix.ts, so the
 * server has one event loop to itself): `serve()` (app/serve.ts) — the WebSocket door and the
 * FIX 4.4 acceptor on one order entry, fsync on — on a fresh data directory under the OS temp dir
 * (or --dir), both doors on free ports. Removed on stop.
 *
 * The config is bench/ws-server.ts's `benchConfig` (config/demo.json with the gateway's session
 * token bucket, the tiers' engine rate limit and open-order cap lifted) plus the FIX acceptor's
 * own per-session token bucket (`fix.maxOrdersPerSecond`, default 2,000/s) lifted the same way;
 * `--keep-limits 1` keeps them all.
 *
 * Messages from the parent: {kind:"cpu"} → {kind:"cpu", user, system} (µs, the whole process,
 * every thread); {kind:"stop"} → closes, removes the data directory, exits.
 * To the parent, once listening: {kind:"ready", url (ws://host:port, no path), fixHost, fixPort, dataDir}.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BourseConfig } from "../app/config.ts";
import { serve } from "../app/serve.ts";
import { benchConfig } from "./ws-server.ts";
import { silentLogger } from "../log/logger.ts";
import { answerParent } from "./kit/child.ts";
import { flagText } from "./kit/args.ts";

/** benchConfig plus the FIX door's per-session order rate lifted (unless keepLimits). */
export function fixBenchConfig(keepLimits: boolean): BourseConfig {
  const config = benchConfig(keepLimits);
  config.fix = { ...(config.fix ?? {}), enabled: true };
  if (!keepLimits) config.fix.maxOrdersPerSecond = 1e9;
  return config;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: string) => flagText(argv, `--${name}`, dflt);
  const workers = Number(arg("workers", "0")) === 1 ? 1 : 0;
  const keepLimits = arg("keep-limits", "0") === "1";
  const dataDir = mkdtempSync(join(arg("dir", tmpdir()), "bourse-fix-"));
  const s = await serve({ dataDir, config: fixBenchConfig(keepLimits), workers, port: 0, log: silentLogger });
  if (!s.fix) throw new Error("serve() started no FIX acceptor");
  answerParent({ url: s.gateway.url.replace(/\/ws$/, ""), fixHost: s.fix.host, fixPort: s.fix.port, dataDir }, async () => {
    try {
      await s.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

if (import.meta.main) await main();
