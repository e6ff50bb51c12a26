/**
 * bench/ws-pingpong.ts — unloaded round trips: one request outstanding on one connection, the next
 * sent the moment the answer is read. No schedule and no queue, so what it shows is the path's own
 * latency and its tail, not load: the floor under bench:ws's open-loop figures.
 *
 *   bun run bench/ws-pingpong.ts            # ~15 s: echo, gateway fsync off, gateway fsync on
 *   bun run bench/ws-pingpong.ts --n 20000 --json
 *
 * The servers are bench:ws's (bench/ws-server.ts), each in a child process: raw Bun.serve echoing
 * the NEW_ORDER frame, and the Bourse gateway with fsync off and on (rate and open-order limits
 * lifted). The client is the same for all three: Bun's WebSocket, one binary frame out, one in.
 * On the gateway each round trip is NEW_ORDER → ACK (a resting 1-lot buy) and an untimed cancel
 * follows it, so the book stays small.
 */
import { join } from "node:path";
import { build } from "hdr-histogram-js";
import { Side } from "../engine/commands.ts";
import { decodeServer, encodeCancel, encodeLogin, encodeNewOrder, FrameWriter, isProtocolError, MessageType, signLogin } from "../protocol/index.ts";
import { exitOnHelp, flagOr } from "./kit/args.ts";
import { Child } from "./kit/child.ts";

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => flagOr(args, name, dflt);
exitOnHelp(args, "usage: bun run bench/ws-pingpong.ts [--n ROUND_TRIPS] [--warmup N] [--json]");
const N = flag("--n", 5000);
const WARMUP = flag("--warmup", 1000);
const json = args.includes("--json");

interface Server {
  url: string;
  child: Child;
}

async function startServer(kind: "gateway" | "baseline", fsync: boolean): Promise<Server> {
  const child = new Child([join(import.meta.dir, "ws-server.ts"), "--kind", kind, "--fsync", fsync ? "1" : "0", "--workers", "0", "--keep-limits", "0"], `${kind} server`);
  return { url: String((await child.next("ready")).url), child };
}

/** One connection's frames, awaited one at a time. */
class Conn {
  private waiter: ((b: Uint8Array) => void) | null = null;
  private inbox: Uint8Array[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) => {
      const b = new Uint8Array(e.data as ArrayBuffer);
      const w = this.waiter;
      if (w) {
        this.waiter = null;
        w(b);
      } else this.inbox.push(b);
    };
  }

  static async open(url: string): Promise<Conn> {
    const ws = new WebSocket(url);
    const c = new Conn(ws);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return c;
  }

  next(): Promise<Uint8Array> {
    const b = this.inbox.shift();
    if (b) return Promise.resolve(b);
    return new Promise((r) => (this.waiter = r));
  }
}

const w = new FrameWriter(512);

function newOrder(requestId: number, i: number): Uint8Array {
  const n = encodeNewOrder(w, { type: MessageType.NEW_ORDER, requestId, symbol: 1, side: Side.BUY, orderType: 0, tif: 0, stp: 0, flags: 0, price: 58_000 - (i % 200), stopPrice: 0, qty: 1, expireTime: 0, clientOrderId: "" });
  return w.bytes.slice(0, n);
}

async function login(c: Conn): Promise<void> {
  const hello = decodeServer(await c.next());
  if (isProtocolError(hello) || hello.type !== MessageType.HELLO) throw new Error("no HELLO");
  const timestamp = Math.floor(Date.now() * 1000);
  const key = { id: "dave-demo", secret: "dave-demo-secret-do-not-use-in-production" };
  const n = encodeLogin(w, { type: MessageType.LOGIN, requestId: 1, timestamp, flags: 0, signature: signLogin(key.secret, hello.nonce, timestamp, 0, key.id), apiKeyId: key.id });
  c.ws.send(w.bytes.slice(0, n));
  const r = decodeServer(await c.next());
  if (isProtocolError(r) || r.type !== MessageType.LOGIN_RESULT || r.code !== 0) throw new Error("login refused");
  // What the gateway sends after a login (reference data) is not an answer to a timed request.
  for (;;) {
    const m = decodeServer(await c.next());
    if (!isProtocolError(m) && m.type === MessageType.REFERENCE_DATA) break;
  }
}

async function run(name: string, url: string, gateway: boolean) {
  const c = await Conn.open(url);
  if (gateway) await login(c);
  const h = build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: 3 });
  let requestId = 10;
  for (let i = 0; i < WARMUP + N; i++) {
    const frame = newOrder(++requestId, i);
    const t = Bun.nanoseconds();
    c.ws.send(frame);
    const answer = await c.next();
    const dt = Bun.nanoseconds() - t;
    if (i >= WARMUP) h.recordValue(Math.max(1, Math.round(dt / 1000)));
    if (!gateway) continue;
    const m = decodeServer(answer);
    if (isProtocolError(m) || m.type !== MessageType.ACK) throw new Error(`${name}: expected ACK, got ${isProtocolError(m) ? m.message : `type 0x${m.type.toString(16)}`}`);
    const n = encodeCancel(w, { type: MessageType.CANCEL, requestId: ++requestId, symbol: 1, orderId: m.orderId, clientOrderId: "" });
    c.ws.send(w.bytes.slice(0, n));
    const cancelled = decodeServer(await c.next());
    if (isProtocolError(cancelled) || cancelled.type !== MessageType.CANCELLED) throw new Error(`${name}: expected CANCELLED`);
  }
  c.ws.close();
  const ms = (p: number) => h.getValueAtPercentile(p) / 1000;
  return { name, n: N, p50_ms: ms(50), p90_ms: ms(90), p99_ms: ms(99), p999_ms: ms(99.9), max_ms: h.maxValue / 1000 };
}

const results = [];
for (const [name, kind, fsync] of [
  ["echo", "baseline", false],
  ["gateway fsync off", "gateway", false],
  ["gateway fsync on", "gateway", true],
] as const) {
  const s = await startServer(kind, fsync);
  try {
    results.push(await run(name, kind === "baseline" ? `${s.url}/echo` : `${s.url}/ws`, kind === "gateway"));
  } finally {
    await s.child.stop();
  }
}

console.log(`round trips, one outstanding, ${N} each after ${WARMUP} untimed (Bun ${Bun.version})`);
console.log("server              p50 ms   p90 ms   p99 ms  p99.9 ms   max ms");
for (const r of results) console.log(`${r.name.padEnd(18)} ${[r.p50_ms, r.p90_ms, r.p99_ms, r.p999_ms, r.max_ms].map((v) => v.toFixed(3).padStart(8)).join(" ")}`);
const echo = results[0]!;
const on = results[2]!;
if (json) console.log(JSON.stringify({ results, p99_ack_ms_unloaded: on.p99_ms, p50_ack_ms_unloaded: on.p50_ms, echo_p99_ms: echo.p99_ms }));
