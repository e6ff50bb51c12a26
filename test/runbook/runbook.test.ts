/**
 * docs/runbook.md, run: every section's `sh` blocks, in order, on a scratch host
 * (test/runbook/scratch-host.ts), after staging the section's incident, and the outcome checked.
 * A section with shell blocks and no entry here, or an entry for a section that is gone, fails
 * the first test: the runbook cannot hold a command no test runs.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BourseClient } from "../../client/client.ts";
import { ROOT } from "../cli/support.ts";
import { scratchHost, type ScratchHost } from "./scratch-host.ts";

interface Section {
  id: string;
  blocks: string[];
}

/** The runbook's sections (by their `<a id>`) and their `sh` blocks. */
function sections(): Section[] {
  const md = readFileSync(join(ROOT, "docs/runbook.md"), "utf8");
  const out: Section[] = [];
  for (const part of md.split(/^## /m).slice(1)) {
    const id = /<a id="([^"]+)"><\/a>/.exec(part.split("\n")[0]!)?.[1];
    if (!id) throw new Error(`runbook section without an <a id>: ${part.split("\n")[0]}`);
    out.push({ id, blocks: [...part.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!) });
  }
  return out;
}

const SECTIONS = sections();
const CONVENTIONS = SECTIONS.find((s) => s.id === "conventions")!.blocks.join("\n");

/** Runs a section's blocks as one script (variables carry from block to block), after the conventions. */
function runSection(h: ScratchHost, id: string, env: Record<string, string> = {}): string {
  const s = SECTIONS.find((x) => x.id === id);
  if (!s) throw new Error(`no runbook section ${id}`);
  const script = `set -euo pipefail\n${id === "conventions" ? "" : CONVENTIONS}\n${s.blocks.join("\n")}`;
  const r = h.sh(script, env);
  expect({ id, code: r.code, out: r.code === 0 ? "" : r.out }).toEqual({ id, code: 0, out: "" });
  return r.out;
}

function up(h: ScratchHost): void {
  const r = h.sh(`systemctl start bourse && curl -fsS --retry 60 --retry-delay 1 --retry-all-errors "$BOURSE_HTTP/ready"`);
  expect({ code: r.code, out: r.out, log: r.code === 0 ? "" : h.log() }).toMatchObject({ code: 0, log: "" });
}

function down(h: ScratchHost): void {
  expect(h.sh("systemctl stop bourse").code).toBe(0);
}

async function ready(h: ScratchHost): Promise<{ status: number; body: { seq: number; status: string } }> {
  const r = await fetch(`${h.http}/ready`);
  return { status: r.status, body: (await r.json()) as { seq: number; status: string } };
}

const wsUrl = (h: ScratchHost) => `${h.http.replace("http:", "ws:")}/ws`;
const SECRET = (name: string) => `${name}-demo-secret-do-not-use-in-production`;

/** A few resting orders from alice (journaled, so a backup or a restore has something to carry). */
async function trade(h: ScratchHost, n: number, tag: string): Promise<void> {
  const c = await BourseClient.connect(wsUrl(h));
  await c.login("alice-demo", SECRET("alice"));
  for (let i = 0; i < n; i++) await c.placeOrder({ symbol: "ETH-USD", side: "sell", price: String(2100 + i), qty: "0.1", clientOrderId: `${tag}-${i}` });
  c.close();
}

let h: ScratchHost | null = null;
afterEach(() => {
  h?.close();
  h = null;
});

const COVERED = new Set<string>();
function section(id: string, name: string, fn: () => Promise<void> | void): void {
  COVERED.add(id);
  test(`${id}: ${name}`, fn, 120_000);
}

