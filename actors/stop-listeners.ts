import { subscribe } from "./subscribe.ts";
import type { Logger } from "../log/logger.ts";

/** The listeners of Sequencer.onStop, for both hosts: each hears of the stop once, late subscribers at once. */
export class StopListeners {
  private readonly fns: ((failure: Error) => void)[] = [];
  private failure: Error | null = null;

  add(fn: (failure: Error) => void): () => void {
    if (this.failure !== null) {
      const failure = this.failure;
      queueMicrotask(() => fn(failure));
      return () => {};
    }
    return subscribe(this.fns, fn);
  }

  fire(failure: unknown, log?: Logger): void {
    if (this.failure !== null) return;
    this.failure = failure instanceof Error ? failure : new Error(String(failure));
    for (const fn of this.fns.splice(0)) {
      try {
        fn(this.failure);
      } catch (e) {
        log?.error("engine stop listener failed", { err: e });
      }
    }
  }
}

export class EngineStoppedError extends Error {
  override name = "EngineStoppedError";
  constructor(readonly failure: unknown) {
    super(`the engine stopped after a failure and accepts no commands until it is restarted: ${String(failure)}`, { cause: failure });
  }
}
