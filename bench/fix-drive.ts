/**
 * The FIX side of bench/fix.ts: N FIX 4.4 initiator sessions straight on Bun.connect, sending the
 * order stream bench/ws-drive.ts's RestingFlow sends over WebSocket, open loop on a schedule fixed
 * before the run or closed loop with a window, and timing every answer.
 *
 * Lean on purpose — the harness shares the machine with the server, and the WebSocket harness it is
 * compared with (bench/kit/ws-wire.ts) parses frames in place and writes one batch per connection per
 * tick: here too every message is written straight into the connection's batch (header, body,
 * BodyLength and CheckSum computed as the bytes are laid down; `--encode-fix` uses the codec's
 * encodeFix per message instead, to measure the difference), and received messages are framed
 * (BodyLength, CheckSum checked) and scanned in the read buffer for the few tags that matter
 * (35, 11, 150, 45, 102, 103, 58, 112), with no string or object per message. An answer is matched
 * to its request by ClOrdID (tag 11), `<run>.<j>`: j is the request's index in the run.
 *
 * Numbering: request j of a run goes on connection j mod N as that connection's slot k = floor(j / N),
 * as in ws-drive.ts. Open loop: request j is scheduled at t0 + j·period; latency = the socket read
 * holding the answer − the scheduled send, so a late send or a queue anywhere counts.
 *
 * Answers: NewOrderSingle → ExecutionReport ExecType 0 (New: "ACK") or 8 (Rejected: "REJECT");
 * OrderCancelRequest → ExecutionReport ExecType 4 ("CANCELLED") or OrderCancelReject (35=9,
 * "REJECT"); a session Reject (35=3) or BusinessMessageReject (35=j) is an "ERROR", matched by
 * RefSeqNum (45).
 */
import { encodeFix, fixTimestamp } from "../gateway/fix/codec.ts";
import type { Field } from "../gateway/fix/message.ts";
import { awaitClosed, Outcome, newSlots, paceOpen, type RunResult, type RunSlots, closedRunResult, openRunResult, startClosedRun } from "./kit/load.ts";
import { sleep, withTimeout } from "./kit/ws-wire.ts";
import { ascii, SOH, BEGIN, TRAILER_TAG, FixWriter, T34, T35, T49, T52, T56, digitsOf, latin } from "./fix-bytes.ts";
import { type FixSlotSource } from "./fix-flows.ts";
import { FixConn, handlers } from "./fix-conn.ts";

// ---------------------------------------------------------------- driver

interface Run extends RunSlots {
  run: number;
  /** Per connection: MsgSeqNum of its slot 0 (to map a session Reject's RefSeqNum to a request). */
  seqBase: Float64Array;
}

/** Parsed fields of the message being handled (positions into the read buffer). */
interface Scan {
  msgType: number;
  msgType2: number;
  clStart: number;
  clEnd: number;
  execType: number;
  refSeq: number;
  reason: number;
  textStart: number;
  textEnd: number;
  testStart: number;
  testEnd: number;
}

export interface FixLogin {
  senderCompId: string;
  username: string;
  password: string;
}

export class FixDriver {
  conns: FixConn[] = [];
  private run: Run | null = null;
  private runs = 0;
  /** Connections closed by the server since open(). */
  lost = 0;
  /** Messages that failed framing or CheckSum (the acceptor should never send one). */
  garbled = 0;
  /** TestRequests answered (each shifts that connection's MsgSeqNums; 0 with HeartBtInt 0). */
  testRequests = 0;
  /** Session-level messages seen outside a run, by MsgType (heartbeats, rejects, …). */
  readonly other = new Map<string, number>();
  private readonly w = new FixWriter();
  private readonly head = new FixWriter();
  private source: FixSlotSource | null = null;
  private logonWait: ((c: FixConn, ok: boolean, text: string) => void) | null = null;
  private cleanupLeft = 0;
  private cleanupDone: (() => void) | null = null;
  private cleanupTag = 0;
  private readonly sc: Scan = { msgType: 0, msgType2: 0, clStart: 0, clEnd: 0, execType: 0, refSeq: 0, reason: 0, textStart: 0, textEnd: 0, testStart: 0, testEnd: 0 };
  private tsMs = -1;
  private tsText = "";
  private tsBytes: Uint8Array = new Uint8Array(0);
  private readonly targetBytes: Uint8Array;