describe("docs/runbook.md", () => {
  test("every section with commands is run here, and every section run here is in the runbook", () => {
    const withCommands = SECTIONS.filter((s) => s.blocks.length > 0).map((s) => s.id);
    expect(withCommands.filter((id) => !COVERED.has(id))).toEqual([]);
    expect([...COVERED].filter((id) => !SECTIONS.some((s) => s.id === id))).toEqual([]);
  });

  section("conventions", "the variables keep what the operator set", () => {
    h = scratchHost();
    runSection(h, "conventions");
  });

  section("start", "checked config, started, ready; the running line says how long recovery took", async () => {
    h = scratchHost();
    const out = runSection(h, "start");
    expect(out).toMatch(/"msg":"running".*"recoveryMs":[\d.]+.*"startMs":\d+/);
    expect((await ready(h)).status).toBe(200);
  });

  section("stop", "a graceful stop: inactive, not failed, a snapshot at the last seq", async () => {
    h = scratchHost();
    up(h);
    await trade(h, 3, "stop");
    const out = runSection(h, "stop");
    expect(out).toContain("inactive (dead)");
    const stopped = /"msg":"stopped".*/.exec(out)![0];
    const seq = /"seq":(\d+)/.exec(stopped)![1];
    expect(stopped).toContain(`"snapshot":${seq}`);
  });

  section("engine-stopped", "after a failed fdatasync (exit 70): the status says failed, the log says why, a start recovers every acknowledged order", async () => {
    h = scratchHost();
    // The seed's syncs, then alice's first order's: the next fdatasync fails.
    const r = h.sh(`systemctl start bourse && curl -fsS --retry 60 --retry-delay 1 --retry-all-errors "$BOURSE_HTTP/ready"`, { BOURSE_TEST_FAIL_FSYNC_AFTER: "3" });
    expect(r.code).toBe(0);
    const c = await BourseClient.connect(wsUrl(h));
    await c.login("alice-demo", SECRET("alice"));
    const kept = await c.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2100", qty: "0.1", clientOrderId: "kept" });
    await c.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2101", qty: "0.1", clientOrderId: "lost" }).catch(() => null);
    c.close();
    expect(h.sh(`while systemctl is-active bourse > /dev/null; do sleep 0.05; done`).code).toBe(0);
    const out = runSection(h, "engine-stopped");
    expect(out).toContain("failed (Result: exit-code, status=70)");
    expect(out).toContain("draining after engine stop");
    const again = await BourseClient.connect(wsUrl(h));
    await again.login("alice-demo", SECRET("alice"));
    expect((await again.orderStatus("ETH-USD", { clientOrderId: "kept" })).orderId).toBe(kept.orderId);
    again.close();
  });

  section("full-disk", "what takes the room, and the history prune, run against a live exchange", () => {
    h = scratchHost();
    up(h);
    const out = runSection(h, "full-disk");
    expect(out).toMatch(/journal/);
    expect(out).toMatch(/prune/i);
  });

  section("history-lag", "history status and readiness", () => {
    h = scratchHost();
    up(h);
    const out = runSection(h, "history-lag");
    expect(out).toMatch(/"status":"ready"/);
    expect(out).toMatch(/history\.db|seq/);
  });

  section("locked-out-user", "a locked user is listed LOCKED, then unlocked", () => {
    h = scratchHost();
    up(h);
    expect(h.sh(`bourse user lock --name alice --data "$BOURSE_DATA" --config "$BOURSE_CONFIG"`).code).toBe(0);
    expect(h.sh(`bourse user list --data "$BOURSE_DATA" --config "$BOURSE_CONFIG"`).out).toMatch(/alice.*LOCKED/);
    const out = runSection(h, "locked-out-user");
    expect(out).toMatch(/user alice unlocked/);
    expect(h.sh(`bourse user list --data "$BOURSE_DATA" --config "$BOURSE_CONFIG"`).out).not.toMatch(/alice.*LOCKED/);
  });

  section("compromised-key", "the key is revoked (its live session closed, a new login refused) and a new one issued", async () => {
    h = scratchHost();
    up(h);
    const live = await BourseClient.connect(wsUrl(h));
    await live.login("alice-demo", SECRET("alice"));
    const out = runSection(h, "compromised-key");
    expect((await live.ended).reason).toMatch(/revoked/);
    expect(out).toMatch(/revoked/);
    expect(out).toMatch(/key \S+ for account 1 \(read,trade\) created\nsecret: \S+/);
    const again = await BourseClient.connect(wsUrl(h));
    expect(await again.login("alice-demo", SECRET("alice")).then(() => "logged in", (e: Error) => e.message)).toMatch(/AUTH_FAILED/);
    again.close();
  });

  section("login-failures", "the refused logins are in the log", async () => {
    h = scratchHost();
    up(h);
    const c = await BourseClient.connect(wsUrl(h));
    await c.login("alice-demo", "not-the-secret-at-all-not-the-secret").catch(() => null);
    c.close();
    const out = runSection(h, "login-failures");
    expect(out).toContain('"msg":"login failed"');
  });

  section("venue-outage", "the venue lines and metrics are looked up (none on an exchange without venues)", () => {
    h = scratchHost();
    up(h);
    runSection(h, "venue-outage");
  });

  section("reconciliation-break", "a bank deposit we never credited: found, credited, resolved as adjusted", () => {
    h = scratchHost();
    up(h);
    down(h);
    const day = new Date().toISOString().slice(0, 10);
    const custody = join(h.dir, "bank.csv");
    writeFileSync(custody, `time,account,currency,amount,type,reference\n${new Date().toISOString()},1,USD,250.00,deposit,BANK-1\n`);
    const out = runSection(h, "reconciliation-break", { DAY: day, CUSTODY_CSV: custody });
    expect(out).toContain("breaks found");
    expect(out).toMatch(/MISSING_IN_OURS|missing/i);
    const again = h.sh(`bourse reconcile --date ${day} --data "$BOURSE_DATA" --config "$BOURSE_CONFIG" --custody ${custody} --out again`);
    expect(again.out).toMatch(/resolved/);
  });

  test("every alert's runbook_url names a section of the runbook", () => {
    const rules = readFileSync(join(ROOT, "ops/prometheus/alerts.yml"), "utf8");
    const anchors = [...rules.matchAll(/runbook_url: "docs\/runbook\.md#([^"]+)"/g)].map((m) => m[1]!);
    expect(anchors.length).toBeGreaterThan(0);
    expect(anchors.filter((a) => !SECTIONS.some((s) => s.id === a))).toEqual([]);
  });

  section("upgrade", "backup, config check, stop, verify with replay, start", async () => {
    h = scratchHost();
    up(h);
    await trade(h, 3, "upgrade");
    const out = runSection(h, "upgrade");
    expect(out).toMatch(/\d+\.\d+\.\d+/);
    expect((await ready(h)).status).toBe(200);
    expect(h.sh(`test -f "$BOURSE_BACKUPS/before-upgrade/manifest.json"`).code).toBe(0);
  });

  section("backup", "an online backup while trading, proved by a restore and a replay", async () => {
    h = scratchHost();
    up(h);
    await trade(h, 5, "backup");
    const out = runSection(h, "backup");
    expect(out).toMatch(/seq \d+/);
    expect((await ready(h)).status).toBe(200);
  });

  section("restore", "the directory lost: restored from the last backup, ready at the backup's seq", async () => {
    h = scratchHost();
    up(h);
    await trade(h, 3, "kept");
    expect(h.sh(`bourse backup --data "$BOURSE_DATA" --config "$BOURSE_CONFIG" --to "$BOURSE_BACKUPS/20261207T000000Z"`).code).toBe(0);
    const atBackup = (await ready(h)).body.seq;
    await trade(h, 2, "lost");
    runSection(h, "restore");
    const r = await ready(h);
    expect(r.status).toBe(200);
    expect(r.body.seq).toBe(atBackup);
    const c = await BourseClient.connect(wsUrl(h));
    await c.login("alice-demo", SECRET("alice"));
    expect((await c.orderStatus("ETH-USD", { clientOrderId: "kept-2" })).clientOrderId).toBe("kept-2");
    expect(await c.orderStatus("ETH-USD", { clientOrderId: "lost-0" }).then(() => "found", () => "unknown")).toBe("unknown");
    c.close();
  });

  section("point-in-time-recovery", "back to a time between two batches: the later batch is gone, the state hash is the one recover showed", async () => {
    h = scratchHost();
    up(h);
    await trade(h, 2, "before-backup");
    expect(h.sh(`bourse backup --data "$BOURSE_DATA" --config "$BOURSE_CONFIG" --to "$BOURSE_BACKUPS/20261207T000000Z"`).code).toBe(0);
    await trade(h, 2, "kept");
    // The engine time of the last kept order (µs since the epoch, which recover and restore take as a time).
    const c0 = await BourseClient.connect(wsUrl(h));
    await c0.login("alice-demo", SECRET("alice"));
    const last = await c0.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2190", qty: "0.1", clientOrderId: "kept-last" });
    c0.close();
    await trade(h, 2, "undone");
    const out = runSection(h, "point-in-time-recovery", { PITR_TIME: String((last as { time: number }).time) });
    expect(out).toMatch(/hash/i);
    const c = await BourseClient.connect(wsUrl(h));
    await c.login("alice-demo", SECRET("alice"));
    expect((await c.orderStatus("ETH-USD", { clientOrderId: "kept-last" })).clientOrderId).toBe("kept-last");
    expect(await c.orderStatus("ETH-USD", { clientOrderId: "undone-0" }).then(() => "found", () => "unknown")).toBe("unknown");
    c.close();
  });

  section("move-to-a-new-host", "stopped, backed up, copied, restored and verified on the new host's disk", async () => {
    h = scratchHost();
    up(h);
    await trade(h, 3, "move");
    const out = runSection(h, "move-to-a-new-host");
    expect(out).toMatch(/restored .* to seq \d+/);
    expect(h.sh(`test -f "$NEW_HOST/var/lib/bourse/master.key" && ls "$NEW_HOST/var/lib/bourse/journal" | grep -q seg`).code).toBe(0);
  });

  section("corrupt-journal", "a damaged record: the start refuses, the backup plus the journal up to the last good record comes back", async () => {
    h = scratchHost();
    up(h);
    await trade(h, 2, "before-backup");
    expect(h.sh(`bourse backup --data "$BOURSE_DATA" --config "$BOURSE_CONFIG" --to "$BOURSE_BACKUPS/20261207T000000Z"`).code).toBe(0);
    await trade(h, 6, "after");
    down(h);
    // Damage one record a few records before the end of the last segment: valid records follow it.
    const seg = h.sh(`ls "$BOURSE_DATA"/journal/*.seg | tail -1`).out.trim();
    const bytes = new Uint8Array(await Bun.file(seg).arrayBuffer());
    bytes[bytes.length - 500]! ^= 0xff;
    await Bun.write(seg, bytes);
    const start = h.sh(`systemctl start bourse; while systemctl is-active bourse > /dev/null; do sleep 0.05; done; systemctl status bourse`);
    expect(start.out).toContain("failed");
    expect(h.log()).toMatch(/corrupt/);
    const verify = h.sh(`bourse journal verify --data "$BOURSE_DATA" --config "$BOURSE_CONFIG"`).out;
    // What the runbook tells the operator to read: the records verify counted before the damage.
    const lastGood = /records, seq \d+–(\d+)\nCORRUPT:/.exec(verify);
    expect({ verify, found: lastGood !== null }).toMatchObject({ found: true });
    const seq = Number(lastGood![1]);
    runSection(h, "corrupt-journal", { LAST_GOOD_SEQ: String(seq) });
    const r = await ready(h);
    expect(r.status).toBe(200);
    expect(r.body.seq).toBe(seq);
  });

  section("fsync-slow", "the fsync and batch figures are read off /metrics", async () => {
    h = scratchHost();
    up(h);
    await trade(h, 2, "fsync");
    const out = runSection(h, "fsync-slow");
    expect(out).toMatch(/^bourse_journal_fsync_seconds_count \d+/m);
  });

  section("stuck-subscriber", "the cut counter and the sessions are read off /metrics", () => {
    h = scratchHost();
    up(h);
    const out = runSection(h, "stuck-subscriber");
    expect(out).toMatch(/^bourse_slow_consumer_cuts_total/m);
  });
});

