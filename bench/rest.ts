/**
 * REST door benchmark: what Hono and the REST app cost over a raw Bun.serve handler, for a
 * trivial GET, measured with autocannon (a Node process, so the load generator and the server do
 * not share a thread). Then, in process, what a signed request's check costs over an unsigned one.
 *
 *   npx bun bench/rest.ts [--seconds S] [--rounds R] [--connections C] [--json]
 *
 * Servers, each alone on 127.0.0.1, all answering the same JSON ({ iso, epochMs }):
 *   raw:        Bun.serve whose fetch answers Response.json directly;
 *   hono:       Bun.serve → a bare Hono app with one route;
 *   rest:       Bun.serve → the REST door as gateway/ws/server.ts mounts it (GET /api/v1/time:
 *               OpenAPIHono, the body-limit middleware, the error and not-found handlers);
 *   rest-query: the same, GET /api/v1/instruments?base=BTC (a zod-validated query).
 * Run in turn, ROUNDS times, the medians reported. On a small host autocannon (one Node thread)
 * saturates before Bun.serve does, so req/s mostly measures the load generator; the server's CPU
 * time per request (this process's, the generator being a child) is the figure that shows the
 * framework's cost.
 * Under a minute with the defaults (3 s + 1 s warm-up, 4 servers, 3 rounds). Progress goes to stderr; with --json the last line of stdout is one JSON object.
 */
import { Hono } from "hono";
import { join } from "node:path";
import { ApiKeys } from "../gateway/auth/keys.ts";
import { buildRestApp, REST_BASE } from "../gateway/rest/app.ts";
import { silentLogger } from "../log/logger.ts";
import { signRequest } from "../protocol/rest-signature.ts";
import { parseFlags } from "./kit/args.ts";

const USAGE = "npx bun bench/rest.ts [--seconds S] [--rounds R] [--connections C] [--json]";
let SECONDS = 3;
let ROUNDS = 3;
let CONNECTIONS = 50;
let JSON_OUT = false;
parseFlags(process.argv.slice(2), USAGE, {
  "--seconds": (v) => (SECONDS = v.num()),
  "--rounds": (v) => (ROUNDS = v.num()),
  "--connections": (v) => (CONNECTIONS = v.num()),
  "--json": () => (JSON_OUT = true),
}, { min: 1 });

const SECRET = "bench-secret-0123456789";
const deps = {
  keys: new ApiKeys([{ id: "bench", account: 1, secret: SECRET }]),
  instruments: [{ id: 1, symbol: "BTC-USD", tickSize: "0.5", lotSize: "0.001", bandBps: 200, base: "BTC", quote: "USD" }],
  availability: { stopped: false, state: () => ({ state: "running" as const, seq: 0 }) },
  log: silentLogger,
  // One client from one address far above any sane rate: the door's rate limits would answer 429 and measure that instead.
  config: { rateLimit: { perCallerPerSecond: 0, perAddressPerSecond: 0 } },
};
const time = () => {
  const now = Date.now();
  return { iso: new Date(now).toISOString(), epochMs: now };
};

type Mode = { name: string; path: string; fetch: (req: Request, srv: import("bun").Server<undefined>) => Response | Promise<Response> };
const hono = new Hono().get("/time", (c) => c.json(time()));
const rest = buildRestApp(deps);
const modes: Mode[] = [
  { name: "raw", path: "/time", fetch: () => Response.json(time()) },
  { name: "hono", path: "/time", fetch: (req) => hono.fetch(req) },
  { name: "rest", path: `${REST_BASE}/time`, fetch: restFetch },
  { name: "rest-query", path: `${REST_BASE}/instruments?base=BTC`, fetch: restFetch },
];
function restFetch(req: Request, srv: import("bun").Server<undefined>): Response | Promise<Response> {
  // As gateway/ws/server.ts routes it.
  const url = new URL(req.url);
  if (url.pathname.startsWith(REST_BASE)) return rest.fetch(req, { address: srv.requestIP(req)?.address ?? "" });
  return new Response("not found", { status: 404 });
}

interface Result {
  name: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** This process's CPU time (user + system) per request answered: the server's cost, whatever the load generator manages. */
  cpuUsPerReq: number;
  non2xx: number;
  errors: number;
}