  constructor(
    readonly clock: () => number,
    readonly n: number,
    readonly target = "BOURSE",
    /** Use encodeFix (gateway/fix/codec.ts) per message instead of writing the bytes in place. */
    readonly useEncodeFix = false,
  ) {
    this.targetBytes = ascii(target);
  }

  /** Connects N sessions and logs each on (ResetSeqNumFlag, HeartBtInt 0: no heartbeats). */
  async open(host: string, port: number, logins: FixLogin[]): Promise<void> {
    this.lost = 0;
    this.conns = [];
    for (let c = 0; c < this.n; c++) {
      const conn = new FixConn(this, c, logins[c]!.senderCompId);
      await Bun.connect<FixConn>({ hostname: host, port, data: conn, socket: handlers });
      this.conns.push(conn);
    }
    const waiting = new Map<FixConn, { resolve: () => void; reject: (e: Error) => void }>();
    this.logonWait = (c, ok, text) => {
      const w = waiting.get(c);
      if (!w) return;
      waiting.delete(c);
      if (ok) w.resolve();
      else w.reject(new Error(`logon of ${c.sender} refused: ${text}`));
    };
    const all = this.conns.map((conn, c) => {
      const p = new Promise<void>((resolve, reject) => waiting.set(conn, { resolve, reject }));
      const l = logins[c]!;
      this.emitFields(conn, "A", [
        [98, "0"],
        [108, "0"],
        [141, "Y"],
        [553, l.username],
        [554, l.password],
      ]);
      conn.flush();
      return withTimeout(p, 10_000, `FIX logon of ${l.senderCompId}`);
    });
    await Promise.all(all);
    this.logonWait = null;
  }

  // ---- sending

  private timestamp(): void {
    const ms = Date.now();
    if (ms !== this.tsMs) {
      this.tsMs = ms;
      this.tsText = fixTimestamp(ms);
      this.tsBytes = ascii(this.tsText);
    }
  }

  /** Header (35, 34, 49, 52, 56) + the body in `this.w`, framed into the connection's batch. */
  private frame(conn: FixConn, msgType: string): void {
    const h = this.head;
    h.reset();
    h.raw(T35);
    h.str(msgType);
    h.byte(SOH);
    h.raw(T34);
    h.int(conn.seq++);
    h.byte(SOH);
    h.raw(T49);
    h.raw(conn.senderBytes);
    h.byte(SOH);
    h.raw(T52);
    h.raw(this.tsBytes);
    h.byte(SOH);
    h.raw(T56);
    h.raw(this.targetBytes);
    h.byte(SOH);
    const body = h.n + this.w.n;
    const out = conn.reserve(BEGIN.length + 12 + body + 7);
    const start = conn.batchEnd;
    let at = start;
    out.set(BEGIN, at);
    at += BEGIN.length;
    // BodyLength digits
    let digits = 0;
    for (let x = body; x >= 1; x = Math.floor(x / 10)) digits++;
    at += digits;
    for (let x = body, p = at; x >= 1; x = Math.floor(x / 10)) out[--p] = 0x30 + (x % 10);
    out[at++] = SOH;
    out.set(h.b.subarray(0, h.n), at);
    at += h.n;
    out.set(this.w.b.subarray(0, this.w.n), at);
    at += this.w.n;
    let sum = 0;
    for (let i = start; i < at; i++) sum += out[i]!;
    sum &= 0xff;
    out.set(TRAILER_TAG, at);
    at += 3;
    out[at++] = 0x30 + Math.floor(sum / 100);
    out[at++] = 0x30 + (Math.floor(sum / 10) % 10);
    out[at++] = 0x30 + (sum % 10);
    out[at++] = SOH;
    conn.batchEnd = at;
  }

  /** A message given as fields (set-up messages, and every message with useEncodeFix). */
  private emitFields(conn: FixConn, type: string, body: Field[]): void {
    this.timestamp();
    const bytes = encodeFix([[35, type], [34, String(conn.seq++)], [49, conn.sender], [52, this.tsText], [56, this.target], ...body]);
    const out = conn.reserve(bytes.length);
    out.set(bytes, conn.batchEnd);
    conn.batchEnd += bytes.length;
  }

  /** Builds request j (slot k of connection c) into the connection's batch. */
  private emit(src: FixSlotSource, conn: FixConn, k: number, j: number): void {
    this.timestamp();
    if (this.useEncodeFix) {
      const m = src.fields(conn.tag, k, j, this.tsText);
      this.emitFields(conn, m.type, m.body);
      return;
    }
    this.w.reset();
    const type = src.write(this.w, conn.tag, k, j, this.tsText);
    this.frame(conn, type);
  }

