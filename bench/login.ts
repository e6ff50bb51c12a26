/**
 * bench/login.ts — what argon2id password checks cost the exchange (gateway/auth/password-hasher.ts).
 *
 *   bun run bench/login.ts                    # ~55 s: all four parts
 *   bun run bench/login.ts --seconds 5 --baseline-seconds 3 --json
 *   bun run bench/login.ts --no-hasher --e2e-seconds 20 --rate 4000 --clients 128   # longer storm only
 *
 * 1. Throughput: verifies of one password through a PasswordHasher at concurrency 1, 2 and 4, each
 *    kept full by as many closed-loop callers for `--seconds` (no queueing: the latency is one
 *    verify's own time, contention with its siblings included). Verifies/s, median and p99.
 * 2. The event loop: a 1 ms setInterval's drift (how late each tick came), median, p99 and max,
 *    with nothing else running (the baseline), during each throughput phase, during a storm of
 *    `--storm` verifies at once through the default hasher (concurrency 1, 32 queued: the rest are
 *    refused busy at once), and during the same storm sent straight to Bun.password.verify with no
 *    bound (Bun's thread pool runs them on every core).
 * 3. End to end (bench/login-storm.ts): order → ACK latency on the WebSocket door of a real exchange
 *    in a child process, alone and during a storm of REST sign-ins (`--clients` closed loops), on
 *    the exchange's own hasher and, unless --no-unbounded, on one with no bound.
 * 4. authenticate() (gateway/auth/authenticate.ts) on a WebSocket LOGIN's HMAC proof, ns per call:
 *    the whole per-session cost of a key's credentials; orders never call it (see bench/README.md).
 *
 * Bun's default argon2id cost (m = 64 MiB, t = 2, p = 1). Progress and tables go to stderr; with
 * --json the last line of stdout is one JSON object.
 */
import { cpus, loadavg, tmpdir } from "node:os";
import { authenticate } from "../gateway/auth/authenticate.ts";
import { ApiKeys } from "../gateway/auth/keys.ts";
import { LoginGuard } from "../gateway/auth/login-guard.ts";
import { PasswordHasher } from "../gateway/auth/password-hasher.ts";
import { type Login, MessageType, signLogin } from "../protocol/index.ts";
import { parseFlags, log } from "./kit/args.ts";
import { summarize, type Percentiles } from "./kit/histogram.ts";
import { hostBusy, hostTicks, latencyJson, ms, table } from "./kit/report.ts";
import { makeClock } from "./kit/ws-wire.ts";
import { loginStorm, stormJson, stormReport, type StormOptions, type StormPhase } from "./login-storm.ts";

const USAGE = "usage: bun run bench/login.ts [--seconds S] [--baseline-seconds S] [--storm N] [--no-hasher] [--no-e2e] [--e2e-seconds S] [--rate R] [--conns N] [--clients N] [--backoff] [--no-unbounded] [--auth-calls N] [--dir BASE] [--profile DIR] [--json]";
const o = { seconds: 2, baselineSeconds: 2, storm: 64, hasher: true, e2e: true, authCalls: 200_000, json: false };
const e2e: StormOptions = { seconds: 4, rate: 2000, conns: 8, clients: 64, backoff: false, unbounded: true, profile: null, dir: tmpdir() };
parseFlags(process.argv.slice(2), USAGE, {
  "--seconds": (v) => (o.seconds = v.num()),
  "--baseline-seconds": (v) => (o.baselineSeconds = v.num()),
  "--storm": (v) => (o.storm = v.num()),
  "--no-hasher": () => (o.hasher = false),
  "--no-e2e": () => (o.e2e = false),
  "--e2e-seconds": (v) => (e2e.seconds = v.num()),
  "--rate": (v) => (e2e.rate = v.num()),
  "--conns": (v) => (e2e.conns = Math.floor(v.num())),
  "--clients": (v) => (e2e.clients = Math.floor(v.num())),
  "--backoff": () => (e2e.backoff = true),
  "--no-unbounded": () => (e2e.unbounded = false),
  "--auth-calls": (v) => (o.authCalls = Math.floor(v.num())),
  "--dir": (v) => (e2e.dir = v.str()),
  "--profile": (v) => (e2e.profile = v.str()),
  "--json": () => (o.json = true),
}, { min: 1 });

