/**
 * bench/login.ts, end to end: order → ACK latency on the WebSocket door while REST sign-ins storm
 * the same exchange (issue 15: argon2id must not block the sockets' thread).
 *
 * The exchange runs in a child process (bench/login-server.ts: `serve()`, fsync on, fresh data
 * directory, the demo's users). This process is the load: 8 WebSocket connections (the demo's 4 API
 * keys) sending resting 1-lot limit orders that never cross and cancels of them, 1:1, open loop at
 * `rate` requests/s (bench/ws-drive.ts, RestingFlow; latency = the answer's socket read − the
 * request's scheduled send), and `clients` sign-in clients, each a closed loop of
 * `POST /api/v1/auth/login {user, password}` with no pause (a refusal is tried again at once: the
 * worst case for the door; with `backoff`, a 429 waits its Retry-After first), half with the user's right password (no TOTP yet: an enrolment ticket,
 * 200) and half with a wrong one (401); both cost one full argon2id verify.
 *
 * Phases, each `seconds` long, one server after the other:
 *   bounded   (the exchange's own PasswordHasher: 1 at once, 32 waiting, then 429 BUSY)
 *     a. orders alone (the baseline)
 *     b. orders during the storm
 *   unbounded (identity.passwordHashing { concurrency 64, maxQueued 100000 }: what the bound buys)
 *     a. orders alone
 *     c. orders during the storm
 * The storm starts `rampMs` before the orders and stops after their last answer; it counts only
 * answers that arrive within the order run. Each phase also records the server's own event-loop lag
 * (a 1 ms interval inside the server process) and the server's and the machine's CPU.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../app/config.ts";
import { log } from "./kit/args.ts";
import { Child } from "./kit/child.ts";
import type { Percentiles } from "./kit/histogram.ts";
import { summarize } from "./kit/histogram.ts";
import { hostBusy, hostTicks, int, latencyJson, ms, table } from "./kit/report.ts";
import { parseWsUrl, sleep, withTimeout } from "./kit/ws-wire.ts";
import { Driver, RestingFlow, type RunResult } from "./ws-drive.ts";
import { ACCOUNTS, keyOf } from "./ws-options.ts";

export interface StormOptions {
  /** Length of each phase's order run (s). */
  seconds: number;
  /** Orders + cancels per second offered on the WebSocket door. */
  rate: number;
  /** WebSocket connections. */
  conns: number;
  /** Concurrent sign-in clients. */
  clients: number;
  /** Sign-in clients honour a 429's Retry-After (default: try again at once). */
  backoff: boolean;
  /** Also run the unbounded hasher (phase c). */
  unbounded: boolean;
  /** Run the servers under Bun's CPU profiler, a markdown profile per server in this directory. */
  profile: string | null;
  /** Parent of the servers' data directories. */
  dir: string;
}

/** The demo's users and their public passwords (config/demo.json). */
const USERS = [
  { user: "alice", password: "alice-demo-password" },
  { user: "bob", password: "bob-demo-password" },
  { user: "operator", password: "operator-demo-password" },
  { user: "auditor", password: "auditor-demo-password" },
];

const LAG_MS = 100;
const RAMP_MS = 500;

export interface LoginTally {
  /** Answers by "status CODE" (e.g. "200 enrol", "401 AUTH_FAILED", "429 BUSY"), within the order run. */
  answers: Map<string, number>;
  /** All answers in the window, per second. */
  perSecond: number;
  /** Answers that ran a verify (200 and 401) per second. */
  verifiedPerSecond: number;
  /** Answers refused busy (429 BUSY) per second. */
  busyPerSecond: number;
  /** Latency of verified answers (200/401), and of refusals (429). */
  verified: Percentiles | null;
  refused: Percentiles | null;
  /** Network errors / non-JSON answers (with a sample). */
  failures: number;
  failureSample: string;
}

export interface StormPhase {
  server: "bounded" | "unbounded";
  name: string;
  run: RunResult;
  logins: LoginTally | null;
  /** The server's own event loop: lateness of a 1 ms interval (ns). */
  serverLag: Percentiles;
  serverCpu: number;
  hostCpu: number;
  /** Cancels sent before the ACK of the order they cancel was back (refused UNKNOWN_ORDER: the flow's own, see RestingFlow). */
  blind: number;
}