  /**
   * Checks that the in-place encoder writes exactly what encodeFix writes, for the first slots of
   * a flow (the same seq and SendingTime); throws on a difference.
   */
  static selfCheck(src: FixSlotSource, n: number, slots: number): void {
    const d = new FixDriver(() => 0, n, "BOURSE", false);
    const conn = new FixConn(d, 0, "CHECK");
    d.tsMs = 1_700_000_000_123;
    d.tsText = fixTimestamp(d.tsMs);
    d.tsBytes = ascii(d.tsText);
    src.begin(0, slots, n);
    for (let k = 0; k < slots; k++) {
      conn.batchEnd = 0;
      conn.seq = 1000 + k;
      d.w.reset();
      const type = src.write(d.w, 0, k, k * n, d.tsText);
      d.frame(conn, type);
      const x = conn.reserve(0).subarray(0, conn.batchEnd);
      const m = src.fields(0, k, k * n, d.tsText);
      const y = encodeFix([[35, m.type], [34, String(1000 + k)], [49, "CHECK"], [52, d.tsText], [56, "BOURSE"], ...m.body]);
      if (m.type !== type || x.length !== y.length || x.some((v, i) => v !== y[i])) {
        const show = (u: Uint8Array) => Array.from(u, (ch) => (ch === 1 ? "|" : String.fromCharCode(ch))).join("");
        throw new Error(`FIX encoder self-check failed at slot ${k}:\n  in place:  ${show(x)}\n  encodeFix: ${show(y)}`);
      }
    }
  }

  // ---- receiving

  /** Frames and handles one message at buf[at..len); returns the bytes it used, 0 if incomplete. */
  parse(conn: FixConn, buf: Uint8Array, at: number, len: number): number {
    if (len - at < BEGIN.length + 2) return 0;
    for (let i = 0; i < BEGIN.length; i++) {
      if (buf[at + i] !== BEGIN[i]) return this.garble(conn, len - at);
    }
    let q = at + BEGIN.length;
    let bodyLen = 0;
    for (;;) {
      if (q >= len) return 0;
      const ch = buf[q]!;
      if (ch === SOH) break;
      if (ch < 0x30 || ch > 0x39) return this.garble(conn, len - at);
      bodyLen = bodyLen * 10 + (ch - 0x30);
      q++;
    }
    const bodyStart = q + 1;
    const bodyEnd = bodyStart + bodyLen;
    const total = bodyEnd + 7 - at;
    if (len - at < total) return 0;
    let sum = 0;
    for (let i = at; i < bodyEnd; i++) sum += buf[i]!;
    const got = (buf[bodyEnd + 3]! - 0x30) * 100 + (buf[bodyEnd + 4]! - 0x30) * 10 + (buf[bodyEnd + 5]! - 0x30);
    if (buf[bodyEnd] !== 0x31 || buf[bodyEnd + 1] !== 0x30 || buf[bodyEnd + 2] !== 0x3d || got !== (sum & 0xff)) {
      this.garbled++;
      return total;
    }
    const s = this.sc;
    s.msgType = 0;
    s.msgType2 = 0;
    s.clStart = s.clEnd = -1;
    s.execType = 0;
    s.refSeq = 0;
    s.reason = -1;
    s.textStart = s.textEnd = -1;
    s.testStart = s.testEnd = -1;
    let i = bodyStart;
    while (i < bodyEnd) {
      let tag = 0;
      let ch = buf[i]!;
      while (ch !== 0x3d && i < bodyEnd) {
        tag = tag * 10 + (ch - 0x30);
        ch = buf[++i]!;
      }
      const vs = ++i;
      while (i < bodyEnd && buf[i] !== SOH) i++;
      const ve = i++;
      switch (tag) {
        case 35:
          s.msgType = buf[vs]!;
          s.msgType2 = ve - vs > 1 ? buf[vs + 1]! : 0;
          break;
        case 11:
          s.clStart = vs;
          s.clEnd = ve;
          break;
        case 150:
          s.execType = buf[vs]!;
          break;
        case 45:
          s.refSeq = digitsOf(buf, vs, ve);
          break;
        case 102:
        case 103:
          s.reason = digitsOf(buf, vs, ve);
          break;
        case 58:
          s.textStart = vs;
          s.textEnd = ve;
          break;
        case 112:
          s.testStart = vs;
          s.testEnd = ve;
          break;
      }
    }
    this.handle(conn, buf, s);
    return total;
  }

