/**
 * bench/kit: the flag table every bench reads its command line with, the one WebSocket wire
 * client of the bench and the tests (frame heads written and read once, for both its load client
 * and the test tools), and the load loops both door harnesses run.
 */
import { afterAll, expect, test } from "bun:test";
import { parseFlags } from "../../bench/kit/args.ts";
import { closedInSendOrder, newSlots, paceOpen } from "../../bench/kit/load.ts";
import { InBuffer } from "../../bench/kit/socket-buffers.ts";
import { clientFrame, connectWire, parseWsUrl, upgradeRequest, WireParser } from "../../bench/kit/ws-wire.ts";

const SIZES = [0, 5, 125, 126, 300, 65535, 65536, 70_000];

function payload(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** A server frame as a server writes it: FIN, binary, unmasked length in 7, 16 or 64 bits. */
function serverFrame(p: Uint8Array): Uint8Array {
  const n = p.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = new Uint8Array(head + n);
  out[0] = 0x82;
  if (n < 126) out[1] = n;
  else if (n < 65536) {
    out[1] = 126;
    out[2] = n >> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(n));
  }
  out.set(p, head);
  return out;
}

test("parseFlags runs each flag's handler with its value, in order, and refuses what it does not know", () => {
  const seen: string[] = [];
  const table = {
    "--ops": (v: { num(): number }) => void seen.push(`ops=${v.num()}`),
    "--dir": (v: { str(): string }) => void seen.push(`dir=${v.str()}`),
    "--json": () => void seen.push("json"),
  };
  parseFlags(["--ops", "1_000_000", "--json", "--dir", "/tmp/x"], "usage", table);
  expect(seen).toEqual(["ops=1000000", "json", "dir=/tmp/x"]);
  expect(() => parseFlags(["--ops", "-1"], "usage", table)).toThrow("--ops needs a non-negative number, got -1");
  expect(() => parseFlags(["--ops", "0"], "usage", table, { min: 1 })).toThrow("--ops needs a positive number, got 0");
  expect(() => parseFlags(["--ops", "1_000"], "usage", table, { grouped: false })).toThrow("--ops needs a non-negative number, got 1_000");
  expect(() => parseFlags(["--ops"], "usage", table)).toThrow("--ops needs a non-negative number, got undefined");
  expect(() => parseFlags(["--opz", "3"], "usage", table)).toThrow("unknown argument --opz");
  expect(() => parseFlags(["toString"], "usage", table)).toThrow("unknown argument toString");
});

test("clientFrame masks the payload behind a 7-, 16- or 64-bit length, as RFC 6455 lays it out", () => {
  for (const n of SIZES) {
    const p = payload(n, n);
    const f = clientFrame(p, 2);
    expect(f[0]).toBe(0x82);
    expect(f[1]! & 0x80).toBe(0x80);
    const len7 = f[1]! & 0x7f;
    let at = 2;
    let len = len7;
    if (len7 === 126) {
      len = (f[2]! << 8) | f[3]!;
      at = 4;
    } else if (len7 === 127) {
      len = Number(new DataView(f.buffer).getBigUint64(2));
      at = 10;
    }
    expect([n, len7 === 126 ? n >= 126 && n < 65536 : len7 === 127 ? n >= 65536 : n < 126]).toEqual([len, true]);
    const mask = f.subarray(at, at + 4);
    const body = f.subarray(at + 4).map((b, i) => b ^ mask[i & 3]!);
    expect(Array.from(body)).toEqual(Array.from(p));
  }
});

test("WireParser reads the response head, then every frame of every length, whatever the reads cut", () => {
  const head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
  const frames = SIZES.map((n) => serverFrame(payload(n, n + 1)));
  const stream = new Uint8Array(head.length + frames.reduce((a, f) => a + f.length, 0));
  stream.set(new TextEncoder().encode(head));
  let at = head.length;
  for (const f of frames) {
    stream.set(f, at);
    at += f.length;
  }
  // Byte by byte over the small frames; larger cuts over all (the parser copies what it buffers).
  const small = head.length + frames.slice(0, 5).reduce((a, f) => a + f.length, 0);
  for (const [cut, end, count] of [[1, small, 5], [1000, stream.length, SIZES.length], [stream.length, stream.length, SIZES.length]] as const) {
    const w = new WireParser();
    for (let i = 0; i < end; i += cut) w.push(stream.subarray(i, Math.min(end, i + cut)));
    expect(w.head).toBe(head.slice(0, -4));
    expect(w.frames.map((f) => f.payload)).toEqual(SIZES.slice(0, count).map((n) => payload(n, n + 1)));
    expect(w.pending).toBe(0);
  }
});