class LoginServer extends Child {
  url = "";
  dataDir = "";
  static async start(o: StormOptions, unbounded: boolean): Promise<LoginServer> {
    const hash = unbounded ? ["--hash-concurrency", "64", "--hash-queue", "100000"] : [];
    // Bun writes the profile when the child exits, which it does on "stop".
    const prof = o.profile ? ["--cpu-prof-md", `--cpu-prof-dir=${o.profile}`, `--cpu-prof-name=login-${unbounded ? "unbounded" : "bounded"}-${Date.now()}.md`] : [];
    const s = new LoginServer([...prof, join(import.meta.dir, "login-server.ts"), "--dir", o.dir, ...hash], unbounded ? "unbounded server" : "bounded server");
    const ready = await s.next("ready", 60_000);
    s.url = String(ready.url);
    s.dataDir = String(ready.dataDir);
    return s;
  }

  /** Stops the server; its data directory goes even if it had to be killed (Child.stop, after 10 s). */
  override async stop(): Promise<void> {
    await super.stop();
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** `clients` closed loops of sign-ins until stop(); answers counted from `from` to `until` (clock ns). */
class Storm {
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  readonly answers = new Map<string, number>();
  private readonly okLat: number[] = [];
  private readonly busyLat: number[] = [];
  private failures = 0;
  private failureSample = "";
  from = Infinity;
  until = Infinity;

  constructor(
    private readonly url: string,
    private readonly clients: number,
    private readonly clock: () => number,
    private readonly backoff: boolean,
  ) {}

  start(): void {
    for (let i = 0; i < this.clients; i++) this.loops.push(this.loop(i));
  }

  private async loop(i: number): Promise<void> {
    const u = USERS[i % USERS.length]!;
    // Clients 0–3 right, 4–7 wrong, …: every user gets both.
    const wrong = Math.floor(i / USERS.length) % 2 === 1;
    const body = JSON.stringify({ user: u.user, password: wrong ? `${u.password}-wrong` : u.password });
    const endpoint = `${this.url.replace(/^ws/, "http")}/api/v1/auth/login`;
    let wait = 0;
    while (!this.stopping) {
      const t0 = this.clock();
      let key: string;
      try {
        const res = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body });
        const j = (await res.json()) as { code?: string; enrolment?: { ticket?: string }; token?: string };
        key = `${res.status} ${res.status === 200 ? (j.enrolment?.ticket ? "enrol" : j.token ? "session" : "?") : (j.code ?? "?")}`;
        // A well-behaved client waits as it is told; the default storm does not (the door's worst case).
        if (this.backoff && res.status === 429) wait = Number(res.headers.get("retry-after") ?? "1") * 1000;
      } catch (e) {
        key = "network error";
        this.failures++;
        if (!this.failureSample) this.failureSample = String(e);
        await sleep(10);
      }
      const t1 = this.clock();
      if (wait > 0) {
        await sleep(wait);
        wait = 0;
      }
      if (t1 < this.from || t1 > this.until) continue;
      this.answers.set(key, (this.answers.get(key) ?? 0) + 1);
      if (key.startsWith("200") || key.startsWith("401")) this.okLat.push(t1 - t0);
      else if (key.startsWith("429")) this.busyLat.push(t1 - t0);
    }
  }

  /** Stops the loops and waits for the requests in flight (an unbounded server finishes its verifies). */
  async stop(): Promise<void> {
    this.stopping = true;
    await withTimeout(Promise.all(this.loops), 120_000, "sign-in clients to finish");
  }

  tally(): LoginTally {
    const secs = (this.until - this.from) / 1e9;
    const sum = (p: (k: string) => boolean) => [...this.answers].filter(([k]) => p(k)).reduce((a, [, n]) => a + n, 0);
    return {
      answers: this.answers,
      perSecond: sum(() => true) / secs,
      verifiedPerSecond: sum((k) => k.startsWith("200") || k.startsWith("401")) / secs,
      busyPerSecond: sum((k) => k === "429 BUSY") / secs,
      verified: this.okLat.length ? summarize(Float64Array.from(this.okLat)) : null,
      refused: this.busyLat.length ? summarize(Float64Array.from(this.busyLat)) : null,
      failures: this.failures,
      failureSample: this.failureSample,
    };
  }
}

