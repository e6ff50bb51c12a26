/**
 * The harness side of bench/ws.ts: a minimal WebSocket client straight on Bun.connect (RFC 6455
 * client framing, masked; server frames parsed in place), and a clock that agrees across processes.
 *
 * Why not the WebSocket class: the same harness has to drive the gateway and the raw Bun.serve
 * baselines at their limits, including 1,000 subscribers in one process. Here one `data` callback
 * parses every frame the kernel handed over in one read, with no event object or ArrayBuffer per
 * message, and a tick's frames for one connection go out in one write. Frames are handed to
 * `onFrame(conn, bytes, offset, length)` as a view into the read buffer, valid during the call.
 */
import type { Socket } from "bun";

// ---------------------------------------------------------------- clock

/**
 * Nanoseconds since a base instant shared by every process of one run: the parent picks `baseMs`
 * (an epoch time in ms) and hands it to its children. `performance.timeOrigin + performance.now()`
 * tracks CLOCK_REALTIME to ~1 µs in every Bun process (checked when this was written: two processes,
 * 0.3 µs apart); Bun.nanoseconds() is cheaper per call, so the offset between the two is taken once.
 * Values stay below 2^53 for ~100 days, exact in a double.
 */
export function makeClock(baseMs: number): () => number {
  let best = Infinity;
  let shift = 0;
  for (let i = 0; i < 50; i++) {
    const a = Bun.nanoseconds();
    const p = performance.now();
    const b = Bun.nanoseconds();
    if (b - a < best) {
      best = b - a;
      shift = (performance.timeOrigin - baseMs) * 1e6 + p * 1e6 - (a + b) / 2;
    }
  }
  return () => Bun.nanoseconds() + shift;
}

// ---------------------------------------------------------------- client

export type FrameHandler = (conn: WireConn, bytes: Uint8Array, offset: number, length: number) => void;

export interface WireTarget {
  hostname: string;
  port: number;
  path: string;
}

export function parseWsUrl(url: string): WireTarget {
  const u = new URL(url);
  return { hostname: u.hostname, port: Number(u.port), path: u.pathname || "/" };
}

const CRLF2 = [13, 10, 13, 10];

/**
 * One client connection. `send` masks a frame into the connection's batch; `flush` writes the
 * batch with one socket write (a partial write keeps the rest, in order, for the drain callback).
 */
export class WireConn {
  socket: Socket<WireConn> | null = null;
  upgraded = false;
  closed = false;
  /** Frames parsed (all opcodes). */
  frames = 0;
  /** Bytes not yet parsed (a frame split across reads). */
  private rest = new Uint8Array(0);
  private restLen = 0;
  private batch = new Uint8Array(16 * 1024);
  private batchLen = 0;
  private pending: Uint8Array[] = [];
  private readonly mask = crypto.getRandomValues(new Uint8Array(4));
  private upgradeResolve: (() => void) | null = null;
  private upgradeReject: ((e: Error) => void) | null = null;
  /** Free for the owner (a connection index, say). */
  tag = 0;
  /** When set, called once per socket read; `readAt` holds the value while that read's frames are handed over. */
  stamp: (() => number) | null = null;
  readAt = 0;
  /** When set, called after each socket read's frames were handed over (to flush what they queued). */
  afterRead: ((conn: WireConn) => void) | null = null;

  constructor(
    readonly target: WireTarget,
    public onFrame: FrameHandler,
    public onClose: ((conn: WireConn) => void) | null = null,
  ) {}

  /** Queues one binary frame (masked) holding `payload[0, length)`. */
  send(payload: Uint8Array, length: number): void {
    const head = length < 126 ? 6 : 8;
    this.reserve(head + length);
    const b = this.batch;
    let at = this.batchLen;
    b[at++] = 0x82;
    if (length < 126) b[at++] = 0x80 | length;
    else {
      b[at++] = 0x80 | 126;
      b[at++] = length >>> 8;
      b[at++] = length & 0xff;
    }
    const m = this.mask;
    b[at++] = m[0]!;
    b[at++] = m[1]!;
    b[at++] = m[2]!;
    b[at++] = m[3]!;
    for (let i = 0; i < length; i++) b[at + i] = payload[i]! ^ m[i & 3]!;
    this.batchLen = at + length;
  }

