/**
 * Crash recovery, for real: a child process runs the exchange under a load loop with fsync on and
 * prints "ack <seq>" only once a command is durable; the test kills it with SIGKILL at a random
 * moment, recovers the directory, and checks that every acknowledged command is in the recovered
 * state, that nothing is duplicated, and that the state equals a fresh replay of the journal.
 * Several kill-and-recover cycles run on the same directory, each resuming where the last left.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../app/config.ts";
import { Journal, verifyJournal } from "../../actors/journal/journal.ts";
import { paths, recover, stateHash } from "../../actors/recovery.ts";
import { RecordReader } from "../../actors/layout/command-record.ts";
import { decodeCommand } from "../../actors/layout/schema.ts";
import { Command, CommandType } from "../../engine/commands.ts";
import { EventType, F } from "../../engine/events.ts";

const ROOT = join(import.meta.dir, "../..");
const BUN = process.execPath;
const config = loadConfig(join(ROOT, "config/demo.json"));
const dir = mkdtempSync(join(tmpdir(), "bourse-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the exchange until `acks` commands are durable (plus a random extra moment), then SIGKILLs it. */
async function runAndKill(seed: number, acks: number): Promise<number[]> {
  const child = Bun.spawn([BUN, join(ROOT, "bin/bourse.ts"), "start", "--data", dir, "--orders=-1", "--ack-log", "--seed", String(seed), "--snapshot-every", "700"], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const acked: number[] = [];
  const decoder = new TextDecoder();
  let pending = "";
  const reader = child.stdout.getReader();
  try {
    while (acked.length < acks) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) if (line.startsWith("ack ")) acked.push(Number(line.slice(4)));
    }
  } finally {
    child.kill("SIGKILL");
    reader.releaseLock();
  }
  await child.exited;
  expect(acked.length, `the child acknowledged commands before it was killed; stderr: ${await new Response(child.stderr).text()}`).toBeGreaterThan(0);
  return acked;
}

/** Every NEW_ORDER's (account, clientOrderId) in the journal, by sequence number. */
function journaledOrders(): Map<number, string> {
  const journal = Journal.open({ dir: paths(dir).journal, readOnly: true });
  const cmd = new Command();
  const reader = new RecordReader();
  const orders = new Map<number, string>();
  try {
    for (const rec of journal.read(1)) {
      const view = reader.slot(rec.payload, rec.seq);
      decodeCommand(view, reader.offset, cmd);
      if (cmd.type === CommandType.NEW_ORDER) orders.set(rec.seq, `${cmd.account}/${cmd.clientOrderId}`);
    }
  } finally {
    journal.close();
  }
  return orders;
}

test(
  "SIGKILL at random moments loses no acknowledged command and duplicates nothing",
  async () => {
    let everAcked = 0;
    for (let cycle = 1; cycle <= 4; cycle++) {
      const acked = await runAndKill(cycle, 300 + Math.floor(Math.random() * 2500));
      const maxAcked = Math.max(...acked);
      everAcked = Math.max(everAcked, maxAcked);

      // The journal is whole up to a possibly torn tail, which recovery cuts.
      const v = verifyJournal(paths(dir).journal);
      expect(v.problem?.kind, `cycle ${cycle}: journal corrupt: ${JSON.stringify(v.problem)}`).not.toBe("corrupt");

      const recovered = recover({ dataDir: dir, config: config.exchange, readOnly: true });
      expect(recovered.seq, `cycle ${cycle}: recovered seq covers every acknowledged command`).toBeGreaterThanOrEqual(everAcked);

      // Snapshot + replay equals a replay of the whole journal from the start; that replay also
      // tells which acknowledged orders risk accepted (a rejected one changes nothing).
      const accepted = new Set<number>();
      const fresh = recover({
        dataDir: dir,
        config: config.exchange,
        readOnly: true,
        ignoreSnapshots: true,
        onEvents: (seq, events) => {
          for (let i = 0; i < events.count; i++) if (events.get(i, F.TYPE) === EventType.ACCEPTED) accepted.add(seq);
        },
      });
      expect(fresh.seq).toBe(recovered.seq);
      expect(stateHash(recovered.exchange), `cycle ${cycle}: state from snapshot ${recovered.snapshotSeq} differs from a full replay`).toBe(stateHash(fresh.exchange));

      // Client order ids appear once each; every acknowledged, accepted order is in the state.
      const orders = journaledOrders();
      const ids = [...orders.values()];
      expect(new Set(ids).size, `cycle ${cycle}: a client order id was journaled twice`).toBe(ids.length);
      let checked = 0;
      for (const seq of acked) {
        const key = orders.get(seq);
        if (!key || !accepted.has(seq)) continue;
        const [account, clientId] = key.split("/");
        expect(recovered.exchange.byClientId(Number(account), clientId!), `cycle ${cycle}: acknowledged order at seq ${seq} (${key}) missing after recovery`).toBeDefined();
        checked++;
      }
      expect(checked, `cycle ${cycle}: some acknowledged orders were accepted and checked`).toBeGreaterThan(0);
    }
  },
  120_000,
);
