import { checkConfig, missingAccountsWarning } from "../app/config-check.ts";
import type { BourseConfig } from "../app/config.ts";
import { seedCommands } from "../app/config.ts";
import { explainRecoveryFailure, OperatorError } from "../actors/operator-error.ts";
import { readRecoveredState } from "../actors/recovered-state.ts";
import { Runtime, type RuntimeOptions } from "../actors/runtime.ts";
import type { Sequencer } from "../actors/sequencer.ts";
import { WorkerHost } from "../actors/worker-host.ts";
import { makeInstrument } from "../engine/instrument.ts";
import { drainOnStop, type EngineStop } from "./engine-stop.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { type FixAcceptor, startFixAcceptor } from "../gateway/fix/acceptor.ts";
import { ApiKeys } from "../gateway/auth/keys.ts";
import { checkPortsFree, type DoorAddress, listenError } from "./listen-check.ts";
import { OrderEntry } from "../gateway/order-entry/order-entry.ts";
import type { InitialBook } from "../gateway/ws/market-data-fanout.ts";
import { type Gateway, startGateway } from "../gateway/ws/server.ts";

export interface ServeOptions {
  dataDir: string;
  config: BourseConfig;
  /** Where the config came from, for error messages. */
  configFile?: string;
  workers: number;
  port?: number;
  /** FIX acceptor port (default: the config's, else 9878; 0 = any free port, and so is `port: 0`). */
  fixPort?: number;
  host?: string;
  /** Default: info and up, to stdout, JSON unless stdout is a terminal (docs/logging.md). */
  log?: Logger;
  /** Tests only: a failing disk (RuntimeOptions.syncerFaults). */
  syncerFaults?: RuntimeOptions["syncerFaults"];
}

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
 * `bourse serve` (and `npm start`): recover the data directory, open and fund the configured
 * accounts on a fresh one, and open the WebSocket and FIX doors. Returns the running exchange.
 */
export async function serve(o: ServeOptions): Promise<Running> {
  const log = o.log ?? createLogger();
  log.info("starting", { dataDir: o.dataDir, engine: o.workers === 1 ? "worker" : "main thread" });
  checkServeConfig(o.config, o.configFile ?? "the configuration");
  const doors = doorAddresses(o);
  checkPortsFree(doors);
  const sequencer = await startSequencer(o, log);
  try {
    return await open(o, doors, sequencer, log);
  } catch (e) {
    // A door that cannot listen: close the journal cleanly before the error reaches the operator.
    await sequencer.close();
    throw e;
  }
}

/** checkConfig, and the API keys the doors will take (before any directory is opened). */
export function checkServeConfig(config: BourseConfig, file: string): void {
  checkConfig(config, file);
  try {
    ApiKeys.fromConfig(config);
  } catch (e) {
    throw new OperatorError(`${file}: ${(e as Error).message}`);
  }
}

async function startSequencer(o: ServeOptions, log: Logger): Promise<Runtime | WorkerHost> {
  const opts = { config: o.config.exchange, dataDir: o.dataDir, log, syncerFaults: o.syncerFaults };
  try {
    return o.workers === 1 ? await WorkerHost.start(opts) : Runtime.start(opts);
  } catch (e) {
    throw explainRecoveryFailure(e, o.dataDir);
  }
}

/** Where the doors will listen: the WebSocket/HTTP door, then FIX unless the config turns it off. */
export function doorAddresses(o: Pick<ServeOptions, "config" | "host" | "port" | "fixPort">): DoorAddress[] {
  const host = o.host ?? o.config.gateway?.host ?? "127.0.0.1";
  const doors: DoorAddress[] = [{ door: "WebSocket/HTTP", host, port: o.port ?? o.config.gateway?.port ?? 7070, flag: "--port" }];
  if (o.config.fix?.enabled !== false) {
    doors.push({ door: "FIX", host: o.host ?? o.config.fix?.host ?? "127.0.0.1", port: o.fixPort ?? (o.port === 0 ? 0 : (o.config.fix?.port ?? 9878)), flag: "--fix-port" });
  }
  return doors;
}

async function open(o: ServeOptions, doors: DoorAddress[], sequencer: Runtime | WorkerHost, log: Logger): Promise<Running> {
  // Market data and the order read model start from the recovered state, read before any command
  // runs so it is exactly the durable state (a worker reads it on its thread and posts it).
  const recovered = sequencer instanceof Runtime ? readRecoveredState(sequencer.exchange, o.config.exchange.instruments.map((i) => i.id)) : sequencer.recovered;
  const initialBooks: InitialBook[] = recovered.books;
  // Fresh: nothing was ever journaled here. Only then are the accounts seeded and their key ids
  // logged (never a secret).
  const fresh = sequencer.lastSeq === 0;
  if (fresh) {
    await seed(sequencer, o.config);
    log.info("fresh data directory: accounts opened and funded", { accounts: o.config.accounts?.length ?? 0 });
  } else {
    const warning = missingAccountsWarning(o.config, o.configFile ?? "the configuration", o.dataDir, recovered.accounts);
    if (warning !== null) log.warn(warning);
  }
  const keys = ApiKeys.fromConfig(o.config);
  // One order entry for both doors: a FIX order and a WebSocket order trade against each other and
  // each side hears of it on its own door.
  const orderEntry = new OrderEntry(sequencer);
  const unlisten = orderEntry.listen();
  // Recovered open orders belong to no session until a client claims them (docs/protocol.md).
  for (const r of recovered.orders) orderEntry.orders.add({ ...r, session: 0 });
  let gateway: Gateway;
  try {
    gateway = startGateway({ sequencer, instruments: o.config.exchange.instruments, config: o.config.gateway, keys, port: o.port, host: o.host, initialBooks, orderEntry, log });
  } catch (e) {
    unlisten();
    throw listenError(e, doors[0]!);
  }
  let fix: FixAcceptor | null = null;
  if (o.config.fix?.enabled !== false) {
    const fixPort = o.fixPort ?? (o.port === 0 ? 0 : undefined);
    try {
      fix = startFixAcceptor({ orderEntry, instruments: o.config.exchange.instruments.map(makeInstrument), keys, dataDir: o.dataDir, config: o.config.fix, host: o.host, port: fixPort, log });
    } catch (e) {
      await gateway.stop();
      unlisten();
      throw listenError(e, doors[1]!);
    }
  }
  const stopped = drainOnStop({ sequencer, orderEntry, gateway, fix, log });
  log.info("running", {
    seq: sequencer.lastSeq,
    websocket: gateway.url,
    http: `http://${gateway.server.hostname}:${gateway.server.port}`,
    paths: "/health, /ready, /instruments",
    fix: fix ? `${fix.host}:${fix.port}` : undefined,
    fixTargetCompId: fix?.compId,
  });
  // Key ids only, and only on a fresh directory: a secret never goes to a log (the demo secrets
  // are in the README and the config).
  if (fresh) for (const a of o.config.accounts ?? []) for (const k of a.apiKeys ?? []) log.info("login available", { key: k.id, account: a.id, name: a.name });
  return {
    gateway,
    fix,
    stopped,
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

/** Opens and funds the configured accounts (a fresh directory only), and waits until that is durable. */
async function seed(sequencer: Sequencer, config: BourseConfig): Promise<void> {
  const seeds = seedCommands(config);
  await new Promise<void>((resolve, reject) => {
    let left = seeds.length;
    const off = sequencer.onDelivery(() => {
      if (--left === 0) {
        off();
        resolve();
      }
    });
    sequencer.onStop(reject);
    for (const c of seeds) sequencer.submit(c);
    if (seeds.length === 0) resolve();
  });
}