const PASSWORD = "correct horse battery staple";

/** The 1 ms interval's lateness (ns) while `during` runs. */
async function loopLag<T>(during: () => Promise<T>): Promise<{ lag: Percentiles; result: T }> {
  const late: number[] = [];
  let last = Bun.nanoseconds();
  const timer = setInterval(() => {
    const now = Bun.nanoseconds();
    late.push(Math.max(0, now - last - 1e6));
    last = now;
  }, 1);
  try {
    const result = await during();
    return { lag: summarize(Float64Array.from(late)), result };
  } finally {
    clearInterval(timer);
  }
}

interface Throughput {
  concurrency: number;
  verifies: number;
  perSecond: number;
  latency: Percentiles;
  lag: Percentiles;
  hostCores: number;
}

async function throughput(hash: string, concurrency: number): Promise<Throughput> {
  const hasher = new PasswordHasher({ concurrency, maxQueued: concurrency });
  const times: number[] = [];
  const t0 = Bun.nanoseconds();
  const end = t0 + o.seconds * 1e9;
  const h0 = hostTicks();
  const caller = async () => {
    while (Bun.nanoseconds() < end) {
      const s = Bun.nanoseconds();
      const r = await hasher.verify(hash, PASSWORD);
      if (!r.ok || !r.match) throw new Error(`verify failed: ${JSON.stringify(r)}`);
      times.push(Bun.nanoseconds() - s);
    }
  };
  const { lag } = await loopLag(() => Promise.all(Array.from({ length: concurrency }, caller)));
  const elapsed = (Bun.nanoseconds() - t0) / 1e9;
  return { concurrency, verifies: times.length, perSecond: times.length / elapsed, latency: summarize(Float64Array.from(times)), lag, hostCores: hostBusy(h0, hostTicks()) };
}

interface Storm {
  name: string;
  accepted: number;
  busy: number;
  seconds: number;
  lag: Percentiles;
}

async function storm(name: string, verify: (hash: string, pw: string) => Promise<{ ok: boolean }>, hash: string): Promise<Storm> {
  const t0 = Bun.nanoseconds();
  const { lag, result } = await loopLag(() => Promise.all(Array.from({ length: o.storm }, () => verify(hash, PASSWORD))));
  const accepted = result.filter((r) => r.ok).length;
  return { name, accepted, busy: result.length - accepted, seconds: (Bun.nanoseconds() - t0) / 1e9, lag };
}

const lagCells = (p: Percentiles) => [ms(p.p50), ms(p.p99), ms(p.max)];

/**
 * authenticate() on a WebSocket LOGIN (HMAC-SHA256 over nonce, timestamp, flags, key id), with the
 * login guard as the door passes it: ns per call over `calls` calls of one valid login.
 */
function authenticateCost(calls: number): { nsPerCall: number; calls: number } {
  const key = { id: "bench-key", account: 1, secret: "bench-key-secret-0123456789abcdef" };
  const keys = new ApiKeys([key]);
  const guard = new LoginGuard();
  const nonce = crypto.getRandomValues(new Uint8Array(32));
  const timestamp = Math.floor(Date.now() * 1000);
  const login = { type: MessageType.LOGIN, requestId: 1, timestamp, flags: 0, signature: signLogin(key.secret, nonce, timestamp, 0, key.id), apiKeyId: key.id } as Login;
  const creds = { keyId: key.id, proof: { kind: "hmac" as const, nonce, login, now: timestamp }, address: "127.0.0.1", guard };
  for (let i = 0; i < 20_000; i++) authenticate(keys, creds);
  let good = 0;
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < calls; i++) if (authenticate(keys, creds).ok) good++;
  const ns = Bun.nanoseconds() - t0;
  if (good !== calls) throw new Error(`authenticate refused ${calls - good} of ${calls} valid logins`);
  return { nsPerCall: ns / calls, calls };
}