  private garble(conn: FixConn, rest: number): number {
    this.garbled++;
    // The acceptor never sends garbage; skipping the rest of this read is enough to go on.
    void conn;
    return rest;
  }

  private handle(conn: FixConn, buf: Uint8Array, s: Scan): void {
    const r = this.run;
    const t = s.msgType2 === 0 ? s.msgType : -1;
    if (r !== null && (t === 0x38 /* 8 */ || t === 0x39 /* 9 */ || t === 0x33 /* 3 */ || t === 0x6a /* j */)) {
      let j = -1;
      let outcome = 0;
      let key = "";
      if (t === 0x38 || t === 0x39) {
        if (s.clStart < 0) return;
        // ClOrdID <run>.<j>
        let p = s.clStart;
        let run = 0;
        while (p < s.clEnd && buf[p] !== 0x2e) run = run * 10 + (buf[p++]! - 0x30);
        if (p >= s.clEnd || run !== r.run) return;
        j = digitsOf(buf, p + 1, s.clEnd);
        if (t === 0x39) {
          outcome = Outcome.REJECT;
          key = `OrderCancelReject 102=${s.reason}`;
        } else if (s.execType === 0x30 /* New */) outcome = Outcome.ACK;
        else if (s.execType === 0x34 /* Canceled */) outcome = Outcome.CANCELLED;
        else if (s.execType === 0x38 /* Rejected */) {
          outcome = Outcome.REJECT;
          key = `ExecutionReport rejected 103=${s.reason}`;
        } else return;
      } else {
        outcome = Outcome.ERROR;
        const k = s.refSeq - r.seqBase[conn.tag]!;
        j = k >= 0 ? k * this.n + conn.tag : -1;
        key = `${t === 0x33 ? "Reject (3)" : "BusinessMessageReject (j)"}: ${s.textStart >= 0 ? latin(buf, s.textStart, s.textEnd) : ""}`;
      }
      if (j >= 0 && j < r.count && r.outcome[j] === 0) {
        const now = conn.readAt;
        r.outcome[j] = outcome;
        if (key !== "") r.reasons.set(key, (r.reasons.get(key) ?? 0) + 1);
        r.lat[j] = now - (r.closed ? r.sendAt![j]! : r.t0 + j * r.period);
        r.answered++;
        r.lastAnswer = now;
        if (r.closed) {
          if (r.sendAt![j]! >= r.measureFrom && now <= r.until) r.inWindow++;
          if (now < r.until) this.sendClosed(r, conn, now);
        }
        if (r.done !== null && r.answered === r.count) r.done();
      }
      return;
    }
    switch (t) {
      case 0x41: // A: Logon answer
        this.logonWait?.(conn, true, "");
        return;
      case 0x35: {
        // 5: Logout
        conn.logoutText = s.textStart >= 0 ? latin(buf, s.textStart, s.textEnd) : "";
        this.logonWait?.(conn, false, conn.logoutText);
        return;
      }
      case 0x72: {
        // r: OrderMassCancelReport of a cleanup
        if (this.cleanupLeft > 0 && s.clStart >= 0 && latin(buf, s.clStart, s.clEnd) === `M${this.cleanupTag}.${conn.tag}`) {
          if (--this.cleanupLeft === 0) this.cleanupDone?.();
        }
        return;
      }
      case 0x31: {
        // 1: TestRequest (not with HeartBtInt 0, but answered anyway)
        this.testRequests++;
        this.timestamp();
        this.emitFields(conn, "0", s.testStart >= 0 ? [[112, latin(buf, s.testStart, s.testEnd)]] : []);
        conn.flush();
        return;
      }
      default: {
        const name = s.msgType2 === 0 ? String.fromCharCode(s.msgType) : String.fromCharCode(s.msgType, s.msgType2);
        this.other.set(name, (this.other.get(name) ?? 0) + 1);
      }
    }
  }

  /** Closed loop: what the answers of one read released goes out in one write. */
  afterRead(conn: FixConn): void {
    if (conn.queued > 0) conn.flush();
  }

  peerClosed(conn: FixConn): void {
    if (conn.closed) return;
    conn.closed = true;
    this.lost++;
    if (this.cleanupLeft > 0 && --this.cleanupLeft === 0) this.cleanupDone?.();
  }

  // ---- runs

