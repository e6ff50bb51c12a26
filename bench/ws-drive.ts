/**
 * Drivers of bench/ws.ts: N raw WebSocket connections (bench/kit/ws-wire.ts) sending frames built with
 * the protocol's encoders (protocol/), open loop on a schedule fixed before the run, or
 * closed loop with a window (the saturation probe), and timing every answer.
 *
 * Numbering: request j of a run (0-based, over all connections) goes on connection j mod N as that
 * connection's slot k = floor(j / N); its requestId is the run's base + j + 1, so an answer names
 * its request, and answers of an earlier run (late, after an overloaded step) are not counted.
 * Open loop: request j is scheduled at t0 + j·period; latency = answer's socket read − scheduled
 * send time, so a late send or a queue anywhere counts (no coordinated omission).
 *
 * An answer is the first frame that carries the request's id: ACK, REJECT, CANCELLED (a cancel's
 * confirmation) or ERROR from the gateway; the frame itself from the echo baseline.
 */
import { awaitClosed, Outcome, newSlots, paceOpen, type RunResult, type RunSlots, closedRunResult, openRunResult, startClosedRun } from "./kit/load.ts";
import { TimeInForce } from "../engine/commands.ts";
import { type Cancel, decodeServer, encodeCancel, encodeLogin, encodeMassCancel, encodeNewOrder, FrameWriter, type FrameWriter as FW, isProtocolError, MessageType, type NewOrder, type ServerMessage, signLogin } from "../protocol/index.ts";
import { connectMany, sleep, type WireConn, type WireTarget, withTimeout } from "./kit/ws-wire.ts";

/** Builds the frame of slot k of connection c into w; returns its length. `kind` 0 = order, 1 = cancel. */
export interface SlotSource {
  /** Called once per run before any frame: the run's id and the slots per connection it spans at most. */
  begin(run: number, perConn: number): void;
  frame(w: FW, c: number, k: number, requestId: number): number;
  /** Kind of the slot last built (0 new order, 1 cancel). */
  kind: number;
  /** The ACK of slot k of connection c arrived, naming the order. */
  ack?(c: number, k: number, orderId: number): void;
}

export { Outcome, type RunResult } from "./kit/load.ts";

const rd32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const f64Bytes = new Uint8Array(8);
const f64View = new Float64Array(f64Bytes.buffer);
function f64At(b: Uint8Array, at: number): number {
  for (let i = 0; i < 8; i++) f64Bytes[i] = b[at + i]!;
  return f64View[0]!;
}

interface Run extends RunSlots {
  reqBase: number;
}

export class Driver {
  readonly w = new FrameWriter(512);
  conns: WireConn[] = [];
  private run: Run | null = null;
  private nextReq = 1;
  /** Setup mode: frames decoded and offered to the waiter of their connection. */
  private inbox: ServerMessage[][] = [];
  private waiters: (((m: ServerMessage) => boolean) | null)[] = [];
  private cleanupIds = new Float64Array(0);
  private cleanupLeft = 0;
  private cleanupDone: (() => void) | null = null;
  private setup = true;
  private runs = 0;
  /** Connections the server closed since open(). */
  lost = 0;
  /** The run's SlotSource, when it wants ACKs. */
  private ackHook: SlotSource | null = null;

  constructor(
    readonly clock: () => number,
    readonly n: number,
  ) {}

  async open(target: WireTarget): Promise<void> {
    this.inbox = Array.from({ length: this.n }, () => []);
    this.waiters = new Array(this.n).fill(null);
    this.lost = 0;
    this.conns = await connectMany(target, this.n, 16, () => ({
      onFrame: (c, b, at, len) => this.onFrame(c, b, at, len),
      onClose: () => {
        // The server closed it: a connection whose unread answers passed the server's
        // backpressure limit is cut off (gateway and baselines alike).
        this.lost++;
        if (this.cleanupLeft > 0 && --this.cleanupLeft === 0) this.cleanupDone?.();
      },
    }));
    for (const c of this.conns) {
      c.stamp = this.clock;
      // Closed loop: what the answers of one read released goes out in one write.
      c.afterRead = (conn) => {
        if (conn.queued > 0) conn.flush();
      };
    }
  }

