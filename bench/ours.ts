/**
 * Drives our MatchingEngine over a pre-built Stream. Every loop reuses one Command and one
 * EventBuffer: per op it copies a handful of numbers out of the stream's typed arrays, so the
 * only allocation in a timed loop is whatever the engine itself does.
 */
import { Command, Side, StpMode } from "../engine/commands.ts";
import { EventBuffer, EventType, F } from "../engine/events.ts";
import { MatchingEngine } from "../engine/matching.ts";
import { type Stream, SYMBOL } from "./streams.ts";

/**
 * Engine time of op i (µs, as engine/commands.ts): TIME_BASE + i. Only needs to increase (nothing
 * in the streams expires); small, and far below 2^53, so that +1 µs is exact in a double.
 */
export const TIME_BASE = 1_000_000_000_000;

export function newEngine(): MatchingEngine {
  return new MatchingEngine([{ id: SYMBOL, symbol: "BENCH", tickSize: "1", lotSize: "1", bandBps: 500 }]);
}

/** Loads op i of `s` into the reused command `c` (reset, then the stream's fields). */
export function loadCommand(c: Command, s: Stream, i: number): Command {
  c.reset();
  c.type = s.cmdType[i]!;
  c.time = TIME_BASE + i;
  c.orderId = s.orderId[i]!;
  c.account = s.account[i]!;
  c.symbol = SYMBOL;
  c.side = s.side[i]!;
  c.orderType = s.orderType[i]!;
  c.tif = s.tif[i]!;
  c.price = s.price[i]!;
  c.qty = s.qty[i]!;
  c.stp = StpMode.NONE;
  return c;
}

export class OursRunner {
  readonly cmd = new Command();
  readonly out = new EventBuffer();

  /** Loads op i into the reused command (reset, then the stream's fields). */
  load(s: Stream, i: number): Command {
    return loadCommand(this.cmd, s, i);
  }

  /** Runs ops [from, to) back to back. Returns the number of events written (a checksum). */
  run(eng: MatchingEngine, s: Stream, from: number, to: number): number {
    const out = this.out;
    let events = 0;
    for (let i = from; i < to; i++) {
      const c = this.load(s, i);
      out.reset();
      eng.execute(c, out);
      events += out.count;
    }
    return events;
  }

  /** Runs ops [from, to), timing each one; writes durations (ns) to lat[i - from]. */
  runTimed(eng: MatchingEngine, s: Stream, from: number, to: number, lat: Float64Array): void {
    const out = this.out;
    const now = Bun.nanoseconds;
    for (let i = from; i < to; i++) {
      const c = this.load(s, i);
      out.reset();
      const t0 = now();
      eng.execute(c, out);
      lat[i - from] = now() - t0;
    }
  }

  /**
   * Open-loop paced run: op k is scheduled at start + k × interval, decided before the run. The
   * loop spins until the scheduled time (never earlier), and latency = completion − scheduled
   * send time, so when the engine falls behind, the queueing delay is counted (no coordinated
   * omission). Returns the time the last op completed, relative to start (ns).
   */
  runPaced(eng: MatchingEngine, s: Stream, from: number, to: number, intervalNs: number, lat: Float64Array): number {
    const out = this.out;
    const now = Bun.nanoseconds;
    const start = now() + 1_000_000;
    let done = start;
    for (let i = from; i < to; i++) {
      const sched = start + (i - from) * intervalNs;
      while (now() < sched) {
        /* spin */
      }
      const c = this.load(s, i);
      out.reset();
      eng.execute(c, out);
      done = now();
      lat[i - from] = done - sched;
    }
    return done - start;
  }

  /** Same loop as `run`, but tallies events by type (verification, never timed). */
  runCounting(eng: MatchingEngine, s: Stream, from: number, to: number, tally: Float64Array): void {
    const out = this.out;
    for (let i = from; i < to; i++) {
      const c = this.load(s, i);
      out.reset();
      eng.execute(c, out);
      for (let e = 0; e < out.count; e++) tally[out.get(e, F.TYPE)]!++;
    }
  }
}

export interface OursCheck {
  ok: boolean;
  problems: string[];
  rejected: number;
  trades: number;
  events: number;
}

/**
 * Runs the whole stream once on a fresh engine and checks it against the generator's model: no
 * rejects (so every cancel and move found its order), the same number of trades, and the same
 * resting book at the end.
 */
export function verifyOurs(s: Stream): OursCheck {
  const eng = newEngine();
  const r = new OursRunner();
  const tally = new Float64Array(16);
  r.runCounting(eng, s, 0, s.length, tally);
  const f = s.stats.final;
  const problems: string[] = [];
  const bids = eng.depth(SYMBOL, Side.BUY);
  const asks = eng.depth(SYMBOL, Side.SELL);
  const vol = (ls: { qty: number }[]) => ls.reduce((a, l) => a + l.qty, 0);
  const rejected = tally[EventType.REJECTED]!;
  const trades = tally[EventType.TRADE]!;
  if (rejected !== 0) problems.push(`${rejected} commands rejected`);
  if (trades !== f.trades) problems.push(`trades ${trades} ≠ model ${f.trades}`);
  if (eng.openOrderCount !== f.orders) problems.push(`open orders ${eng.openOrderCount} ≠ model ${f.orders}`);
  if (bids.length !== f.bidLevels || asks.length !== f.askLevels) problems.push(`levels ${bids.length}/${asks.length} ≠ model ${f.bidLevels}/${f.askLevels}`);
  if (vol(bids) !== f.bidVolume || vol(asks) !== f.askVolume) problems.push(`volume ${vol(bids)}/${vol(asks)} ≠ model ${f.bidVolume}/${f.askVolume}`);
  let events = 0;
  for (const c of tally) events += c;
  return { ok: problems.length === 0, problems, rejected, trades, events };
}