  private newRun(count: number, closed: boolean): Run {
    const r: Run = { ...newSlots(count, closed, this.n), run: this.runs++, seqBase: new Float64Array(this.n) };
    for (let c = 0; c < this.n; c++) r.seqBase[c] = this.conns[c]!.seq;
    return r;
  }

  /**
   * Open loop: `rate` requests/s for `seconds`, round-robin over the sessions; waits for every
   * answer or `drainMs` past the last scheduled send. The pacer wakes on a timer (≥ 1 ms apart at
   * high rates) and sends everything due, one write per connection — as ws-drive.ts's Driver.
   */
  async runOpen(src: FixSlotSource, rate: number, seconds: number, drainMs: number): Promise<RunResult> {
    const count = Math.max(1, Math.round(rate * seconds));
    const n = this.n;
    const period = 1e9 / rate;
    const r = this.newRun(count, false);
    r.period = period;
    src.begin(r.run, Math.ceil(count / n), n);
    const late = new Float64Array(count);
    Bun.gc(true);
    const cpu0 = process.cpuUsage();
    const wall0 = this.clock();
    r.t0 = this.clock() + 5e6;
    this.run = r;
    const finished = new Promise<void>((resolve) => (r.done = resolve));
    const { sent: j, maxBacklog } = await paceOpen(this.clock, r.t0, period, count, late, this.conns, (j) => {
      this.emit(src, this.conns[j % n]!, Math.floor(j / n), j);
      r.kind[j] = src.kind;
    });
    await Promise.race([finished, sleep(drainMs)]);
    this.run = null;
    return openRunResult(r, rate, seconds, late, j, maxBacklog, process.cpuUsage(cpu0), this.clock() - wall0);
  }

  private sendClosed(r: Run, conn: FixConn, now: number): void {
    const c = conn.tag;
    const k = r.next![c]!;
    const j = k * this.n + c;
    if (j >= r.count) return;
    r.next![c] = k + 1;
    this.emit(this.source!, conn, k, j);
    r.kind[j] = this.source!.kind;
    r.sendAt![j] = now;
  }

  /**
   * Closed loop: every session keeps `window` requests outstanding for `seconds`; throughput is
   * counted over the answers to requests sent after the first `warmupS`.
   */
  async runClosed(src: FixSlotSource, window: number, seconds: number, warmupS: number, maxPerConn = 400_000): Promise<RunResult> {
    const n = this.n;
    const count = maxPerConn * n;
    const r = this.newRun(count, true);
    this.source = src;
    src.begin(r.run, maxPerConn, n);
    const { cpu0, start } = startClosedRun(r, this.clock, seconds, warmupS);
    this.run = r;
    for (let c = 0; c < n; c++) {
      const conn = this.conns[c]!;
      for (let i = 0; i < window; i++) {
        const k = r.next![c]!;
        r.next![c] = k + 1;
        const j = k * n + c;
        this.emit(src, conn, k, j);
        r.kind[j] = src.kind;
        r.sendAt![j] = this.clock();
      }
      conn.flush();
    }
    await sleep(seconds * 1000);
    await awaitClosed(r, n);
    this.run = null;
    return closedRunResult(r, n, seconds, warmupS, process.cpuUsage(cpu0), this.clock() - start);
  }

  /**
   * OrderMassCancelRequest (by symbol) on every session, waiting for each OrderMassCancelReport:
   * a session's requests are answered in order, so this also waits out the run's last answers.
   */
  async cleanup(symbol: string, timeoutMs = 60_000): Promise<void> {
    const live = this.conns.filter((c) => !c.closed);
    if (live.length === 0) return;
    this.cleanupTag++;
    this.cleanupLeft = live.length;
    const done = new Promise<void>((r) => (this.cleanupDone = r));
    for (const conn of live) {
      this.emitFields(conn, "q", [
        [11, `M${this.cleanupTag}.${conn.tag}`],
        [530, "1"],
        [55, symbol],
        [60, this.tsText],
      ]);
      conn.flush();
    }
    await withTimeout(done, timeoutMs, "OrderMassCancelReport on every FIX session");
    this.cleanupDone = null;
  }

  /** Logout on every session (answered or not), then close. */
  async close(): Promise<void> {
    for (const conn of this.conns) {
      if (conn.closed) continue;
      this.emitFields(conn, "5", []);
      conn.flush();
    }
    await sleep(50);
    for (const conn of this.conns) conn.close();
    this.conns = [];
  }
}

