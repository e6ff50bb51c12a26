/**
 * The market-data subscribers of bench/ws.ts, in a child process of their own: 1,000 sockets and
 * a few million frames a second are too much to share an event loop with the order driver, whose
 * send times would then be the subscribers' noise. Spawned with IPC by ws.ts.
 *
 * Parent → child (`group` names one server's subscribers: several servers can be subscribed at
 * once, so that their steps can alternate):
 *   {kind:"connect", group, url, n, parallel, baseMs}  open n raw WebSocket clients
 *       (bench/kit/ws-wire.ts), SUBSCRIBE each to L2 + TRADES of symbol 1 (depth 10);
 *       → {kind:"connected", n, subscribed, ms}
 *   {kind:"step", group, id, t0, periodNs, count, l2Base, tradesBase, cap}  the group's next step: the
 *       driver sends command k at t0 + k·periodNs (ns on the shared clock, makeClock(baseMs)), and
 *       command k is answered on the wire by L2 seq l2Base+1+k and TRADES seq tradesBase+1+k
 *       (one L2_UPDATE and one TRADES frame per command — the driver's IOC orders each trade
 *       with one resting order). → {kind:"armed", id}
 *   {kind:"collect", group, id, waitMs}  waits until every subscriber has both frames of every command,
 *       or waitMs; → {kind:"stats", …}: delivered frames, lag = receive − scheduled send of the
 *       command (the socket read's time, one clock read per read), gaps, closed sockets, CPU.
 *   {kind:"disconnect"}  closes every socket of every group; → {kind:"disconnected"}
 *
 * Lag samples: all of them up to `cap` per step, else every s-th (s = ceil(expected / cap),
 * chosen per (command, subscriber) so every subscriber and every part of the step is sampled).
 */
import { summarize, type Percentiles } from "./kit/histogram.ts";
import { connectMany, makeClock, parseWsUrl, sleep, type WireConn } from "./kit/ws-wire.ts";
import { encodeSubscribe, FrameWriter, MessageType, Channel } from "../protocol/index.ts";

interface Step {
  id: number;
  t0: number;
  periodNs: number;
  count: number;
  l2Base: number;
  tradesBase: number;
  stride: number;
  lags: Float64Array;
  nLags: number;
  delivered: number;
  l2: number;
  trades: number;
  outside: number;
  firstRecv: number;
  lastRecv: number;
  cpu0: NodeJS.CpuUsage;
  t0Wall: number;
}

export interface SubscriberStats {
  id: number;
  subscribers: number;
  alive: number;
  expected: number;
  delivered: number;
  l2: number;
  trades: number;
  /** Market-data frames of other sequence numbers seen during the step (setup, cleanup). */
  outside: number;
  /** Sequence gaps seen per subscriber (a frame missing or out of order), over the whole step. */
  gaps: number;
  closed: number;
  firstRecvNs: number;
  lastRecvNs: number;
  lag: Percentiles | null;
  sampled: number;
  /** CPU of this process over the step, as a share of one core. */
  cpuShare: number;
}

const scratch = new Uint8Array(8);
const scratchF = new Float64Array(scratch.buffer);

function f64At(b: Uint8Array, at: number): number {
  scratch[0] = b[at]!;
  scratch[1] = b[at + 1]!;
  scratch[2] = b[at + 2]!;
  scratch[3] = b[at + 3]!;
  scratch[4] = b[at + 4]!;
  scratch[5] = b[at + 5]!;
  scratch[6] = b[at + 6]!;
  scratch[7] = b[at + 7]!;
  return scratchF[0]!;
}

/** One server's subscribers. */
interface Group {
  conns: WireConn[];
  closed: number;
  gaps: number;
  subscribed: number;
  /** Per subscriber: last L2 and TRADES seq seen (gap check). */
  lastL2: Float64Array;
  lastTrades: Float64Array;
  step: Step | null;
}

function newGroup(n: number): Group {
  return { conns: [], closed: 0, gaps: 0, subscribed: 0, lastL2: new Float64Array(n).fill(-1), lastTrades: new Float64Array(n).fill(-1), step: null };
}

function frameHandler(g: Group) {
  return (conn: WireConn, b: Uint8Array, at: number) => {
    const type = b[at + 1]!;
    if (type === MessageType.L2_UPDATE || type === MessageType.TRADES) {
      const seq = f64At(b, at + 6);
      const i = conn.tag;
      const l2 = type === MessageType.L2_UPDATE;
      const last = l2 ? g.lastL2 : g.lastTrades;
      if (last[i]! >= 0 && seq !== last[i]! + 1) g.gaps++;
      last[i] = seq;
      const s = g.step;
      if (s === null) return;
      const k = seq - (l2 ? s.l2Base : s.tradesBase) - 1;
      if (k < 0 || k >= s.count) {
        s.outside++;
        return;
      }
      const now = conn.readAt;
      s.delivered++;
      if (l2) s.l2++;
      else s.trades++;
      if (s.firstRecv === 0) s.firstRecv = now;
      s.lastRecv = now;
      if ((s.stride === 1 || (k + i) % s.stride === 0) && s.nLags < s.lags.length) s.lags[s.nLags++] = now - (s.t0 + k * s.periodNs);
    } else if (type === MessageType.L2_SNAPSHOT) {
      // Snapshot seq = the last delta it includes: the subscriber's sequence continues from there.
      g.lastL2[conn.tag] = f64At(b, at + 6);
      g.subscribed++;
    }
  };
}

