/**
 * Codec benchmark: the cost of putting the protocol's hot messages on the wire and taking them off
 * again (docs/protocol.md, Encoding choice).
 *
 *   bun run bench/codec.ts [--iters N] [--trials T] [--json]
 *
 * Messages: NEW_ORDER (the gateway decodes every one), ACK and EXECUTION (the gateway encodes one
 * per order and per fill), L2_UPDATE with 4 level changes (published per book change).
 * Encodings:
 *   fixed-f64     the protocol as built: protocol/*, fixed DataView layouts, integers as
 *                 float64 holding safe integers; encode into a reused FrameWriter.
 *   lean-*        the same layouts hand-written here with fewer checks and no dispatch, three ways,
 *                 to price the integer representation alone (NEW_ORDER and EXECUTION only):
 *     lean-f64      float64 holding a safe integer (what the protocol does);
 *     lean-i64      int64 read and written as two u32 halves (no BigInt);
 *     lean-bigint   int64 through getBigInt64 / setBigInt64 (one BigInt per field).
 *   msgpackr-rec  msgpackr with records and structures shared between packer and unpacker, its
 *                 fastest configuration (a schema agreed in advance), plus the same field checks
 *                 the fixed decoder makes: a decoded message is a validated message in every row.
 *   msgpackr-map  msgpackr without records (plain maps), for reference.
 * Each message set is 1,024 messages with seeded random values, cycled (the values include
 * integers held as doubles, as engine event fields are). Each row (codec × message) runs in a
 * process of its own (this file, with --child): 200 ms of warm-up, then T trials of N encodes and
 * N decodes, median ns per message reported. Defaults N = 100,000, T = 5: about 14 s in all.
 * Progress goes to stderr (CODEC_TRIALS=1 adds every trial); with --json the last line of stdout
 * is one JSON object.
 */
import { cpus, loadavg } from "node:os";
import { Flags, OrderType, Side, StpMode, TimeInForce } from "../engine/commands.ts";
import { OrderState } from "../engine/orders.ts";
import {
  type Ack,
  addL2Change,
  beginL2Update,
  decodeClient,
  decodeServer,
  encodeAck,
  encodeExecution,
  encodeNewOrder,
  endL2Update,
  type Execution,
  FrameWriter,
  isProtocolError,
  type L2Update,
  MessageType,
  type NewOrder,
} from "../protocol/index.ts";
import { Rng } from "./prng.ts";
import { parseFlags } from "./kit/args.ts";

interface Options {
  iters: number;
  trials: number;
  json: boolean;
  /** Internal: measure one codec and print its rows as JSON. */
  child: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { iters: 100_000, trials: 5, json: false, child: "" };
  parseFlags(argv, "usage: bun run bench/codec.ts [--iters N] [--trials T] [--json]", {
    "--iters": (v) => (o.iters = Math.floor(v.num())),
    "--trials": (v) => (o.trials = Math.floor(v.num())),
    "--json": () => (o.json = true),
    "--child": (v) => (o.child = v.raw() ?? ""),
  }, { min: 1, grouped: false });
  return o;
}

// ---------------------------------------------------------------- message sets

const SET = 1024;
const rng = new Rng(20240601);
const int = (lo: number, hi: number) => lo + (rng.u32() % (hi - lo + 1));
const big = () => int(1, 1 << 30) * 1000 + int(0, 999); // beyond 2^32: exercises the high half
const clientId = () => `cl-${int(0, 1e9).toString(36)}-${int(0, 1e6)}`;

const newOrders: NewOrder[] = Array.from({ length: SET }, (_, i) => ({
  type: MessageType.NEW_ORDER,
  requestId: i + 1,
  symbol: int(0, 20),
  side: int(0, 1),
  orderType: OrderType.LIMIT,
  tif: TimeInForce.GTC,
  stp: StpMode.CANCEL_NEWEST,
  flags: i % 4 === 0 ? Flags.POST_ONLY : 0,
  price: int(90_000, 110_000),
  stopPrice: 0,
  qty: int(1, 10_000),
  expireTime: 0,
  clientOrderId: clientId(),
}));

