import type { BourseConfig } from "../actors/config.ts";
import { seedCommands } from "../actors/config.ts";
import { readRecoveredState } from "../actors/recovered-state.ts";
import { Runtime } from "../actors/runtime.ts";
import { WorkerHost } from "../actors/worker-host.ts";
import { makeInstrument } from "../engine/instrument.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { type FixAcceptor, startFixAcceptor } from "./fix/acceptor.ts";
import { ApiKeys } from "./keys.ts";
import { OrderEntry } from "./order-entry.ts";
import type { InitialBook } from "./market-data-fanout.ts";
import { type Gateway, startGateway } from "./server.ts";

export interface ServeOptions {
  dataDir: string;
  config: BourseConfig;
  workers: number;
  port?: number;
  /** FIX acceptor port (default: the config's, else 9878; 0 = any free port, and so is `port: 0`). */
  fixPort?: number;
  host?: string;
  /** Default: info and up, to stdout, JSON unless stdout is a terminal (docs/logging.md). */
  log?: Logger;
}

/**
 * `bourse serve` (and `npm start`): recover the data directory, open and fund the configured
 * accounts on a fresh one, and open the WebSocket door. Returns the running gateway.
 */
export async function serve(o: ServeOptions): Promise<{ gateway: Gateway; fix: FixAcceptor | null; close(): Promise<void> }> {
  const log = o.log ?? createLogger();
  log.info("starting", { dataDir: o.dataDir, engine: o.workers === 1 ? "worker" : "main thread" });
  const sequencer = o.workers === 1 ? await WorkerHost.start({ config: o.config.exchange, dataDir: o.dataDir, log }) : Runtime.start({ config: o.config.exchange, dataDir: o.dataDir, log });
  // Market data and the order read model start from the recovered state, read before any command
  // runs so it is exactly the durable state (a worker reads it on its thread and posts it).
  const recovered = sequencer instanceof Runtime ? readRecoveredState(sequencer.exchange, o.config.exchange.instruments.map((i) => i.id)) : sequencer.recovered;
  const initialBooks: InitialBook[] = recovered.books;
  if (sequencer.lastSeq === 0) {
    const seeds = seedCommands(o.config);
    await new Promise<void>((resolve) => {
      let left = seeds.length;
      const off = sequencer.onDelivery(() => {
        if (--left === 0) {
          off();
          resolve();
        }
      });
      for (const c of seeds) sequencer.submit(c);
      if (seeds.length === 0) resolve();
    });
    log.info("fresh data directory: accounts opened and funded", { accounts: o.config.accounts?.length ?? 0 });
  }
  const keys = ApiKeys.fromConfig(o.config);
  // One order entry for both doors: a FIX order and a WebSocket order trade against each other and
  // each side hears of it on its own door.
  const orderEntry = new OrderEntry(sequencer);
  const unlisten = orderEntry.listen();
  // Recovered open orders belong to no session until a client claims them (docs/protocol.md).
  for (const r of recovered.orders) orderEntry.orders.add({ ...r, session: 0 });
  const gateway = startGateway({ sequencer, config: o.config, keys, port: o.port, host: o.host, initialBooks, orderEntry, log });
  const fix =
    o.config.fix?.enabled === false
      ? null
      : startFixAcceptor({ orderEntry, instruments: o.config.exchange.instruments.map(makeInstrument), keys, dataDir: o.dataDir, config: o.config.fix, host: o.host, port: o.fixPort ?? (o.port === 0 ? 0 : undefined), log });
  log.info("running", {
    seq: sequencer.lastSeq,
    websocket: gateway.url,
    http: `http://${gateway.server.hostname}:${gateway.server.port}/health`,
    fix: fix ? `${fix.host}:${fix.port}` : undefined,
    fixTargetCompId: fix?.compId,
  });
  // Key ids only: a secret never goes to a log (the demo secrets are in the README and the config).
  for (const a of o.config.accounts ?? []) for (const k of a.apiKeys ?? []) log.info("login available", { key: k.id, account: a.id, name: a.name });
  return {
    gateway,
    fix,
    async close() {
      log.info("stopping", { seq: sequencer.lastSeq });
      await fix?.stop();
      await gateway.stop();
      unlisten();
      // The snapshotter replica writes what fell due up to the last command before the engine
      // stops it; then the data directory is complete once background writes are done.
      await sequencer.settled();
      await sequencer.close();
      if (sequencer instanceof Runtime) await sequencer.settled();
      log.info("stopped", { seq: sequencer.lastSeq });
      log.flush();
    },
  };
}
