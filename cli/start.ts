import { Command } from "../engine/commands.ts";
import { EventType } from "../engine/events.ts";
import { readDeliveries } from "../actors/delivered-events.ts";
import { portfolio } from "../engine/pnl.ts";
import type { BourseConfig } from "../app/config.ts";
import { BourseExchange } from "../app/exchange.ts";
import { LoadStream } from "./demo-load.ts";
import { stateHash } from "../actors/recovery.ts";
import type { Runtime, RuntimeOptions } from "../actors/runtime.ts";
import { createLogger, type Logger } from "../log/logger.ts";

export interface StartOptions {
  dataDir: string;
  config: BourseConfig;
  /** Orders to run; 0 = recover and report; negative = until killed. */
  orders: number;
  seed: number;
  ackLog: boolean;
  fsync: boolean;
  snapshotEvery?: number;
  /** Where the config came from, for messages. */
  configFile?: string;
  /** Tests only: a failing disk (RuntimeOptions.syncerFaults). */
  syncerFaults?: RuntimeOptions["syncerFaults"];
  /** Default: info and up, to stdout (docs/logging.md). */
  log?: Logger;
}

/**
 * `bourse start` until the gateways exist: recover, fund the configured accounts on a fresh
 * directory, run a seeded load through the sequencer, journal and engine, and report.
 */
export async function runStart(o: StartOptions): Promise<void> {
  const log = o.log ?? createLogger();
  const accounts = (o.config.accounts ?? []).map((a) => a.id);
  let rejects = 0;
  let trades = 0;
  const listen = (rt: Runtime) =>
    rt.onDelivery(
      readDeliveries((batch) => {
        while (batch.next()) {
          if (batch.type === EventType.REJECTED) rejects++;
          else if (batch.type === EventType.TRADE) trades++;
        }
        if (o.ackLog) process.stdout.write(`ack ${batch.seq}\n`);
      }),
    );
  // The engine on this thread and no doors: this command drives it itself. Its listener goes on
  // before the accounts are seeded (app/accounts.ts), so their commands are acked too. The
  // Runtime logs "recovered" with its figures (seq, snapshot, replayed, duration).
  const exchange = await new BourseExchange({
    dataDir: o.dataDir,
    config: o.config,
    configFile: o.configFile,
    workers: 0,
    doors: false,
    fsync: o.fsync,
    snapshotEvery: o.snapshotEvery,
    log,
    syncerFaults: o.syncerFaults,
    onEngine: (engine) => listen(engine.runtime!),
  }).start();
  const rt = exchange.engine.runtime!;
  if (o.orders !== 0 && accounts.length > 0) {
    // Ids above every sequence number so far are unused: an id never exceeds the seq that used it.
    const load = new LoadStream(o.config.exchange, accounts, o.seed, rt.lastSeq + 1);
    const cmd = new Command();
    const start = performance.now();
    let sent = 0;
    while (o.orders < 0 || sent < o.orders) {
      const n = o.orders < 0 ? 256 : Math.min(256, o.orders - sent);
      for (let i = 0; i < n; i++) rt.submit(load.next(cmd));
      sent += n;
      rt.flush();
      // Let stdout drain and signals arrive between batches.
      if (o.ackLog) await Promise.resolve();
    }
    const secs = (performance.now() - start) / 1000;
    log.info("load finished", { commands: sent, seconds: Number(secs.toFixed(2)), perSecond: Math.round(sent / secs), fsync: o.fsync, trades, rejects });
  }
  rt.snapshot();
  const ex = rt.exchange;
  log.info("state", { seq: rt.lastSeq, openOrders: ex.open.size, stateHash: stateHash(ex) });
  for (const a of o.config.accounts ?? []) {
    const p = portfolio(ex.ledger, a.id);
    if (!p) continue;
    const cash = p.cash.map((c) => `${c.currency} ${c.text.balance}`).join(", ");
    const pos = p.positions.map((x) => `${x.name} ${x.text.qty}`).join(", ");
    log.info("balances", { account: a.id, name: a.name, cash, positions: pos || undefined });
  }
  // Periodic snapshots and hashes are written by the replica (or in the background); the run is
  // over once they are on disk (the engine part's stop waits for them before it closes).
  await exchange.stop();
  log.flush();
}