const acks: Ack[] = newOrders.map((n, i) => ({
  type: MessageType.ACK,
  seq: i + 1,
  requestId: n.requestId,
  symbol: n.symbol,
  orderId: big(),
  time: 1_717_200_000_000_000 + i,
  side: n.side,
  orderType: n.orderType,
  tif: n.tif,
  stp: n.stp,
  flags: n.flags,
  price: n.price,
  stopPrice: n.stopPrice,
  qty: n.qty,
  leaves: n.qty,
  expireTime: 0,
  clientOrderId: n.clientOrderId,
}));

const executions: Execution[] = newOrders.map((n, i) => ({
  type: MessageType.EXECUTION,
  seq: i + 1,
  symbol: n.symbol,
  orderId: big(),
  tradeId: big(),
  time: 1_717_200_000_000_000 + i,
  side: n.side,
  liquidity: i & 1,
  state: OrderState.PARTIALLY_FILLED,
  price: n.price,
  qty: int(1, 100),
  leaves: int(1, 1000),
  cumQty: int(1, 1000),
  clientOrderId: n.clientOrderId,
}));

const l2Updates: L2Update[] = Array.from({ length: SET }, (_, i) => ({
  type: MessageType.L2_UPDATE,
  symbol: int(0, 20),
  seq: i + 1,
  time: 1_717_200_000_000_000 + i,
  changes: Array.from({ length: 4 }, () => ({ side: int(0, 1), price: int(90_000, 110_000), qty: int(0, 100_000), orders: int(0, 50) })),
}));

// ---------------------------------------------------------------- codecs under test

/** `encode` returns the frame's length (the timed loop touches nothing else); `last` copies it out. */
interface Codec<T> {
  encode(m: T): number;
  last(): Uint8Array;
  decode(b: Uint8Array): T | null;
}

const w = new FrameWriter();
let lastLength = 0;
const lastFixed = () => w.bytes.slice(0, lastLength);

const fixedF64 = {
  newOrder: { encode: (m: NewOrder) => (lastLength = encodeNewOrder(w, m)), last: lastFixed, decode: (b: Uint8Array) => ok(decodeClient(b)) as NewOrder | null },
  ack: { encode: (m: Ack) => (lastLength = encodeAck(w, m)), last: lastFixed, decode: (b: Uint8Array) => ok(decodeServer(b)) as Ack | null },
  execution: { encode: (m: Execution) => (lastLength = encodeExecution(w, m)), last: lastFixed, decode: (b: Uint8Array) => ok(decodeServer(b)) as Execution | null },
  l2Update: {
    // The gateway's way: the builder, straight from event fields, no message object.
    encode: (m: L2Update) => {
      beginL2Update(w, m.symbol, m.seq, m.time);
      for (const c of m.changes) addL2Change(w, c.side, c.price, c.qty, c.orders);
      return (lastLength = endL2Update(w));
    },
    last: lastFixed,
    decode: (b: Uint8Array) => ok(decodeServer(b)) as L2Update | null,
  },
};

function ok<T>(x: T): T | null {
  return isProtocolError(x) ? null : x;
}

// Lean variants of the same layouts, hand-written here: only the integer representation differs.
function setF64(v: DataView, at: number, x: number): void {
  v.setFloat64(at, x, true);
}

/** Non-negative safe integer, or −1 when out of range. */
function getF64(v: DataView, at: number): number {
  const x = v.getFloat64(at, true);
  return Number.isSafeInteger(x) && x >= 0 ? x : -1;
}

const TWO32 = 4294967296;
const HI_MAX = 0x1fffff; // high half of 2^53 − 1

function setI64(v: DataView, at: number, x: number): void {
  const lo = x % TWO32;
  v.setUint32(at, lo | 0, true);
  v.setUint32(at + 4, (x - lo) / TWO32 | 0, true);
}