/** One server's phases: warm-up, orders alone, orders during the storm. */
async function onServer(o: StormOptions, unbounded: boolean, clock: () => number): Promise<StormPhase[]> {
  const which = unbounded ? "unbounded" : "bounded";
  log(`login storm: starting the exchange (${unbounded ? "hasher unbounded: 64 at once, 100,000 waiting" : "the exchange's own hasher: 1 at once, 32 waiting"})`);
  const server = await LoginServer.start(o, unbounded);
  const driver = new Driver(clock, o.conns);
  try {
    await driver.open(parseWsUrl(`${server.url}/ws`));
    await driver.login(Array.from({ length: o.conns }, (_, c) => keyOf(ACCOUNTS[c % 4]!)));
    const config = loadConfig(join(import.meta.dir, "../config/demo.json"));
    const ref = config.exchange.instruments.find((i) => i.id === 1)!.referencePrice!;
    const holds = (config.accounts ?? []).map((a) => Object.keys(a.positions ?? {}).includes("BTC-USD"));
    const flow = new RestingFlow(ref, Array.from({ length: o.conns }, (_, c) => holds[c % 4] ?? false), false);
    flow.lagSlots = Math.ceil(((LAG_MS / 1000) * o.rate) / o.conns);

    log(`  warm-up: ${int(o.rate)}/s for 1 s`);
    await driver.runOpen(flow, o.rate, 1, 3000);
    await driver.cleanup();

    const phase = async (name: string, storm: Storm | null): Promise<StormPhase> => {
      if (storm) {
        storm.start();
        await sleep(RAMP_MS);
      }
      server.proc.send({ kind: "lag-start" });
      await server.cpuMark();
      const h0 = hostTicks();
      const startAt = clock() + 5e6;
      if (storm) {
        storm.from = startAt;
        storm.until = startAt + o.seconds * 1e9;
      }
      const run = await driver.runOpen(flow, o.rate, o.seconds, 5000, startAt);
      const hostCpu = hostBusy(h0, hostTicks());
      const blind = flow.blind;
      const serverCpu = await server.cpuShare();
      const lag = (await server.ask({ kind: "lag" }, "lag")) as unknown as Percentiles;
      if (storm) await storm.stop();
      await driver.cleanup();
      const p: StormPhase = { server: which, name, run, logins: storm?.tally() ?? null, serverLag: lag, serverCpu, hostCpu, blind };
      log(`  ${which} ${name}: ${phaseLine(p)}`);
      return p;
    };
    const phases = [await phase("orders alone", null)];
    phases.push(await phase(`storm of ${o.clients}`, new Storm(server.url, o.clients, clock, o.backoff)));
    return phases;
  } finally {
    driver.close();
    await server.stop();
  }
}

export async function loginStorm(o: StormOptions, clock: () => number): Promise<StormPhase[]> {
  const phases = await onServer(o, false, clock);
  if (o.unbounded) phases.push(...(await onServer(o, true, clock)));
  return phases;
}

function phaseLine(p: StormPhase): string {
  const r = p.run;
  const l = p.logins;
  const logins = l ? `; sign-ins ${[...l.answers].map(([k, n]) => `${k} ${n}`).join(", ")}${l.failures ? `, ${l.failures} network errors (${l.failureSample})` : ""}` : "";
  return `achieved ${int(r.achieved)}/s, ACK p50 ${ms(r.orders?.p50)} p99 ${ms(r.orders?.p99)} max ${ms(r.orders?.max)} ms, ${r.sent - r.answered} unanswered, ${r.errors} ERROR, ${r.rejects} refused (${p.blind} blind cancels); server loop lag p99 ${ms(p.serverLag.p99)} max ${ms(p.serverLag.max)} ms; CPU server ${p.serverCpu.toFixed(2)} harness ${p.run.cpuShare.toFixed(2)} host ${p.hostCpu.toFixed(2)}${logins}`;
}

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : NaN);