async function load(mode: Mode): Promise<Result> {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: mode.fetch });
  const url = `http://127.0.0.1:${server.port}${mode.path}`;
  const check = await fetch(url);
  if (check.status !== 200) throw new Error(`${mode.name}: ${url} answered ${check.status}`);
  const bin = join(import.meta.dir, "..", "node_modules", "autocannon", "autocannon.js");
  // A short warm-up (JIT), then the measured run.
  await run(bin, url, 1);
  const cpu0 = process.cpuUsage();
  const r = await run(bin, url, SECONDS);
  const cpu = process.cpuUsage(cpu0);
  server.stop(true);
  return { name: mode.name, reqPerSec: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, cpuUsPerReq: Number(((cpu.user + cpu.system) / r.requests.total).toFixed(1)), non2xx: r.non2xx, errors: r.errors };
}

async function run(bin: string, url: string, seconds: number): Promise<{ requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }> {
  const p = Bun.spawn(["node", bin, "-c", String(CONNECTIONS), "-d", String(seconds), "-j", url], { stdout: "pipe", stderr: "ignore" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return JSON.parse(out);
}

/** In process, no sockets: app.request() of an unsigned and a signed GET, per second. */
async function inProcess(): Promise<{ unsignedPerSec: number; signedPerSec: number; signOnlyPerSec: number }> {
  const rate = async (n: number, f: (i: number) => Promise<unknown> | unknown) => {
    for (let i = 0; i < 2_000; i++) await f(i);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await f(i);
    return Math.round(n / ((performance.now() - t0) / 1000));
  };
  const n = 30_000;
  const unsignedPerSec = await rate(n, () => rest.request(`${REST_BASE}/time`));
  // Each signed request is distinct (its query), so none is refused as a replay.
  const signedPerSec = await rate(n, async (i) => {
    const path = `${REST_BASE}/me?n=${i}`;
    const res = await rest.request(path, { headers: signRequest({ keyId: "bench", secret: SECRET, method: "GET", path }) });
    if (res.status !== 200) throw new Error(`signed /me answered ${res.status}`);
  });
  const signOnlyPerSec = await rate(n, (i) => signRequest({ keyId: "bench", secret: SECRET, method: "GET", path: `/api/v1/me?n=${i}` }));
  return { unsignedPerSec, signedPerSec, signOnlyPerSec };
}

const runs: Result[][] = modes.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, m] of modes.entries()) {
    const r = await load(m);
    runs[i]!.push(r);
    console.error(`${r.name.padEnd(11)} ${String(r.reqPerSec).padStart(7)} req/s  ${String(r.cpuUsPerReq).padStart(5)} µs CPU/req  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  non-2xx ${r.non2xx}  errors ${r.errors}`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const results: Result[] = runs.map((rs) => ({ ...rs[0]!, reqPerSec: median(rs.map((r) => r.reqPerSec)), cpuUsPerReq: median(rs.map((r) => r.cpuUsPerReq)), p50Ms: median(rs.map((r) => r.p50Ms)), p99Ms: median(rs.map((r) => r.p99Ms)) }));
const raw = results[0]!;
console.error(`medians of ${ROUNDS}:`);
for (const r of results) console.error(`${r.name.padEnd(11)} ${String(r.reqPerSec).padStart(7)} req/s (${(r.reqPerSec / raw.reqPerSec).toFixed(2)} × raw)  ${r.cpuUsPerReq} µs CPU/req (${(r.cpuUsPerReq / raw.cpuUsPerReq).toFixed(2)} × raw)`);
const ip = await inProcess();
console.error(`in process: unsigned GET /time ${ip.unsignedPerSec}/s, signed GET /me ${ip.signedPerSec}/s (signing alone ${ip.signOnlyPerSec}/s)`);
if (JSON_OUT) console.log(JSON.stringify({ seconds: SECONDS, connections: CONNECTIONS, results, ratios: Object.fromEntries(results.slice(1).map((r) => [r.name, { reqPerSec: r.reqPerSec / raw.reqPerSec, cpuPerReq: r.cpuUsPerReq / raw.cpuUsPerReq }])), inProcess: ip }));
