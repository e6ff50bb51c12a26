/**
 * actors/journal/journal-follower.ts hands its consumer each applied command's events through the
 * delivered-batch reader (actors/delivered-events.ts): the same events, in the same order, as the
 * engine produced when it ran the command, so a history writer or a standby can follow the journal.
 */
import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig, seedCommands } from "../../app/config.ts";
import { type DeliveredEvents } from "../../actors/delivered-events.ts";
import { JournalFollower } from "../../actors/journal/journal-follower.ts";
import { Journal } from "../../actors/journal/journal.ts";
import { COMMAND_SLOT_BYTES, encodeCommand } from "../../actors/layout/schema.ts";
import { paths } from "../../actors/recovery.ts";
import { LoadStream } from "../../cli/demo-load.ts";
import { Command } from "../../engine/commands.ts";
import { EVENT_WIDTH, EventBuffer, EventType, Trade } from "../../engine/events.ts";
import { Exchange } from "../../engine/exchange.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const config = loadConfig(path.join(import.meta.dir, "../../config/demo.json"));
const N = 1500;

function commands(): Command[] {
  const seeds = seedCommands(config);
  const accounts = (config.accounts ?? []).map((a) => a.id);
  const load = new LoadStream(config.exchange, accounts, 11, seeds.length + 1);
  const cmds = [...seeds];
  while (cmds.length < N) cmds.push(load.next(new Command()));
  cmds.forEach((c, i) => (c.time = i + 1));
  return cmds;
}

/** A journal of `cmds` (seq i + 1), and each command's events as the engine wrote them. */
function journal(cmds: Command[]): { dir: string; events: number[][] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bourse-follower-"));
  dirs.push(dir);
  const j = Journal.open({ dir: paths(dir).journal, fsync: false });
  const ex = new Exchange(config.exchange);
  const out = new EventBuffer();
  const events: number[][] = [];
  cmds.forEach((c, i) => {
    const bytes = new Uint8Array(COMMAND_SLOT_BYTES);
    encodeCommand(c, i + 1, new DataView(bytes.buffer), 0);
    j.append(i + 1, bytes);
    out.reset();
    ex.execute(c, out);
    events.push(Array.from(out.data.subarray(0, out.count * EVENT_WIDTH)));
  });
  j.commit();
  j.close();
  return { dir, events };
}

/** The batch's events, record after record, read with the reader's cursor. */
function read(r: DeliveredEvents): number[] {
  const got: number[] = [];
  while (r.next()) for (let k = 0; k < EVENT_WIDTH; k++) got.push(r.data[r.at + k]!);
  return got;
}

describe("JournalFollower", () => {
  test("hands each applied command's events, as the engine produced them, with its seq and time", () => {
    const cmds = commands();
    const { dir, events } = journal(cmds);
    const f = JournalFollower.open({ dataDir: dir, config: config.exchange });
    const seen: number[][] = [];
    const seqs: number[] = [];
    let trades = 0;
    f.advance(N, (seq, time, batch) => {
      expect(batch.seq).toBe(seq);
      expect(batch.time).toBe(time);
      expect(time).toBe(seq);
      seqs.push(seq);
      seen.push(read(batch));
      // Named readers work on the follower's batch as on a delivery's.
      batch.rewind();
      while (batch.next()) if (batch.type === EventType.TRADE && Trade.qty(batch.data, batch.at) > 0) trades++;
    });
    f.close();
    expect(seqs).toEqual(cmds.map((_, i) => i + 1));
    expect(seen).toEqual(events);
    expect(trades).toBeGreaterThan(0);
  });

  test("a consumer of (seq, time) alone still works, and returning false stops after that command", () => {
    const cmds = commands();
    const { dir } = journal(cmds);
    const f = JournalFollower.open({ dataDir: dir, config: config.exchange });
    const seqs: number[] = [];
    expect(f.advance(N, (seq) => seqs.push(seq) < 10)).toBe(10);
    expect(seqs.length).toBe(10);
    expect(f.advance(N, (seq, time) => void seqs.push(seq + 0 * time))).toBe(N);
    expect(seqs).toEqual(cmds.map((_, i) => i + 1));
    f.close();
  });
});