test("InBuffer hands back a read as it is, or joined to what the read before left", () => {
  const b = new InBuffer(0);
  const first = new Uint8Array([1, 2, 3, 4, 5]);
  expect(b.join(first)).toBe(first);
  b.keep(first, 3, 5); // 4, 5 incomplete
  const joined = b.join(new Uint8Array([6, 7]));
  expect(Array.from(joined.subarray(0, b.length))).toEqual([4, 5, 6, 7]);
  b.keep(joined, 1, 4); // 5, 6, 7 still incomplete, moved to the front
  const again = b.join(new Uint8Array([8]));
  expect(Array.from(again.subarray(0, b.length))).toEqual([5, 6, 7, 8]);
  b.keep(again, 4, 4);
  const fresh = new Uint8Array([9]);
  expect(b.join(fresh)).toBe(fresh);
});

// ---------------------------------------------------------------- WireConn against a real server

const pongs: string[] = [];
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req, s) {
    return s.upgrade(req) ? undefined : new Response("no", { status: 400 });
  },
  websocket: {
    message(ws, m) {
      ws.send(m); // echo
      if (typeof m !== "string" && m.length === 5) ws.ping(new Uint8Array([1, 2, 3]));
    },
    pong(_ws, data) {
      pongs.push(Array.from(data).join(","));
    },
  },
});
afterAll(() => server.stop(true));

test("WireConn sends masked frames of every length, reads the echoes whole across reads, and answers a ping", async () => {
  const got: number[][] = [];
  let wake: (() => void) | null = null;
  const conn = await connectWire(parseWsUrl(`ws://127.0.0.1:${server.port}/`), (_c, bytes, offset, length) => {
    got.push(Array.from(bytes.subarray(offset, offset + length)));
    wake?.();
  });
  const sent = SIZES.filter((n) => n > 0).map((n) => payload(n, n + 2));
  for (const p of sent) conn.send(p, p.length);
  conn.flush();
  while (got.length < sent.length || pongs.length === 0) await new Promise<void>((r) => (wake = r));
  expect(got).toEqual(sent.map((p) => Array.from(p)));
  expect(pongs).toEqual(["1,2,3"]);
  conn.close();
});

test("upgradeRequest is the request a WebSocket server accepts", async () => {
  const w = new WireParser();
  let done: () => void = () => {};
  const upgraded = new Promise<void>((r) => (done = r));
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port: server.port!,
    socket: {
      data(_s, d) {
        w.push(new Uint8Array(d));
        if (w.head) done();
      },
    },
  });
  s.write(upgradeRequest("127.0.0.1", server.port!, "/"));
  await upgraded;
  expect(w.head.split("\r\n")[0]).toBe("HTTP/1.1 101 Switching Protocols");
  s.end();
});

// ---------------------------------------------------------------- the harnesses' load loops

test("paceOpen sends every request once, in order, never before its time, flushing each tick", async () => {
  const clock = () => Bun.nanoseconds();
  const count = 20;
  const period = 1e6; // 1 ms
  const late = new Float64Array(count);
  const sentAt: number[] = [];
  let flushes = 0;
  const conn = { queued: 0, backlog: 7, flush: () => void flushes++ };
  const t0 = clock() + 2e6;
  const { sent, maxBacklog } = await paceOpen(clock, t0, period, count, late, [conn], (j) => {
    sentAt.push(clock());
    conn.queued = 1;
    expect(j).toBe(sentAt.length - 1);
  });
  expect([sent, maxBacklog, sentAt.length]).toEqual([count, 7, count]);
  for (let j = 0; j < count; j++) {
    expect(sentAt[j]!).toBeGreaterThanOrEqual(t0 + j * period);
    expect(late[j]!).toBeGreaterThanOrEqual(0);
  }
  expect(flushes).toBeGreaterThan(0);
});

test("closedInSendOrder keeps only the slots sent, ordered by when they were sent", () => {
  // 2 connections; slot j = k·2 + c. Connection 0 sent k = 0, 1; connection 1 sent k = 0.
  const r = newSlots(8, true, 2);
  r.next![0] = 2;
  r.next![1] = 1;
  const sendAt = [30, 10, 20]; // slots 0, 1, 2
  for (const [j, t] of sendAt.entries()) {
    r.sendAt![j] = t;
    r.lat[j] = 100 + j;
    r.kind[j] = j % 2;
    r.outcome[j] = 1;
  }
  const sub = closedInSendOrder(r, 2);
  expect(sub.count).toBe(3);
  expect(Array.from(sub.lat)).toEqual([101, 102, 100]);
  expect(Array.from(sub.kind)).toEqual([1, 0, 0]);
});
