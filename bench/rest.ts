/**
 * bench/rest.ts — the REST door (docs/rest.md) against a raw Bun.serve handler, and its order
 * entry against the WebSocket door's, on the same exchange in the same run (issue 16, Benchmark).
 *
 *   npm run bench:rest                          # ~45 s
 *   npx bun bench/rest.ts --seconds 5 --rounds 3 --post-seconds 5 --json
 *
 * Servers, each in a child process (bench/rest-server.ts) so that the load generator (autocannon,
 * in this process) and the server never share a thread:
 *   bourse  `serve()` on a fresh data directory, fsync on, the demo config with its rate limits
 *           lifted; set up as a client would (bench/rest-setup.ts): alice signed in with password
 *           and TOTP (a bearer token), `--resting` 1-lot orders a side resting for alice (her key).
 *   raw     a raw Bun.serve handler answering `Response.json` of the very JSON the exchange
 *           answered for each path (captured after the setup): same body sizes, no framework,
 *           no authentication, no engine read.
 *
 * GETs, each against both servers one after the other (raw first), same connections and
 * duration, after a warm-up run: /time (public, trivial: the framework's floor), the BTC-USD book
 * (public), alice's balances and open orders with her bearer token and with her API key (every
 * request signed afresh, its query made unique since a signature is accepted once). The raw
 * handler gets exactly the same requests (the generator's work is the same on both). Figures per
 * case: responses/s, p50/p99/max, and each process's CPU time per response; medians of the rounds.
 *
 * Orders, on the same exchange: place + cancel pairs (POST /api/v1/orders, then DELETE
 * /api/v1/orders/{id}; non-crossing 1-lot limits with unique client order ids, signed with the
 * account's key) against the WebSocket door's NEW_ORDER → ACK and CANCEL → CANCELLED
 * (bench/ws-drive.ts, the same resting stream with client order ids, logged in with the same
 * key), both closed loops with one request outstanding per connection: `--post-connections`
 * connections (bob's account), then one connection (carol's: one request at a time, the floor).
 * Both doors' answers wait for the journal's fdatasync: the same durable path.
 *
 * Progress and tables go to stderr; with --json the last line of stdout is one JSON object. Exit
 * code 1 when any answer was not the expected status (200, 201 for a place).
 */
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { REST_BASE } from "../gateway/rest/route-module.ts";
import { signRequest } from "../protocol/rest-signature.ts";
import { log, parseFlags } from "./kit/args.ts";
import { Child } from "./kit/child.ts";
import { median } from "./kit/histogram.ts";
import { hostBusy, hostTicks } from "./kit/report.ts";
import { makeClock, parseWsUrl } from "./kit/ws-wire.ts";
import { type Credentials, drive, getRequest, type LoadRun, placeCancel, restingOrders, unexpected } from "./rest-load.ts";
import { type GetCase, type GetResult, type OrderResult, reportJson, reportTables } from "./rest-report.ts";
import type { InProcessCase } from "./rest-server.ts";
import { bodyOf, restOrders, signIn } from "./rest-setup.ts";
import { Driver, RestingFlow, type RunResult } from "./ws-drive.ts";
import { keyOf } from "./ws-options.ts";

