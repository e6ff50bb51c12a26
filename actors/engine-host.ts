/**
 * Starting the engine's host (actors/sequencer.ts, EngineHost) on this thread or in a worker: the
 * one place that chooses, so nothing outside tests asks which host it has.
 */
import { UsageError } from "./operator-error.ts";
import { type RecoveredState, readRecoveredState } from "./recovered-state.ts";
import { Runtime } from "./runtime.ts";
import type { EngineHost } from "./sequencer.ts";
import { WorkerHost, type WorkerHostOptions } from "./worker-host.ts";

export interface HostOptions extends WorkerHostOptions {
  /** Engine threads: 0, the engine on this thread (Runtime); 1, in a worker (WorkerHost). Default 0. */
  workers?: number;
}

export interface StartedHost {
  host: EngineHost;
  /** The books, open orders and accounts as recovered, before any command ran: what the doors start from. */
  recovered: RecoveredState;
  /** The engine on this thread (workers 0), for tools that read its state directly; null when it runs in a worker. */
  runtime: Runtime | null;
}

/** Starts the core on the configured number of engine threads and reads what it recovered. */
export async function startEngineHost(opts: HostOptions): Promise<StartedHost> {
  const { workers = 0, ...rest } = opts;
  if (workers === 0) {
    const runtime = Runtime.start(rest);
    // Read now, before any command runs, so it is exactly the durable state (a worker does the same on its thread).
    const recovered = readRecoveredState(runtime.exchange, rest.config.instruments.map((i) => i.id));
    return { host: runtime, recovered, runtime };
  }
  if (workers === 1) {
    const host = await WorkerHost.start(rest);
    return { host, recovered: host.recovered, runtime: null };
  }
  throw new UsageError(`workers must be 0 or 1 (docs/architecture.md explains why not more): ${workers}`);
}

export type { EngineHost } from "./sequencer.ts";