  get queued(): number {
    return this.batchLen;
  }

  /** Writes what `send` queued. */
  flush(): void {
    if (this.batchLen === 0 || this.closed || !this.socket) return;
    const data = this.batch.subarray(0, this.batchLen);
    if (this.pending.length > 0) this.pending.push(data.slice());
    else {
      const n = this.socket.write(data);
      if (n < data.length) this.pending.push(data.slice(Math.max(0, n)));
    }
    this.batchLen = 0;
  }

  /** Bytes the kernel did not take yet (the harness's own backlog on this connection). */
  get backlog(): number {
    let n = 0;
    for (const p of this.pending) n += p.length;
    return n;
  }

  /** Closes from this side; onClose is not called for it. */
  close(): void {
    this.closeNotified = true;
    if (this.closed) return;
    this.closed = true;
    this.socket?.end();
  }

  private closeNotified = false;

  /** The peer closed (close frame, FIN, error): onClose once. */
  private peerClosed(): void {
    this.closed = true;
    if (this.closeNotified) return;
    this.closeNotified = true;
    this.onClose?.(this);
  }

  private reserve(n: number): void {
    if (this.batchLen + n <= this.batch.length) return;
    let size = this.batch.length * 2;
    while (size < this.batchLen + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.batch.subarray(0, this.batchLen));
    this.batch = b;
  }

  // ---- socket callbacks

  /** @internal */
  drained(): void {
    while (this.pending.length > 0 && this.socket) {
      const p = this.pending[0]!;
      const n = this.socket.write(p);
      if (n >= p.length) this.pending.shift();
      else {
        this.pending[0] = p.subarray(Math.max(0, n));
        return;
      }
    }
  }