/** The tables on stderr, and the ratios of each storm to the bounded server's orders-alone phase. */
export function stormReport(o: StormOptions, phases: StormPhase[]): string {
  const out: string[] = [];
  out.push(`order → ACK on the WebSocket door during REST sign-in storms: ${int(o.rate)} requests/s (resting limits + cancels 1:1) over ${o.conns} connections, ${o.seconds} s per phase; ${o.clients} sign-in clients in closed loops, ${o.backoff ? "a 429 waits its Retry-After" : "no pause"}, half right passwords (200 enrol ticket) half wrong (401)`);
  out.push(
    table(
      ["server / phase", "achieved/s", "ACK p50", "p99", "p99.9", "max ms", "unanswered", "errors", "refused (blind)", "srv loop lag p99", "max ms", "srv CPU", "harness CPU", "host CPU"],
      phases.map((p) => [`${p.server}: ${p.name}`, int(p.run.achieved), ms(p.run.orders?.p50), ms(p.run.orders?.p99), ms(p.run.orders?.p99_9), ms(p.run.orders?.max), String(p.run.sent - p.run.answered), String(p.run.errors), `${p.run.rejects} (${p.blind})`, ms(p.serverLag.p99), ms(p.serverLag.max), p.serverCpu.toFixed(2), p.run.cpuShare.toFixed(2), p.hostCpu.toFixed(2)]),
    ),
  );
  const storms = phases.filter((p) => p.logins);
  out.push("");
  out.push(
    table(
      ["sign-ins (within the order run)", "answered/s", "verified/s (200+401)", "429 BUSY/s", "answers", "verified p50 ms", "p99", "429 p50 ms", "p99"],
      storms.map((p) => {
        const l = p.logins!;
        return [`${p.server}`, l.perSecond.toFixed(1), l.verifiedPerSecond.toFixed(1), l.busyPerSecond.toFixed(1), [...l.answers].map(([k, n]) => `${k}: ${n}`).join(", "), ms(l.verified?.p50), ms(l.verified?.p99), ms(l.refused?.p50), ms(l.refused?.p99)];
      }),
    ),
  );
  const base = phases.find((p) => p.server === "bounded" && !p.logins);
  for (const s of storms) {
    out.push(`${s.server} storm / bounded orders alone: ACK p50 × ${ratio(s.run.orders?.p50, base?.run.orders?.p50).toFixed(2)}, p99 × ${ratio(s.run.orders?.p99, base?.run.orders?.p99).toFixed(2)}`);
  }
  return out.join("\n");
}

export function stormJson(phases: StormPhase[]) {
  const base = phases.find((p) => p.server === "bounded" && !p.logins);
  return phases.map((p) => ({
    server: p.server,
    phase: p.name,
    achieved_per_s: Math.round(p.run.achieved),
    sent: p.run.sent,
    answered: p.run.answered,
    errors: p.run.errors,
    rejects: p.run.rejects,
    blind_cancels: p.blind,
    reject_reasons: p.run.reasons,
    ack_latency: latencyJson(p.run.orders),
    ack_p50_ratio_vs_bounded_alone: p.logins ? +ratio(p.run.orders?.p50, base?.run.orders?.p50).toFixed(3) : null,
    ack_p99_ratio_vs_bounded_alone: p.logins ? +ratio(p.run.orders?.p99, base?.run.orders?.p99).toFixed(3) : null,
    server_loop_lag: latencyJson(p.serverLag),
    server_cpu_cores: +p.serverCpu.toFixed(2),
    harness_cpu_cores: +p.run.cpuShare.toFixed(2),
    host_busy_cores: +p.hostCpu.toFixed(2),
    logins: p.logins
      ? {
          answers: Object.fromEntries(p.logins.answers),
          per_s: +p.logins.perSecond.toFixed(2),
          verified_per_s: +p.logins.verifiedPerSecond.toFixed(2),
          busy_per_s: +p.logins.busyPerSecond.toFixed(2),
          verified_latency: latencyJson(p.logins.verified),
          refused_latency: latencyJson(p.logins.refused),
          network_errors: p.logins.failures,
        }
      : null,
  }));
}
