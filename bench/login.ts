/**
 * bench/login.ts — what argon2id password checks cost the exchange (gateway/auth/password-hasher.ts).
 *
 *   bun run bench/login.ts                    # ~35 s
 *   bun run bench/login.ts --seconds 2 --storm 64 --json
 *
 * 1. Throughput: verifies of one password through a PasswordHasher at concurrency 1, 2 and 4, each
 *    kept full by as many closed-loop callers for `--seconds` (no queueing: the latency is one
 *    verify's own time, contention with its siblings included). Verifies/s, median and p99.
 * 2. The event loop: a 1 ms setInterval's drift (how late each tick came), median, p99 and max,
 *    with nothing else running (the baseline), during each throughput phase, during a storm of
 *    `--storm` verifies at once through the default hasher (concurrency 1, 32 queued: the rest are
 *    refused busy at once), and during the same storm sent straight to Bun.password.verify with no
 *    bound (Bun's thread pool runs them on every core).
 *
 * Bun's default argon2id cost (m = 64 MiB, t = 2, p = 1). Progress and tables go to stderr; with
 * --json the last line of stdout is one JSON object.
 */
import { cpus } from "node:os";
import { PasswordHasher } from "../gateway/auth/password-hasher.ts";
import { parseFlags, log } from "./kit/args.ts";
import { summarize, type Percentiles } from "./kit/histogram.ts";
import { hostBusy, hostTicks, latencyJson, ms, table } from "./kit/report.ts";

const USAGE = "usage: bun run bench/login.ts [--seconds S] [--baseline-seconds S] [--storm N] [--json]";
const o = { seconds: 5, baselineSeconds: 3, storm: 64, json: false };
parseFlags(process.argv.slice(2), USAGE, {
  "--seconds": (v) => (o.seconds = v.num()),
  "--baseline-seconds": (v) => (o.baselineSeconds = v.num()),
  "--storm": (v) => (o.storm = v.num()),
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

log(`bench/login.ts: Bun ${Bun.version}, ${cpus().length} cores; Bun.password argon2id defaults`);
const setup = await new PasswordHasher().hash(PASSWORD);
if (!setup.ok) throw new Error("busy at setup");
const hash = setup.hash;
log(`hash: ${hash.slice(0, hash.indexOf("$", 16) + 1)}…`);

log(`baseline: the loop alone for ${o.baselineSeconds} s`);
const baseline = (await loopLag(() => Bun.sleep(o.baselineSeconds * 1000))).lag;

const runs: Throughput[] = [];
for (const c of [1, 2, 4]) {
  log(`throughput: concurrency ${c} for ${o.seconds} s`);
  runs.push(await throughput(hash, c));
}

log(`storm: ${o.storm} verifies at once through the default PasswordHasher (concurrency 1, 32 queued)`);
const bounded = new PasswordHasher();
const storms = [await storm("bounded (1 + 32 queued)", (h, p) => bounded.verify(h, p), hash)];
log(`storm: ${o.storm} verifies at once straight to Bun.password.verify`);
storms.push(await storm("unbounded", async (h, p) => ({ ok: await Bun.password.verify(p, h) }), hash));

log("");
log(table(["concurrency", "verifies", "per s", "p50 ms", "p99 ms", "busy cores", "loop lag p50", "p99", "max"], runs.map((r) => [String(r.concurrency), String(r.verifies), r.perSecond.toFixed(1), ms(r.latency.p50), ms(r.latency.p99), r.hostCores.toFixed(2), ...lagCells(r.lag)])));
log("");
log(table(["event loop (1 ms interval)", "accepted", "refused busy", "seconds", "lag p50 ms", "p99 ms", "max ms"], [["no storm (baseline)", "–", "–", o.baselineSeconds.toFixed(1), ...lagCells(baseline)], ...storms.map((s) => [`storm of ${o.storm}, ${s.name}`, String(s.accepted), String(s.busy), s.seconds.toFixed(1), ...lagCells(s.lag)])]));

if (o.json) {
  console.log(
    JSON.stringify({
      bench: "login",
      bun: Bun.version,
      cores: cpus().length,
      hash_params: hash.split("$")[3],
      throughput: runs.map((r) => ({ concurrency: r.concurrency, verifies: r.verifies, per_s: +r.perSecond.toFixed(2), latency: latencyJson(r.latency), loop_lag: latencyJson(r.lag), host_busy_cores: +r.hostCores.toFixed(2) })),
      loop_lag_baseline: latencyJson(baseline),
      storms: storms.map((s) => ({ name: s.name, size: o.storm, accepted: s.accepted, busy: s.busy, seconds: +s.seconds.toFixed(2), loop_lag: latencyJson(s.lag) })),
    }),
  );
}