async function main(): Promise<void> {
  let clock = makeClock(performance.timeOrigin);
  const groups = new Map<number, Group>();
  const reply = (m: unknown) => process.send!(m);
  const group = (m: Record<string, unknown>) => {
    const g = groups.get(m.group as number);
    if (!g) throw new Error(`no subscriber group ${m.group}`);
    return g;
  };

  process.on("message", async (m: { kind: string } & Record<string, number | string>) => {
    try {
      switch (m.kind) {
        case "connect": {
          clock = makeClock(m.baseMs as number);
          const n = m.n as number;
          const t = Bun.nanoseconds();
          const g = newGroup(n);
          groups.set(m.group as number, g);
          const onFrame = frameHandler(g);
          const onClose = () => {
            g.closed++;
          };
          g.conns = await connectMany(parseWsUrl(m.url as string), n, (m.parallel as number) ?? 64, () => ({ onFrame, onClose }));
          const w = new FrameWriter(64);
          for (const c of g.conns) {
            c.stamp = clock;
            const len = encodeSubscribe(w, { type: MessageType.SUBSCRIBE, requestId: 1, symbol: 1, channels: Channel.L2 | Channel.TRADES, depth: 10 });
            c.send(w.bytes, len);
            c.flush();
          }
          const until = Date.now() + 30_000;
          while (g.subscribed < n && Date.now() < until) await sleep(5);
          reply({ kind: "connected", n: g.conns.length, subscribed: g.subscribed, ms: (Bun.nanoseconds() - t) / 1e6 });
          break;
        }
        case "step": {
          const g = group(m);
          const count = m.count as number;
          const expected = count * 2 * g.conns.length;
          const cap = (m.cap as number) ?? 2_000_000;
          const stride = Math.max(1, Math.ceil(expected / cap));
          g.gaps = 0;
          g.step = {
            id: m.id as number,
            t0: m.t0 as number,
            periodNs: m.periodNs as number,
            count,
            l2Base: m.l2Base as number,
            tradesBase: m.tradesBase as number,
            stride,
            lags: new Float64Array(Math.min(cap, Math.ceil(expected / stride) + g.conns.length)),
            nLags: 0,
            delivered: 0,
            l2: 0,
            trades: 0,
            outside: 0,
            firstRecv: 0,
            lastRecv: 0,
            cpu0: process.cpuUsage(),
            t0Wall: clock(),
          };
          reply({ kind: "armed", id: g.step.id });
          break;
        }
        case "collect": {
          const g = group(m);
          const s = g.step;
          if (!s) throw new Error("collect without a step");
          const alive = () => g.conns.length - g.closed;
          const until = Date.now() + (m.waitMs as number);
          while (s.delivered < s.count * 2 * alive() && Date.now() < until) await sleep(5);
          const cpu = process.cpuUsage(s.cpu0);
          const wallNs = clock() - s.t0Wall;
          const stats: SubscriberStats = {
            id: s.id,
            subscribers: g.conns.length,
            alive: alive(),
            expected: s.count * 2 * g.conns.length,
            delivered: s.delivered,
            l2: s.l2,
            trades: s.trades,
            outside: s.outside,
            gaps: g.gaps,
            closed: g.closed,
            firstRecvNs: s.firstRecv,
            lastRecvNs: s.lastRecv,
            lag: s.nLags > 0 ? summarize(s.lags, s.nLags) : null,
            sampled: s.nLags,
            cpuShare: wallNs > 0 ? ((cpu.user + cpu.system) * 1e3) / wallNs : 0,
          };
          g.step = null;
          reply({ kind: "stats", stats });
          break;
        }
        case "disconnect": {
          for (const g of groups.values()) {
            for (const c of g.conns) c.onClose = null;
            for (const c of g.conns) c.close();
          }
          groups.clear();
          await sleep(50);
          reply({ kind: "disconnected" });
          break;
        }
        case "exit":
          process.exit(0);
      }
    } catch (e) {
      reply({ kind: "error", message: (e as Error).stack ?? String(e) });
    }
  });
  process.on("disconnect", () => process.exit(0));
  reply({ kind: "ready" });
}

if (import.meta.main) await main();
