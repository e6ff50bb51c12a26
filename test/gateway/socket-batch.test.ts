import { describe, expect, test } from "bun:test";
import { type HeldFrames, SocketBatch } from "../../gateway/ws/socket-batch.ts";

class Holder implements HeldFrames {
  flushes = 0;
  flushHeld(): void {
    this.flushes++;
  }
}

describe("SocketBatch", () => {
  test("held frames go out once per holder at the end of the task, and the batch closes", async () => {
    const batch = new SocketBatch();
    const a = new Holder();
    const b = new Holder();
    batch.begin();
    batch.begin(); // a second listener opening the same batch changes nothing
    expect(batch.open).toBe(true);
    batch.add(a);
    batch.add(b);
    expect(a.flushes, "nothing is written while the task runs").toBe(0);
    await Promise.resolve();
    expect([a.flushes, b.flushes]).toEqual([1, 1]);
    expect(batch.open).toBe(false);
    await Promise.resolve();
    expect([a.flushes, b.flushes], "a flushed holder is not flushed again").toEqual([1, 1]);
  });

  test("flush sends at once (a door closing its sessions) and the queued end-of-task flush finds nothing", async () => {
    const batch = new SocketBatch();
    const a = new Holder();
    batch.begin();
    batch.add(a);
    batch.flush();
    expect(a.flushes).toBe(1);
    expect(batch.open).toBe(false);
    await Promise.resolve();
    expect(a.flushes).toBe(1);
  });

  test("two doors' batches are independent", async () => {
    const one = new SocketBatch();
    const two = new SocketBatch();
    one.begin();
    expect(two.open, "opening one door's batch leaves another's closed").toBe(false);
    await Promise.resolve();
    expect(one.open).toBe(false);
  });
});
