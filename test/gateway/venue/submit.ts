/**
 * Where the guard's commands go in the venue tests: into a real engine, either an Exchange in
 * this thread (the engine harness) or a running server's runtime, answering as Directory.submit
 * does (ok, or the REJECTED reason).
 */
import type { Runtime } from "../../../actors/runtime.ts";
import { DeliveredEvents } from "../../../actors/delivered-events.ts";
import { type CommandInit, makeCommand } from "../../../engine/commands.ts";
import { decodeEvents, EventBuffer, EventType, Rejected } from "../../../engine/events.ts";
import type { SubmitOutcome } from "../../../gateway/venue/market-data-guard.ts";
import type { Harness } from "../../engine/exchange-harness.ts";

/** Executes each command in the harness's Exchange at the next engine µs; `sent` records (symbol, status). */
export function exchangeSubmit(h: Harness, sent: [number, number][] = []): (init: CommandInit) => Promise<SubmitOutcome> {
  return async (init) => {
    sent.push([init.symbol!, init.tier!]);
    const out = new EventBuffer();
    h.ex.execute(makeCommand({ ...init, time: ++h.time }), out);
    const rejected = decodeEvents(out).find((e) => e.type === "rejected");
    return rejected && rejected.type === "rejected" ? { ok: false, reason: rejected.reason } : { ok: true };
  };
}

let nextToken = -5_000_000;

/** Submits to a running server's runtime under a token of its own and answers once that command is delivered. */
export function runtimeSubmit(runtime: Runtime): (init: CommandInit) => Promise<SubmitOutcome> {
  return (init) =>
    new Promise((resolve) => {
      const token = nextToken--;
      const reader = new DeliveredEvents();
      const off = runtime.onDelivery((seq, t, events, from, to, time) => {
        if (t !== token) return;
        off();
        const r = reader.set(seq, t, events, from, to, time);
        let out: SubmitOutcome = { ok: true };
        while (r.next()) if (r.type === EventType.REJECTED) out = { ok: false, reason: Rejected.reason(r.data, r.at) };
        resolve(out);
      });
      runtime.submit(makeCommand(init), token);
    });
}