/** Non-negative safe integer from two u32 halves, or −1 when out of range. */
function getI64(v: DataView, at: number): number {
  const hi = v.getUint32(at + 4, true);
  return hi > HI_MAX ? -1 : hi * TWO32 + v.getUint32(at, true);
}

function setBig(v: DataView, at: number, x: number): void {
  v.setBigInt64(at, BigInt(x), true);
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
function getBig(v: DataView, at: number): number {
  const x = v.getBigInt64(at, true);
  return x < 0n || x > SAFE ? -1 : Number(x);
}

const latin1 = (Buffer.prototype as unknown as { latin1Slice: (s: number, e: number) => string }).latin1Slice;

function readId(b: Uint8Array, at: number): string | null {
  const n = b[at]!;
  if (n > 36 || at + 1 + n !== b.length) return null;
  for (let i = at + 1; i < at + 1 + n; i++) if (b[i]! < 0x21 || b[i]! > 0x7e) return null;
  return latin1.call(b, at + 1, at + 1 + n);
}

function writeId(b: Uint8Array, at: number, s: string): number {
  b[at] = s.length;
  for (let i = 0; i < s.length; i++) b[at + 1 + i] = s.charCodeAt(i);
  return at + 1 + s.length;
}

function leanCodecs(set: (v: DataView, at: number, x: number) => void, get: (v: DataView, at: number) => number) {
  const newOrder: Codec<NewOrder> = {
    encode(m) {
      if (!(Number.isSafeInteger(m.price) && m.price >= 0 && Number.isSafeInteger(m.qty) && m.qty >= 0)) throw new RangeError("bad");
      w.ensure(48 + m.clientOrderId.length);
      const v = w.view;
      v.setUint8(0, 1);
      v.setUint8(1, MessageType.NEW_ORDER);
      v.setUint32(2, m.requestId | 0, true);
      v.setUint32(6, m.symbol | 0, true);
      v.setUint8(10, m.side | 0);
      v.setUint8(11, m.orderType | 0);
      v.setUint8(12, m.tif | 0);
      v.setUint8(13, m.stp | 0);
      v.setUint8(14, m.flags | 0);
      set(v, 15, m.price);
      set(v, 23, m.stopPrice);
      set(v, 31, m.qty);
      set(v, 39, m.expireTime);
      return (lastLength = writeId(w.bytes, 47, m.clientOrderId));
    },
    last: lastFixed,
    decode(b) {
      if (b.length < 48 || b[0] !== 1 || b[1] !== MessageType.NEW_ORDER) return null;
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const side = b[10]!, orderType = b[11]!, tif = b[12]!, stp = b[13]!, flags = b[14]!;
      if (side > Side.SELL || orderType > OrderType.STOP_LIMIT || tif > TimeInForce.GTD || stp > StpMode.NONE || (flags & ~Flags.POST_ONLY) !== 0) return null;
      const price = get(v, 15), stopPrice = get(v, 23), qty = get(v, 31), expireTime = get(v, 39);
      if (price < 0 || stopPrice < 0 || qty < 0 || expireTime < 0) return null;
      const clientOrderId = readId(b, 47);
      if (clientOrderId === null) return null;
      return { type: MessageType.NEW_ORDER, requestId: v.getUint32(2, true), symbol: v.getUint32(6, true), side, orderType, tif, stp, flags, price, stopPrice, qty, expireTime, clientOrderId };
    },
  };
  const execution: Codec<Execution> = {
    encode(m) {
      w.ensure(74 + m.clientOrderId.length);
      const v = w.view;
      v.setUint8(0, 1);
      v.setUint8(1, MessageType.EXECUTION);
      set(v, 2, m.seq);
      v.setUint32(10, m.symbol | 0, true);
      set(v, 14, m.orderId);
      set(v, 22, m.tradeId);
      set(v, 30, m.time);
      v.setUint8(38, m.side | 0);
      v.setUint8(39, m.liquidity | 0);
      v.setUint8(40, m.state | 0);
      set(v, 41, m.price);
      set(v, 49, m.qty);
      set(v, 57, m.leaves);
      set(v, 65, m.cumQty);
      return (lastLength = writeId(w.bytes, 73, m.clientOrderId));
    },
    last: lastFixed,
    decode(b) {
      if (b.length < 74 || b[0] !== 1 || b[1] !== MessageType.EXECUTION) return null;
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const side = b[38]!, liquidity = b[39]!, state = b[40]!;
      if (side > 1 || liquidity > 1 || state > OrderState.REJECTED) return null;
      const seq = get(v, 2), orderId = get(v, 14), tradeId = get(v, 22), time = get(v, 30);
      const price = get(v, 41), qty = get(v, 49), leaves = get(v, 57), cumQty = get(v, 65);
      if (seq < 0 || orderId < 0 || tradeId < 0 || time < 0 || price < 0 || qty < 0 || leaves < 0 || cumQty < 0) return null;
      const clientOrderId = readId(b, 73);
      if (clientOrderId === null) return null;
      return { type: MessageType.EXECUTION, seq, symbol: v.getUint32(10, true), orderId, tradeId, time, side, liquidity, state, price, qty, leaves, cumQty, clientOrderId };
    },
  };
  return { newOrder, execution };
}

// msgpackr: the decoded object is checked field by field as the fixed decoder does.
const nat = (x: unknown): boolean => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
const u8max = (x: unknown, max: number): boolean => typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= max;
const u32 = (x: unknown): boolean => typeof x === "number" && x >>> 0 === x;
function asciiId(x: unknown): boolean {
  if (typeof x !== "string" || x.length > 36) return false;
  for (let i = 0; i < x.length; i++) {
    const c = x.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
type Obj = Record<string, unknown>;
const validators = {
  newOrder: (o: Obj) =>
    o.type === MessageType.NEW_ORDER && u32(o.requestId) && u32(o.symbol) && u8max(o.side, 1) && u8max(o.orderType, 3) && u8max(o.tif, 4) &&
    u8max(o.stp, 4) && u8max(o.flags, 1) && nat(o.price) && nat(o.stopPrice) && nat(o.qty) && nat(o.expireTime) && asciiId(o.clientOrderId),
  ack: (o: Obj) =>
    o.type === MessageType.ACK && nat(o.seq) && u32(o.requestId) && u32(o.symbol) && nat(o.orderId) && nat(o.time) && u8max(o.side, 1) &&
    u8max(o.orderType, 3) && u8max(o.tif, 4) && u8max(o.stp, 4) && u8max(o.flags, 1) && nat(o.price) && nat(o.stopPrice) && nat(o.qty) &&
    nat(o.leaves) && nat(o.expireTime) && asciiId(o.clientOrderId),
  execution: (o: Obj) =>
    o.type === MessageType.EXECUTION && nat(o.seq) && u32(o.symbol) && nat(o.orderId) && nat(o.tradeId) && nat(o.time) && u8max(o.side, 1) &&
    u8max(o.liquidity, 1) && u8max(o.state, 6) && nat(o.price) && nat(o.qty) && nat(o.leaves) && nat(o.cumQty) && asciiId(o.clientOrderId),
  l2Update: (o: Obj) => {
    if (o.type !== MessageType.L2_UPDATE || !u32(o.symbol) || !nat(o.seq) || !nat(o.time) || !Array.isArray(o.changes)) return false;
    for (const c of o.changes as Obj[]) {
      if (typeof c !== "object" || c === null || !u8max(c.side, 1) || !nat(c.price) || !nat(c.qty) || !u32(c.orders)) return false;
    }
    return true;
  },
};

type Kind = keyof typeof validators;

async function msgpackCodecs(records: boolean): Promise<Record<Kind, Codec<unknown>> | null> {
  let Packr: new (o: object) => { pack(x: unknown): Uint8Array; unpack(b: Uint8Array): unknown };
  try {
    ({ Packr } = (await import("msgpackr")) as unknown as { Packr: typeof Packr });
  } catch {
    return null;
  }
  const structures: unknown[] = [];
  const opts = records ? { useRecords: true, structures } : { useRecords: false };
  const packer = new Packr(opts);
  const unpacker = new Packr(opts);
  let last: Uint8Array = new Uint8Array(0);
  const make = (k: Kind): Codec<unknown> => ({
    encode: (m) => (last = packer.pack(m)).length,
    last: () => Uint8Array.from(last),
    decode: (b) => {
      let o: unknown;
      try {
        o = unpacker.unpack(b);
      } catch {
        return null;
      }
      return typeof o === "object" && o !== null && validators[k](o as Obj) ? o : null;
    },
  });
  return { newOrder: make("newOrder"), ack: make("ack"), execution: make("execution"), l2Update: make("l2Update") };
}

// ---------------------------------------------------------------- timing

interface Row {
  codec: string;
  message: Kind;
  bytes: number;
  encodeNs: number;
  decodeNs: number;
}

let sink = 0;

function timeEncode<T>(c: Codec<T>, set: T[], iters: number): number {
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < iters; i++) sink += c.encode(set[i & (SET - 1)]!);
  return (Bun.nanoseconds() - t0) / iters;
}

function timeDecode<T>(c: Codec<T>, frames: Uint8Array[], iters: number): number {
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < iters; i++) if (c.decode(frames[i & (SET - 1)]!) !== null) sink++;
  return (Bun.nanoseconds() - t0) / iters;
}

const WARM_MS = 200;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function measure<T>(o: Options, codecName: string, message: Kind, c: Codec<T>, set: T[]): Row {
  const frames = set.map((m) => {
    c.encode(m);
    return c.last();
  });
  for (let i = 0; i < SET; i++) {
    const back = c.decode(frames[i]!);
    if (!Bun.deepEquals(back, set[i])) throw new Error(`${codecName} ${message}: message ${i} did not survive a round trip: ${JSON.stringify(back)}`);
  }
  // Warm up by time, not count: on a loaded 2-core machine the JIT's compiler threads can lag,
  // and a count-based warm-up then times baseline code in some runs and optimized code in others.
  for (const end = performance.now() + WARM_MS; performance.now() < end; ) timeEncode(c, set, 20_000);
  for (const end = performance.now() + WARM_MS; performance.now() < end; ) timeDecode(c, frames, 20_000);
  const enc: number[] = [];
  const dec: number[] = [];
  for (let t = 0; t < o.trials; t++) {
    enc.push(timeEncode(c, set, o.iters));
    dec.push(timeDecode(c, frames, o.iters));
  }
  const bytes = frames.reduce((s, f) => s + f.length, 0) / SET;
  if (process.env.CODEC_TRIALS) console.error(codecName, message, enc.map((x) => x.toFixed(0)).join(" "), "/", dec.map((x) => x.toFixed(0)).join(" "));
  return { codec: codecName, message, bytes, encodeNs: median(enc), decodeNs: median(dec) };
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

const CODECS = ["fixed-f64", "lean-f64", "lean-i64", "lean-bigint", "msgpackr-rec", "msgpackr-map"] as const;
const SETS = { newOrder: newOrders, ack: acks, execution: executions, l2Update: l2Updates } as const;

async function codecsNamed(name: string): Promise<Partial<Record<Kind, Codec<unknown>>> | null> {
  switch (name) {
    case "fixed-f64": return fixedF64 as unknown as Record<Kind, Codec<unknown>>;
    case "lean-f64": return leanCodecs(setF64, getF64) as unknown as Partial<Record<Kind, Codec<unknown>>>;
    case "lean-i64": return leanCodecs(setI64, getI64) as unknown as Partial<Record<Kind, Codec<unknown>>>;
    case "lean-bigint": return leanCodecs(setBig, getBig) as unknown as Partial<Record<Kind, Codec<unknown>>>;
    case "msgpackr-rec": return msgpackCodecs(true);
    case "msgpackr-map": return msgpackCodecs(false);
    default: throw new Error(`unknown codec ${name}`);
  }
}

/**
 * One codec and one message in this process: what a child prints. Every pair runs in a process of
 * its own so that none inherits another's JIT profiles: the timing loops, the lean variants'
 * shared code and decodeServer would otherwise see several codecs or messages, deoptimize and,
 * on a busy 2-core machine, sometimes stay in a lower tier for a whole run.
 */
async function child(o: Options, pair: string): Promise<void> {
  const [name, message] = pair.split(":") as [string, Kind];
  const codec = (await codecsNamed(name))?.[message];
  const row = codec ? measure(o, name, message, codec, SETS[message] as unknown[]) : null;
  if (sink === 0.5) console.error("unreachable"); // keeps `sink`, and so the timed work, observable
  console.log(JSON.stringify(row));
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.child) return child(o, o.child);

  const t0 = performance.now();
  const rows: Row[] = [];
  const lean = new Set<Kind>(["newOrder", "execution"]);
  for (const message of Object.keys(SETS) as Kind[]) {
    for (const name of CODECS) {
      if (name.startsWith("lean-") && !lean.has(message)) continue;
      console.error(`${message} / ${name}: ${o.trials} × ${fmt(o.iters)} encodes and decodes, in a process of its own`);
      const args = [process.execPath, import.meta.path, "--child", `${name}:${message}`, "--iters", String(o.iters), "--trials", String(o.trials)];
      const p = Bun.spawnSync(args, { stderr: "inherit" });
      if (p.exitCode !== 0) throw new Error(`${name} ${message}: child exited with ${p.exitCode}`);
      const row = JSON.parse(p.stdout.toString().trim().split("\n").pop()!) as Row | null;
      if (row) rows.push(row);
      else console.error(`${name}: not measured (msgpackr is not installed; npm install)`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;

  console.log(`codec cost per message: ${o.trials} trials × ${fmt(o.iters)} messages, median; ${SET} seeded messages cycled; ` +
    `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}; Bun ${Bun.version}; ${seconds.toFixed(1)} s`);
  console.log("");
  const head = ["message", "codec", "bytes", "encode ns", "decode ns", "enc+dec ns", "vs fixed-f64"];
  const base = new Map(rows.filter((r) => r.codec === "fixed-f64").map((r) => [r.message, r.encodeNs + r.decodeNs]));
  const body = rows.map((r) => {
    const total = r.encodeNs + r.decodeNs;
    return [r.message, r.codec, fmt(r.bytes, 1), fmt(r.encodeNs, 1), fmt(r.decodeNs, 1), fmt(total, 1), `${fmt(total / base.get(r.message)!, 2)}×`];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(line(head));
  console.log(widths.map((x) => "-".repeat(x)).join("  "));
  let last = "";
  for (let i = 0; i < body.length; i++) {
    if (rows[i]!.message !== last && last !== "") console.log("");
    last = rows[i]!.message;
    console.log(line(body[i]!));
  }
  console.log("");
  console.log("decode includes the field checks (enums, safe integers, ASCII ids) in every row; the fixed encoders write into one reused buffer.");

  if (o.json) {
    const out: Record<string, number | string> = { iters: o.iters, trials: o.trials, load_average: Number(loadavg()[0]!.toFixed(2)), seconds: Number(seconds.toFixed(1)) };
    for (const r of rows) {
      const k = `${r.message}_${r.codec.replace(/-/g, "_")}`;
      out[`${k}_bytes`] = Number(r.bytes.toFixed(1));
      out[`${k}_encode_ns`] = Number(r.encodeNs.toFixed(1));
      out[`${k}_decode_ns`] = Number(r.decodeNs.toFixed(1));
    }
    console.log(JSON.stringify(out));
  }
}

await main();
