import type { Sequencer } from "../actors/sequencer.ts";
import type { Logger } from "../log/logger.ts";
import type { FixAcceptor } from "../gateway/fix/acceptor.ts";
import type { OrderEntry } from "../gateway/order-entry/order-entry.ts";
import type { Gateway } from "../gateway/ws/server.ts";

/** Why the engine stopped, once the doors have been drained. */
export interface EngineStop {
  reason: string;
  /** Requests in flight that were answered ENGINE_STOPPED (their outcome is known only after a restart). */
  answered: number;
}

/** WebSocket close code for sessions of a stopped engine (1011: the server hit an unexpected condition). */
export const ENGINE_STOPPED_CLOSE = 1011;

/**
 * Fail loudly, never half-alive: when the engine stops (a command threw, a journal write or
 * fdatasync failed), the doors are drained so the process can exit and a supervisor restart it.
 * In order: what the journal made durable is delivered (closing the sequencer syncs and delivers
 * it); every request still waiting gets an ENGINE_STOPPED answer on its own door; the WebSocket
 * sessions are closed with 1011 and the FIX sessions logged out, each with the reason. /health and
 * /ready answer 503 from the moment of the stop (gateway/ws/health.ts) until the process exits.
 * Resolves once that is done; the caller exits (bin/bourse.ts: code 70).
 */
export function drainOnStop(o: { sequencer: Sequencer; orderEntry: OrderEntry; gateway: Gateway; fix: FixAcceptor | null; log: Logger }): Promise<EngineStop> {
  return new Promise<EngineStop>((resolve) => {
    o.sequencer.onStop((failure) => {
      // The stop is reported from inside the sequencer's flush: drain after it has returned.
      setImmediate(async () => {
        const reason = failure.message;
        o.log.error("draining after engine stop", { cause: reason, then: "answer requests in flight, close sessions, exit; a restart recovers from the journal" });
        try {
          await o.sequencer.close();
        } catch (e) {
          o.log.error("closing the stopped engine failed", { err: e });
        }
        const answered = o.orderEntry.failPending();
        const why = `engine stopped: ${reason}`.slice(0, 120);
        o.gateway.closeSessions(ENGINE_STOPPED_CLOSE, why);
        await o.fix?.stop(why);
        o.log.error("drained after engine stop", { answered, sessions: "closed" });
        resolve({ reason, answered });
      });
    });
  });
}
