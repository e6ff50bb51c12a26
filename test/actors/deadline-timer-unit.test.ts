import { memoryLogger } from "../../log/memory.ts";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { wallMicros } from "../../actors/clock.ts";
import { DEADLINE_TOKEN, DeadlineTimer } from "../../actors/deadline-timer.ts";
import type { Delivery, Sequencer } from "../../actors/sequencer.ts";
import { Command, CommandType } from "../../engine/commands.ts";
import { EventBuffer } from "../../engine/events.ts";

// Waits below are hang guards (a missing event fails with its name), not latency bounds.
setDefaultTimeout(30_000);

/** A sequencer that records submits and delivers only when the test says so. */
class FakeSequencer implements Sequencer {
  readonly submits: { type: number; symbol: number; token: number; at: number }[] = [];
  private readonly listeners: Delivery[] = [];
  private wake: (() => void) | null = null;
  lastSeq = 0;
  stopped = false;

  submit(cmd: Command, token = 0): void {
    this.submits.push({ type: cmd.type, symbol: cmd.symbol, token, at: wallMicros() });
    this.wake?.();
  }

  onStop(): () => void {
    return () => {};
  }

  onDelivery(fn: Delivery): () => void {
    this.listeners.push(fn);
    return () => this.listeners.splice(this.listeners.indexOf(fn), 1);
  }

  /** Resolves once `n` commands have been submitted, or fails after `ms`. */
  submitted(n: number, ms = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.submits.length} submits, waited for ${n}`)), ms);
      const check = () => {
        if (this.submits.length < n) return;
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
      this.wake = check;
      check();
    });
  }

  deliver(token: number, time: number): void {
    for (const l of [...this.listeners]) l(++this.lastSeq, token, new EventBuffer(), 0, 0, time);
  }

  close(): void {}
}

describe("DeadlineTimer", () => {
  test("submits a TICK at (not before) the deadline, then waits for its delivery before acting on the next one", async () => {
    const seq = new FakeSequencer();
    const timer = new DeadlineTimer(seq);
    const due = wallMicros() + 30_000;
    timer.update(due, -1);
    await seq.submitted(1);
    expect(seq.submits[0]!.at).toBeGreaterThanOrEqual(due);
    expect(seq.submits[0]).toMatchObject({ type: CommandType.TICK, token: DEADLINE_TOKEN });
    // A report from before the TICK ran still shows the old deadline: not a reason to send again.
    timer.update(due, -1);
    // After the TICK ran the engine says a session close is due now: that comes once the TICK is delivered.
    timer.update(due + 1, 4);
    await new Promise((r) => setTimeout(r, 20));
    expect(seq.submits).toHaveLength(1);
    seq.deliver(DEADLINE_TOKEN, due);
    await seq.submitted(2);
    expect(seq.submits[1]).toMatchObject({ type: CommandType.END_OF_DAY, symbol: 4, token: DEADLINE_TOKEN });
    timer.close();
  });

  test("no deadline, no submit; a deadline that moves earlier replaces the armed one", async () => {
    const seq = new FakeSequencer();
    const timer = new DeadlineTimer(seq);
    timer.update(Infinity, -1);
    timer.update(wallMicros() + 60_000_000, -1);
    timer.update(wallMicros() + 20_000, -1);
    await seq.submitted(1);
    expect(seq.submits).toHaveLength(1);
    timer.close();
  });

  test("a deadline its own command did not clear is not sent again (no journal flood on an engine bug)", async () => {
    const seq = new FakeSequencer();
    const logged = memoryLogger();
    const timer = new DeadlineTimer(seq, wallMicros, logged.log);
    const due = wallMicros() + 5_000;
    timer.update(due, -1);
    await seq.submitted(1);
    seq.deliver(DEADLINE_TOKEN, due + 10);
    await new Promise((r) => setTimeout(r, 50));
    expect(seq.submits).toHaveLength(1);
    expect(logged.lines().join("\n")).toContain("not resending");
    // A new deadline is served again.
    timer.update(wallMicros() + 5_000, -1);
    await seq.submitted(2);
    timer.close();
  });

  test("close() disarms it: nothing is submitted after", async () => {
    const seq = new FakeSequencer();
    const timer = new DeadlineTimer(seq);
    timer.update(wallMicros() + 20_000, -1);
    timer.close();
    await new Promise((r) => setTimeout(r, 60));
    expect(seq.submits).toHaveLength(0);
  });
});