  /** Logs connection c in as `apiKeyId` (the gateway sends HELLO first). */
  async login(apiKeys: { id: string; secret: string }[]): Promise<number[]> {
    const accounts: number[] = [];
    this.setup = true;
    await Promise.all(
      this.conns.map(async (conn, c) => {
        const key = apiKeys[c % apiKeys.length]!;
        const hello = await this.expect(c, (m) => m.type === MessageType.HELLO);
        if (hello.type !== MessageType.HELLO) throw new Error("no HELLO");
        const timestamp = Math.floor(Date.now() * 1000);
        const requestId = this.nextReq++;
        const w = new FrameWriter(256);
        const len = encodeLogin(w, { type: MessageType.LOGIN, requestId, timestamp, flags: 0, signature: signLogin(key.secret, hello.nonce, timestamp, 0, key.id), apiKeyId: key.id });
        conn.send(w.bytes, len);
        conn.flush();
        const r = await this.expect(c, (m) => m.type === MessageType.LOGIN_RESULT);
        if (r.type !== MessageType.LOGIN_RESULT || r.code !== 0) throw new Error(`login of ${key.id} refused: ${JSON.stringify(r)}`);
        accounts[c] = r.account;
      }),
    );
    this.inbox.forEach((q) => (q.length = 0));
    return accounts;
  }

  private expect(c: number, pred: (m: ServerMessage) => boolean, ms = 10_000): Promise<ServerMessage> {
    const q = this.inbox[c]!;
    const i = q.findIndex(pred);
    if (i >= 0) return Promise.resolve(q.splice(i, 1)[0]!);
    return withTimeout(
      new Promise<ServerMessage>((resolve) => {
        this.waiters[c] = (m) => {
          if (!pred(m)) return false;
          this.waiters[c] = null;
          resolve(m);
          return true;
        };
      }),
      ms,
      `connection ${c}`,
    );
  }

  private onFrame(conn: WireConn, b: Uint8Array, at: number, len: number): void {
    const type = b[at + 1]!;
    const r = this.run;
    if (r !== null) {
      let id = 0;
      let outcome = 0;
      switch (type) {
        case MessageType.ACK:
          outcome = Outcome.ACK;
          id = rd32(b, at + 10);
          if (this.ackHook !== null) {
            const j = id - r.reqBase - 1;
            if (j >= 0 && j < r.count) this.ackHook.ack!(j % this.n, Math.floor(j / this.n), f64At(b, at + 18));
          }
          break;
        case MessageType.REJECT:
          outcome = Outcome.REJECT;
          id = rd32(b, at + 10);
          break;
        case MessageType.CANCELLED:
          outcome = Outcome.CANCELLED;
          id = rd32(b, at + 10);
          break;
        case MessageType.ERROR:
          outcome = Outcome.ERROR;
          id = rd32(b, at + 10);
          break;
        case MessageType.NEW_ORDER:
        case MessageType.CANCEL:
          outcome = Outcome.ECHO;
          id = rd32(b, at + 2);
          break;
      }
      if (id !== 0) {
        const j = id - r.reqBase - 1;
        if (j >= 0 && j < r.count && r.outcome[j] === 0) {
          const now = conn.readAt;
          r.outcome[j] = outcome;
          if (outcome === Outcome.REJECT || outcome === Outcome.ERROR) {
            const key = outcome === Outcome.REJECT ? `REJECT ${b[at + 14]! | (b[at + 15]! << 8)}` : `ERROR ${b[at + 14]! | (b[at + 15]! << 8)}`;
            r.reasons.set(key, (r.reasons.get(key) ?? 0) + 1);
          }
          r.lat[j] = now - (r.closed ? r.sendAt![j]! : r.t0 + j * r.period);
          r.answered++;
          r.lastAnswer = now;
          if (r.closed) {
            if (r.sendAt![j]! >= r.measureFrom && now <= r.until) r.inWindow++;
            if (now < r.until) this.sendClosed(r, conn.tag, now);
          }
          if (r.done !== null && r.answered === r.count) r.done();
        }
        return;
      }
    }
    if (this.cleanupLeft > 0 && (type === MessageType.MASS_CANCEL_DONE || type === MessageType.MASS_CANCEL)) {
      const id = rd32(b, at + (type === MessageType.MASS_CANCEL ? 2 : 10));
      if (id === this.cleanupIds[conn.tag]) {
        this.cleanupIds[conn.tag] = -1;
        if (--this.cleanupLeft === 0) this.cleanupDone?.();
      }
      return;
    }
    if (this.setup) {
      const m = decodeServer(b.subarray(at, at + len));
      if (isProtocolError(m)) return;
      const w = this.waiters[conn.tag];
      if (!w || !w(m)) this.inbox[conn.tag]!.push(m);
    }
  }