const USAGE = "usage: npx bun bench/rest.ts [--seconds S] [--warmup S] [--rounds R] [--connections C] [--in-process N] [--post-seconds S] [--post-connections C] [--resting N] [--no-signed] [--no-orders] [--dir BASE] [--profile DIR] [--json]";
export interface RestBenchOptions {
  seconds: number;
  warmup: number;
  rounds: number;
  connections: number;
  inProcess: number;
  postSeconds: number;
  postConnections: number;
  resting: number;
  signed: boolean;
  orders: boolean;
  dir: string;
  profile: string | null;
  json: boolean;
}
const o: RestBenchOptions = { seconds: 1.5, warmup: 0.5, rounds: 1, connections: 50, inProcess: 5_000, postSeconds: 2, postConnections: 8, resting: 5, signed: true, orders: true, dir: tmpdir(), profile: null, json: false };
parseFlags(process.argv.slice(2), USAGE, {
  "--seconds": (v) => (o.seconds = v.num()),
  "--warmup": (v) => (o.warmup = v.num()),
  "--rounds": (v) => (o.rounds = Math.floor(v.num())),
  "--connections": (v) => (o.connections = Math.floor(v.num())),
  "--in-process": (v) => (o.inProcess = Math.floor(v.num())),
  "--post-seconds": (v) => (o.postSeconds = v.num()),
  "--post-connections": (v) => (o.postConnections = Math.floor(v.num())),
  "--resting": (v) => (o.resting = Math.floor(v.num())),
  "--no-signed": () => (o.signed = false),
  "--no-orders": () => (o.orders = false),
  "--dir": (v) => (o.dir = v.str()),
  "--profile": (v) => (o.profile = v.str()),
  "--json": () => (o.json = true),
});
// Fractions of a second are fine (the smoke test runs tiny ones); zero is not, but for --warmup.
for (const [flag, v] of [["--seconds", o.seconds], ["--post-seconds", o.postSeconds], ["--rounds", o.rounds], ["--connections", o.connections], ["--post-connections", o.postConnections], ["--resting", o.resting]] as const) {
  if (!(v > 0)) throw new Error(`${flag} must be positive, got ${v}`);
}

// The demo's BTC-USD (config/demo.json): reference price in ticks, tick 0.5, lot 0.001.
const BTC = { symbol: "BTC-USD", ref: 60_000, tick: 0.5, lot: "0.001" };
const ALICE = keyOf("alice");

class RestServer extends Child {
  url = "";
  dataDir: string | null = null;
  static async start(kind: "bourse" | "raw"): Promise<RestServer> {
    // Bun writes the profile when the child exits, which it does on "stop".
    const prof = o.profile && kind === "bourse" ? ["--cpu-prof-md", `--cpu-prof-dir=${o.profile}`, `--cpu-prof-name=rest-${kind}-${Date.now()}.md`] : [];
    const s = new RestServer([...prof, join(import.meta.dir, "rest-server.ts"), "--kind", kind, "--dir", o.dir], `${kind} server`);
    const ready = await s.next("ready", 60_000);
    s.url = String(ready.url);
    s.dataDir = typeof ready.dataDir === "string" ? ready.dataDir : null;
    return s;
  }

