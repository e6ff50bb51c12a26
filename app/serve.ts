import type { FixAcceptor } from "../gateway/fix/acceptor.ts";
import type { Gateway } from "../gateway/ws/server.ts";
import { paths } from "../actors/recovery.ts";
import { listSnapshots } from "../actors/snapshot/snapshot-store.ts";
import { createLogger } from "../log/logger.ts";
import type { EngineStop } from "./engine-stop.ts";
import { BourseExchange, type ExchangeOptions } from "./exchange.ts";

/** The exchange's options (app/exchange.ts) with both doors: `serve` always opens them. */
export type ServeOptions = Omit<ExchangeOptions, "doors" | "onEngine">;

export interface Running {
  gateway: Gateway;
  fix: FixAcceptor | null;
  /**
   * Resolves if the engine stops after a failure, once every request in flight has been answered
   * and the sessions closed (app/engine-stop.ts); never while the engine runs. The caller then
   * calls close() and exits non-zero.
   */
  stopped: Promise<EngineStop>;
  close(): Promise<void>;
}

/**
 * `bourse serve` (and `npm start`): the whole exchange with both doors (app/exchange.ts), with the
 * operator's lines around it: what started, where it listens, which logins a fresh directory has.
 */
export async function serve(o: ServeOptions): Promise<Running> {
  const log = o.log ?? createLogger();
  log.info("starting", { dataDir: o.dataDir, engine: o.workers === 1 ? "worker" : "main thread" });
  const exchange = await new BourseExchange({ ...o, log }).start();
  const gateway = exchange.gateway!;
  const fix = exchange.fix;
  const host = exchange.engine.host;
  log.info("running", {
    seq: host.lastSeq,
    // Recovery alone, and the whole start from the process's first instruction to accepting orders (the RTO a supervisor's restart costs).
    recoveryMs: exchange.recoveryMs,
    startMs: Math.round(performance.now()),
    websocket: gateway.url,
    http: `${exchange.tls ? "https" : "http"}://${gateway.server.hostname}:${gateway.server.port}`,
    tls: exchange.tls ? (exchange.tls.selfSigned ? `self-signed, ${exchange.tls.certFile}` : exchange.tls.certFile) : undefined,
    paths: exchange.metrics ? "/health, /ready, /instruments, /metrics" : "/health, /ready, /instruments",
    fix: fix ? `${fix.host}:${fix.port}` : undefined,
    fixTargetCompId: fix?.compId,
  });
  // Key ids only, and only on a fresh directory: a secret never goes to a log (the demo secrets
  // are in the README and the config).
  if (exchange.fresh) for (const a of o.config.accounts ?? []) for (const k of a.apiKeys ?? []) log.info("login available", { key: k.id, account: a.id, name: a.name });
  return {
    gateway,
    fix,
    stopped: exchange.stopped,
    async close() {
      log.info("stopping", { seq: host.lastSeq });
      await exchange.stop();
      // The snapshot the next start begins from: at `seq` after a clean stop, so nothing is replayed.
      log.info("stopped", { seq: host.lastSeq, snapshot: listSnapshots(paths(o.dataDir).snapshots)[0]?.seq ?? 0 });
      log.flush();
    },
  };
}