  /**
   * Open loop: `rate` requests/s for `seconds`, spread round-robin over the connections; waits for
   * every answer or `drainMs` past the last scheduled send. The pacer wakes on a timer (≥ 1 ms
   * apart at high rates) and sends everything that is due, one write per connection. `startAt`
   * (clock ns) fixes the first send time, when something else must know the schedule.
   */
  async runOpen(src: SlotSource, rate: number, seconds: number, drainMs: number, startAt = 0): Promise<RunResult> {
    const count = Math.max(1, Math.round(rate * seconds));
    const n = this.n;
    const period = 1e9 / rate;
    const r: Run = { ...newSlots(count, false, n), reqBase: this.nextReq, period };
    this.nextReq += count + 1;
    src.begin(this.runs++, Math.ceil(count / n));
    this.ackHook = src.ack ? src : null;
    const late = new Float64Array(count);
    this.setup = false;
    Bun.gc(true);
    const cpu0 = process.cpuUsage();
    const wall0 = this.clock();
    r.t0 = startAt > 0 ? startAt : this.clock() + 5e6;
    this.run = r;
    const finished = new Promise<void>((resolve) => (r.done = resolve));
    const w = this.w;
    const { sent: j, maxBacklog } = await paceOpen(this.clock, r.t0, period, count, late, this.conns, (j) => {
      const c = j % n;
      const len = src.frame(w, c, Math.floor(j / n), r.reqBase + j + 1);
      r.kind[j] = src.kind;
      this.conns[c]!.send(w.bytes, len);
    });
    await Promise.race([finished, sleep(drainMs)]);
    this.run = null;
    return openRunResult(r, rate, seconds, late, j, maxBacklog, process.cpuUsage(cpu0), this.clock() - wall0);
  }

  private sendClosed(r: Run, c: number, now: number): void {
    const k = r.next![c]!;
    const j = k * this.n + c;
    if (j >= r.count) return;
    r.next![c] = k + 1;
    const len = this.source!.frame(this.w, c, k, r.reqBase + j + 1);
    r.kind[j] = this.source!.kind;
    r.sendAt![j] = now;
    this.conns[c]!.send(this.w.bytes, len);
  }

  private source: SlotSource | null = null;

  /**
   * Closed loop: every connection keeps `window` requests outstanding for `seconds`; throughput is
   * counted over the answers to requests sent after the first `warmupS`.
   */
  async runClosed(src: SlotSource, window: number, seconds: number, warmupS: number, maxPerConn = 400_000): Promise<RunResult> {
    const n = this.n;
    const count = maxPerConn * n;
    const r: Run = { ...newSlots(count, true, n), reqBase: this.nextReq };
    this.nextReq += count + 1;
    this.source = src;
    src.begin(this.runs++, maxPerConn);
    this.ackHook = src.ack ? src : null;
    this.setup = false;
    const { cpu0, start } = startClosedRun(r, this.clock, seconds, warmupS);
    this.run = r;
    for (let c = 0; c < n; c++) {
      for (let i = 0; i < window; i++) {
        const k = r.next![c]!;
        r.next![c] = k + 1;
        const j = k * n + c;
        const len = src.frame(this.w, c, k, r.reqBase + j + 1);
        r.kind[j] = src.kind;
        r.sendAt![j] = this.clock();
        this.conns[c]!.send(this.w.bytes, len);
      }
      this.conns[c]!.flush();
    }
    await sleep(seconds * 1000);
    await awaitClosed(r, n);
    this.run = null;
    return closedRunResult(r, n, seconds, warmupS, process.cpuUsage(cpu0), this.clock() - start);
  }

  /**
   * MASS_CANCEL on every connection and wait for each MASS_CANCEL_DONE (or the echo of the frame):
   * since a connection's requests are answered in order, this also waits out the answers of the run
   * before it. Leaves the book empty for the next run.
   */
  async cleanup(timeoutMs = 60_000): Promise<void> {
    this.setup = false;
    this.cleanupIds = new Float64Array(this.n).fill(-1);
    this.cleanupLeft = this.conns.filter((c) => !c.closed).length;
    if (this.cleanupLeft === 0) return;
    const done = new Promise<void>((r) => (this.cleanupDone = r));
    this.conns.forEach((conn, c) => {
      if (conn.closed) return;
      const id = this.nextReq++;
      this.cleanupIds[c] = id;
      const len = encodeMassCancel(this.w, { type: MessageType.MASS_CANCEL, requestId: id, symbol: 1 });
      conn.send(this.w.bytes, len);
      conn.flush();
    });
    await withTimeout(done, timeoutMs, "MASS_CANCEL_DONE on every connection");
    this.cleanupDone = null;
  }

  close(): void {
    for (const c of this.conns) c.close();
    this.conns = [];
  }
}