  /** Stops the server; its data directory goes even if it had to be killed (Child.stop, after 10 s). */
  override async stop(): Promise<void> {
    await super.stop();
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

const failures: string[] = [];
function check(what: string, run: LoadRun, ok: readonly string[]): void {
  const bad = unexpected(run, ok);
  if (bad) failures.push(`${what}: ${bad}`);
}

/** One GET case on one server: a warm-up run, then the measured one. */
async function measureGet(server: RestServer, c: GetCase, creds: Credentials): Promise<LoadRun> {
  const requests = () => [getRequest(c.path, creds)];
  if (o.warmup > 0) await drive({ url: server.url, server, connections: o.connections, seconds: o.warmup, requests: requests() });
  const h0 = hostTicks();
  const run = await drive({ url: server.url, server, connections: o.connections, seconds: o.seconds, requests: requests() });
  run.hostBusy = hostBusy(h0, hostTicks());
  return run;
}

/** Place + cancel over REST on `connections` connections with `key`. */
async function restOrderRun(bourse: RestServer, key: { id: string; secret: string }, connections: number, tag: string): Promise<{ run: LoadRun; problems: string[]; perSync: number }> {
  const problems: string[] = [];
  const pairs = (prefix: string) => placeCancel(REST_BASE, { key }, restingOrders({ ...BTC, canSell: true, prefix }), problems);
  if (o.warmup > 0) await drive({ url: bourse.url, server: bourse, connections, seconds: o.warmup, requests: pairs(`${tag}w`), kinds: 2 });
  const h0 = hostTicks();
  const j0 = await journal(bourse);
  const run = await drive({ url: bourse.url, server: bourse, connections, seconds: o.postSeconds, requests: pairs(`${tag}m`), kinds: 2 });
  const perSync = commandsPerSync(j0, await journal(bourse));
  run.hostBusy = hostBusy(h0, hostTicks());
  // A run stops between a place and its cancel: clear what is left, for the next run.
  const path = `${REST_BASE}/orders`;
  const res = await fetch(`${bourse.url}${path}`, { method: "DELETE", headers: signRequest({ keyId: key.id, secret: key.secret, method: "DELETE", path }) as unknown as Record<string, string> });
  if (res.status !== 200) problems.push(`mass cancel → ${res.status} ${await res.text()}`);
  return { run, problems, perSync };
}

/** The exchange's journal: last seq and fdatasyncs so far. */
async function journal(bourse: RestServer): Promise<{ seq: number; syncs: number }> {
  const m = await bourse.ask({ kind: "journal" }, "journal");
  return { seq: m.seq as number, syncs: m.syncs as number };
}

/** Commands journaled per fdatasync between two readings: how many requests shared a group commit. */
const commandsPerSync = (a: { seq: number; syncs: number }, b: { seq: number; syncs: number }) => (b.syncs > a.syncs ? (b.seq - a.seq) / (b.syncs - a.syncs) : NaN);

/** The WebSocket door on the same exchange: `connections` connections logged in with `key`, one request outstanding each. */
async function wsOrderRun(bourse: RestServer, key: { id: string; secret: string }, connections: number, clock: () => number): Promise<{ run: RunResult; serverUsPerAnswer: number; hostBusy: number; perSync: number }> {
  const driver = new Driver(clock, connections);
  try {
    await driver.open(parseWsUrl(`${bourse.url.replace(/^http/, "ws")}/ws`));
    await driver.login(Array.from({ length: connections }, () => key));
    const flow = new RestingFlow(BTC.ref, new Array(connections).fill(true), true, 1);
    if (o.warmup > 0) {
      await driver.runClosed(flow, 1, o.warmup, 0);
      await driver.cleanup();
    }
    const cpu0 = await bourse.ask({ kind: "cpu" }, "cpu");
    const h0 = hostTicks();
    const j0 = await journal(bourse);
    const run = await driver.runClosed(flow, 1, o.postSeconds, 0);
    const perSync = commandsPerSync(j0, await journal(bourse));
    const host = hostBusy(h0, hostTicks());
    const cpu1 = await bourse.ask({ kind: "cpu" }, "cpu");
    await driver.cleanup();
    const us = (cpu1.user as number) + (cpu1.system as number) - (cpu0.user as number) - (cpu0.system as number);
    return { run, serverUsPerAnswer: us / Math.max(1, run.answered), hostBusy: host, perSync };
  } finally {
    driver.close();
  }
}

function medianRun(runs: LoadRun[]): LoadRun {
  if (runs.length === 1) return runs[0]!;
  // The round whose rate is the median, with the medians of each figure beside it.
  const m = [...runs].sort((a, b) => a.perSecond - b.perSecond)[runs.length >> 1]!;
  return {
    ...m,
    perSecond: median(runs.map((r) => r.perSecond)),
    serverUsPerResponse: median(runs.map((r) => r.serverUsPerResponse)),
    generatorUsPerResponse: median(runs.map((r) => r.generatorUsPerResponse)),
    latency: { ...m.latency, p50: median(runs.map((r) => r.latency.p50)), p99: median(runs.map((r) => r.latency.p99)), max: median(runs.map((r) => r.latency.max)) },
  };
}

async function main(): Promise<void> {
  log(`bench/rest.ts: Bun ${Bun.version}, ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(2)).join(" ")}; ${o.connections} connections, ${o.seconds} s a run (+${o.warmup} s warm-up), ${o.rounds} round(s)`);
  const wall0 = performance.now();
  const clock = makeClock(performance.timeOrigin);
  const bourse = await RestServer.start("bourse");
  const raw = await RestServer.start("raw");
  try {
    log(`exchange at ${bourse.url}; signing alice in (password + TOTP enrolment), ${o.resting} resting orders a side`);
    const token = await signIn(bourse.url, "alice", "alice-demo-password");
    await restOrders(bourse.url, ALICE, { ...BTC, perSide: o.resting });
    const cases: GetCase[] = [
      { name: "time (public, trivial)", path: `${REST_BASE}/time`, auth: "public" },
      { name: "book (public)", path: `${REST_BASE}/instruments/BTC-USD/book`, auth: "public" },
      { name: "balances, bearer", path: `${REST_BASE}/balances`, auth: "bearer" },
      { name: "open orders, bearer", path: `${REST_BASE}/orders`, auth: "bearer" },
      ...(o.signed
        ? ([
            { name: "balances, signed", path: `${REST_BASE}/balances`, auth: "signed" },
            { name: "open orders, signed", path: `${REST_BASE}/orders`, auth: "signed" },
          ] as const)
        : []),
    ];
    const bodies: Record<string, string> = {};
    for (const c of cases) {
      bodies[c.path] ??= await bodyOf(bourse.url, c.path, token);
      c.bytes = bodies[c.path]!.length;
    }
    await raw.ask({ kind: "bodies", bodies }, "bodies");

    const credsOf = (c: GetCase): Credentials => (c.auth === "bearer" ? { bearer: token } : c.auth === "signed" ? { key: ALICE } : {});
    const runs = cases.map(() => ({ raw: [] as LoadRun[], bourse: [] as LoadRun[] }));
    for (let round = 0; round < o.rounds; round++) {
      for (const [i, c] of cases.entries()) {
        for (const [name, server] of [["raw", raw], ["bourse", bourse]] as const) {
          const run = await measureGet(server, c, credsOf(c));
          check(`GET ${c.name} (${name})`, run, ["200"]);
          runs[i]![name].push(run);
          log(`  ${c.name.padEnd(22)} ${name.padEnd(6)} ${Math.round(run.perSecond).toString().padStart(7)}/s  p50 ${(run.latency.p50 / 1e6).toFixed(2)} p99 ${(run.latency.p99 / 1e6).toFixed(2)} max ${(run.latency.max / 1e6).toFixed(1)} ms  server ${run.serverUsPerResponse.toFixed(1)} µs/resp  generator ${run.generatorUsPerResponse.toFixed(1)} µs/resp`);
        }
      }
    }
    const gets: GetResult[] = cases.map((c, i) => ({ case: c, raw: medianRun(runs[i]!.raw), bourse: medianRun(runs[i]!.bourse) }));
    if (o.inProcess > 0) {
      log(`  in process: each case ${o.inProcess} times through each server's handler, no sockets`);
      const inproc = cases.map((c): InProcessCase => ({ path: c.path, ...(c.auth === "bearer" ? { bearer: token } : c.auth === "signed" ? { key: ALICE } : {}) }));
      const r = await raw.ask({ kind: "inproc", cases: inproc, n: o.inProcess }, "inproc", 120_000);
      const b = await bourse.ask({ kind: "inproc", cases: inproc, n: o.inProcess }, "inproc", 120_000);
      gets.forEach((g, i) => (g.inProcessUs = { raw: (r.us as number[])[i]!, bourse: (b.us as number[])[i]! }));
    }

    const orders: OrderResult[] = [];
    if (o.orders) {
      for (const [connections, account] of [[o.postConnections, "bob"], [1, "carol"]] as const) {
        const key = keyOf(account);
        log(`  orders: ${connections} connection(s), ${account}'s key: REST place + cancel`);
        const rest = await restOrderRun(bourse, key, connections, `${account}${connections}`);
        for (const p of rest.problems) failures.push(`REST orders (${connections} conn): ${p}`);
        check(`REST orders (${connections} conn)`, rest.run, ["200", "201"]);
        log(`  orders: ${connections} connection(s), ${account}'s key: WebSocket NEW_ORDER + CANCEL`);
        const ws = await wsOrderRun(bourse, key, connections, clock);
        if (ws.run.rejects + ws.run.errors > 0) failures.push(`WebSocket orders (${connections} conn): ${ws.run.rejects} REJECT, ${ws.run.errors} ERROR ${JSON.stringify(ws.run.reasons)}`);
        orders.push({ connections, account, rest: rest.run, ws: ws.run, wsServerUsPerAnswer: ws.serverUsPerAnswer, wsHostBusy: ws.hostBusy, restPerSync: rest.perSync, wsPerSync: ws.perSync });
      }
    }

    const wallS = (performance.now() - wall0) / 1000;
    log("");
    log(reportTables(o, gets, orders));
    for (const f of failures) log(`FAILED ${f}`);
    log(`wall time ${wallS.toFixed(1)} s, load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    if (o.json) console.log(JSON.stringify(reportJson(o, gets, orders, failures, wallS)));
  } finally {
    await Promise.all([bourse.stop(), raw.stop()]);
  }
  if (failures.length > 0) process.exitCode = 1;
}

await main();