  /** @internal */
  opened(socket: Socket<WireConn>): void {
    this.socket = socket;
    socket.setNoDelay(true);
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
    const t = this.target;
    socket.write(`GET ${t.path} HTTP/1.1\r\nHost: ${t.hostname}:${t.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  }

  /** @internal */
  closedBySocket(): void {
    this.upgradeReject?.(new Error(`connection to ${this.target.hostname}:${this.target.port} closed before the upgrade`));
    this.upgradeResolve = this.upgradeReject = null;
    this.peerClosed();
  }

  /** @internal */
  received(chunk: Uint8Array): void {
    if (this.stamp !== null) this.readAt = this.stamp();
    let buf: Uint8Array;
    let len: number;
    if (this.restLen === 0) {
      buf = chunk;
      len = chunk.length;
    } else {
      if (this.restLen + chunk.length > this.rest.length) {
        const r = new Uint8Array(Math.max(this.rest.length * 2, this.restLen + chunk.length));
        r.set(this.rest.subarray(0, this.restLen));
        this.rest = r;
      }
      this.rest.set(chunk, this.restLen);
      this.restLen += chunk.length;
      buf = this.rest;
      len = this.restLen;
    }
    let at = 0;
    if (!this.upgraded) {
      const end = indexOf(buf, len, CRLF2);
      if (end < 0) return this.keep(buf, 0, len);
      const head = new TextDecoder().decode(buf.subarray(0, end));
      if (!/^HTTP\/1\.1 101/.test(head)) {
        this.upgradeReject?.(new Error(`upgrade refused: ${head.split("\r\n")[0]}`));
        this.upgradeResolve = this.upgradeReject = null;
        this.close();
        return;
      }
      this.upgraded = true;
      at = end + 4;
      this.upgradeResolve?.();
      this.upgradeResolve = this.upgradeReject = null;
    }
    while (at + 2 <= len) {
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      let n = b1 & 0x7f;
      let head = 2;
      if (n === 126) {
        if (at + 4 > len) break;
        n = (buf[at + 2]! << 8) | buf[at + 3]!;
        head = 4;
      } else if (n === 127) {
        if (at + 10 > len) break;
        n = (buf[at + 6]! * 0x1000000 + ((buf[at + 7]! << 16) | (buf[at + 8]! << 8) | buf[at + 9]!)) >>> 0;
        head = 10;
      }
      if (b1 & 0x80) head += 4; // servers do not mask; tolerated anyway (payload read as is)
      if (at + head + n > len) break;
      const opcode = b0 & 0x0f;
      this.frames++;
      if (opcode === 2) this.onFrame(this, buf, at + head, n);
      else if (opcode === 9) this.pong(buf, at + head, n);
      else if (opcode === 8) {
        this.peerClosed();
        this.socket?.end();
      }
      at += head + n;
    }
    this.keep(buf, at, len);
    if (this.afterRead !== null) this.afterRead(this);
  }

  private keep(buf: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (n === 0) {
      this.restLen = 0;
      return;
    }
    if (buf === this.rest) {
      if (from > 0) this.rest.copyWithin(0, from, to);
    } else {
      if (n > this.rest.length) this.rest = new Uint8Array(Math.max(4096, n * 2));
      this.rest.set(buf.subarray(from, to));
    }
    this.restLen = n;
  }

  private pong(buf: Uint8Array, at: number, n: number): void {
    const body = buf.slice(at, at + n);
    this.reserve(6 + n);
    const b = this.batch;
    let k = this.batchLen;
    b[k++] = 0x8a;
    b[k++] = 0x80 | n;
    for (let i = 0; i < 4; i++) b[k++] = this.mask[i]!;
    for (let i = 0; i < n; i++) b[k + i] = body[i]! ^ this.mask[i & 3]!;
    this.batchLen = k + n;
    this.flush();
  }

  /** @internal */
  waitUpgrade(): Promise<void> {
    if (this.upgraded) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.upgradeResolve = resolve;
      this.upgradeReject = reject;
    });
  }
}

function indexOf(buf: Uint8Array, len: number, pat: number[]): number {
  outer: for (let i = 0; i + pat.length <= len; i++) {
    for (let k = 0; k < pat.length; k++) if (buf[i + k] !== pat[k]) continue outer;
    return i;
  }
  return -1;
}

const handlers = {
  binaryType: "uint8array" as const,
  open(s: Socket<WireConn>) {
    s.data.opened(s);
  },
  data(s: Socket<WireConn>, d: Uint8Array) {
    s.data.received(d);
  },
  drain(s: Socket<WireConn>) {
    s.data.drained();
  },
  close(s: Socket<WireConn>) {
    s.data.closedBySocket();
  },
  error(s: Socket<WireConn>) {
    s.data.closedBySocket();
  },
};

/** Connects and completes the WebSocket upgrade. */
export async function connectWire(target: WireTarget, onFrame: FrameHandler, onClose?: (c: WireConn) => void, tag = 0): Promise<WireConn> {
  const conn = new WireConn(target, onFrame, onClose ?? null);
  conn.tag = tag;
  const upgraded = conn.waitUpgrade();
  await Bun.connect<WireConn>({ hostname: target.hostname, port: target.port, data: conn, socket: handlers });
  await withTimeout(upgraded, 10_000, `WebSocket upgrade to ${target.hostname}:${target.port}${target.path}`);
  return conn;
}

/** Opens `n` connections, at most `parallel` handshakes at a time. */
export async function connectMany(target: WireTarget, n: number, parallel: number, make: (i: number) => { onFrame: FrameHandler; onClose?: (c: WireConn) => void }): Promise<WireConn[]> {
  const out: WireConn[] = new Array(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      const h = make(i);
      out[i] = await connectWire(target, h.onFrame, h.onClose, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, lane));
  return out;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
    }),
  ]);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