/** The NEW_ORDER a flow rewrites in place for each request: 1 lot of symbol 1, LIMIT, with time in force `tif`. */
function newOrderTemplate(tif: number): NewOrder {
  return { type: MessageType.NEW_ORDER, requestId: 0, symbol: 1, side: 0, orderType: 0, tif, stp: 0, flags: 0, price: 0, stopPrice: 0, qty: 1, expireTime: 0, clientOrderId: "" } as NewOrder;
}

/**
 * The order-entry stream: limit orders of 1 lot that never cross (buys 2–201 ticks below the
 * reference price, sells 2–201 above; connections of an account without the base currency only
 * buy), and cancels of the connection's order placed 2L+1 slots earlier, L = the connection's
 * slots in `lagMs` at the run's rate — long enough for its ACK to be back when the server keeps
 * up — so each connection keeps about L orders resting and the book stays bounded. Per
 * connection: slots 0..L−1 are orders 0..L−1; then orders and cancels alternate (order L,
 * cancel 0, order L+1, cancel 1, …).
 *
 * Cancels name the order by the id its ACK carried. When that ACK is not back yet (the server is
 * behind) the cancel goes out anyway, for an id no order has, and is refused (UNKNOWN_ORDER): the
 * request stream stays the same whatever the server does; `blind` counts them. With `clientIds`,
 * orders carry a client order id `<run>.<connection>.<order>` (unique per account) and cancels
 * name that instead — the engine then keeps every order in its idempotency index for a day
 * (engine/idempotency-window.ts), which the state hash and snapshots serialize (see bench/README.md).
 */
export class RestingFlow implements SlotSource {
  kind = 0;
  blind = 0;
  private run = 0;
  private lag = 2;
  /** Per connection, order q's id once acked (0 = not yet). */
  private ids: Float64Array[] = [];
  private readonly order = newOrderTemplate(TimeInForce.GTC);
  private readonly cancel = { type: MessageType.CANCEL, requestId: 0, symbol: 1, orderId: 0, clientOrderId: "" } as Cancel;

  constructor(
    /** Reference price in ticks. */
    private readonly ref: number,
    /** Per connection: may it sell (holds the base currency)? */
    private readonly canSell: boolean[],
    readonly clientIds: boolean,
    /** Cancel lag in slots per connection, for the next run (set from the rate). */
    public lagSlots = 64,
  ) {}

  begin(run: number, perConn: number): void {
    this.run = run;
    this.blind = 0;
    this.lag = Math.max(2, this.lagSlots);
    if (!this.clientIds) this.ids = this.canSell.map(() => new Float64Array(perConn + 1));
  }

  ack(c: number, k: number, orderId: number): void {
    if (this.clientIds) return;
    const L = this.lag;
    const q = k < L ? k : ((k - L) & 1) === 0 ? L + ((k - L) >> 1) : -1;
    if (q >= 0) this.ids[c]![q] = orderId;
  }

  frame(w: FW, c: number, k: number, requestId: number): number {
    const L = this.lag;
    let q: number;
    if (k < L) q = k;
    else if (((k - L) & 1) === 0) q = L + ((k - L) >> 1);
    else {
      q = (k - L - 1) >> 1;
      this.kind = 1;
      const m = this.cancel;
      m.requestId = requestId;
      if (this.clientIds) m.clientOrderId = `${this.run}.${c}.${q}`;
      else {
        const id = this.ids[c]![q]!;
        if (id === 0) this.blind++;
        m.orderId = id === 0 ? 2 ** 52 : id;
      }
      return encodeCancel(w, m);
    }
    this.kind = 0;
    const o = this.order;
    const sell = this.canSell[c]! && (q & 1) === 1;
    const off = 2 + ((q * 7 + c * 13) % 200);
    o.requestId = requestId;
    o.side = sell ? 1 : 0;
    o.price = sell ? this.ref + off : this.ref - off;
    if (this.clientIds) o.clientOrderId = `${this.run}.${c}.${q}`;
    return encodeNewOrder(w, o);
  }
}

/**
 * The fan-out stream: immediate-or-cancel orders of 1 lot that each trade with one big resting
 * order — buys at the resting ask, sells at the resting bid, alternating — so every command
 * publishes exactly one L2_UPDATE (one level) and one TRADES (one trade) frame, and command k's
 * frames carry the k-th sequence numbers after the step's base.
 */
export class CrossingFlow implements SlotSource {
  kind = 0;
  private readonly order = newOrderTemplate(TimeInForce.IOC);

  constructor(
    private readonly bid: number,
    private readonly ask: number,
  ) {}

  begin(): void {}

  frame(w: FW, _c: number, k: number, requestId: number): number {
    const o = this.order;
    o.requestId = requestId;
    o.side = k & 1;
    o.price = (k & 1) === 0 ? this.ask : this.bid;
    return encodeNewOrder(w, o);
  }
}