log(`bench/login.ts: Bun ${Bun.version}, ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(2)).join(" ")}; Bun.password argon2id defaults`);
const wall0 = performance.now();

let hash = "";
let baseline: Percentiles | null = null;
const runs: Throughput[] = [];
const storms: Storm[] = [];
if (o.hasher) {
  const setup = await new PasswordHasher().hash(PASSWORD);
  if (!setup.ok) throw new Error("busy at setup");
  hash = setup.hash;
  log(`hash: ${hash.slice(0, hash.indexOf("$", 16) + 1)}…`);

  log(`baseline: the loop alone for ${o.baselineSeconds} s`);
  baseline = (await loopLag(() => Bun.sleep(o.baselineSeconds * 1000))).lag;

  for (const c of [1, 2, 4]) {
    log(`throughput: concurrency ${c} for ${o.seconds} s`);
    runs.push(await throughput(hash, c));
  }

  log(`storm: ${o.storm} verifies at once through the default PasswordHasher (concurrency 1, 32 queued)`);
  const bounded = new PasswordHasher();
  storms.push(await storm("bounded (1 + 32 queued)", (h, p) => bounded.verify(h, p), hash));
  log(`storm: ${o.storm} verifies at once straight to Bun.password.verify`);
  storms.push(await storm("unbounded", async (h, p) => ({ ok: await Bun.password.verify(p, h) }), hash));
}

let phases: StormPhase[] = [];
if (o.e2e) phases = await loginStorm(e2e, makeClock(performance.timeOrigin));

log(`authenticate(): ${o.authCalls.toLocaleString("en-US")} calls on one valid WebSocket LOGIN`);
const auth = authenticateCost(o.authCalls);

log("");
if (o.hasher) {
  log(table(["concurrency", "verifies", "per s", "p50 ms", "p99 ms", "busy cores", "loop lag p50", "p99", "max"], runs.map((r) => [String(r.concurrency), String(r.verifies), r.perSecond.toFixed(1), ms(r.latency.p50), ms(r.latency.p99), r.hostCores.toFixed(2), ...lagCells(r.lag)])));
  log("");
  log(table(["event loop (1 ms interval)", "accepted", "refused busy", "seconds", "lag p50 ms", "p99 ms", "max ms"], [["no storm (baseline)", "–", "–", o.baselineSeconds.toFixed(1), ...lagCells(baseline!)], ...storms.map((s) => [`storm of ${o.storm}, ${s.name}`, String(s.accepted), String(s.busy), s.seconds.toFixed(1), ...lagCells(s.lag)])]));
  log("");
}
if (o.e2e) {
  log(stormReport(e2e, phases));
  log("");
}
log(`authenticate() (HMAC LOGIN proof + login guard): ${auth.nsPerCall.toFixed(0)} ns per call, once per WebSocket session; none per order`);
log(`wall time ${((performance.now() - wall0) / 1000).toFixed(1)} s, load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

if (o.json) {
  console.log(
    JSON.stringify({
      bench: "login",
      bun: Bun.version,
      cores: cpus().length,
      hash_params: o.hasher ? hash.split("$")[3] : null,
      throughput: runs.map((r) => ({ concurrency: r.concurrency, verifies: r.verifies, per_s: +r.perSecond.toFixed(2), latency: latencyJson(r.latency), loop_lag: latencyJson(r.lag), host_busy_cores: +r.hostCores.toFixed(2) })),
      loop_lag_baseline: latencyJson(baseline),
      storms: storms.map((s) => ({ name: s.name, size: o.storm, accepted: s.accepted, busy: s.busy, seconds: +s.seconds.toFixed(2), loop_lag: latencyJson(s.lag) })),
      e2e: o.e2e ? { rate: e2e.rate, conns: e2e.conns, clients: e2e.clients, seconds: e2e.seconds, phases: stormJson(phases) } : null,
      authenticate_ns_per_call: +auth.nsPerCall.toFixed(1),
    }),
  );
}
