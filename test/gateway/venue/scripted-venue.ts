/**
 * A venue that misbehaves on purpose: a FIX 4.4 acceptor on the same session layer as Bourse's own
 * (gateway/fix/session.ts), whose application answers are whatever the test sends. It records what
 * it receives and can drop the connection at any point.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket, TCPSocketListener } from "bun";
import { fixTimestamp } from "../../../gateway/fix/codec.ts";
import { FixFramer } from "../../../gateway/fix/framer.ts";
import type { Field, FixMessage } from "../../../gateway/fix/message.ts";
import { FixSession } from "../../../gateway/fix/session.ts";
import { FixStore } from "../../../gateway/fix/store.ts";

export class ScriptedVenue {
  readonly received: FixMessage[] = [];
  private session: FixSession | null = null;
  private socket: Socket<undefined> | null = null;
  private readonly listener: TCPSocketListener<undefined>;
  private readonly dir = mkdtempSync(join(tmpdir(), "bourse-venue-"));
  private waiters: { match: (m: FixMessage) => boolean; resolve: (m: FixMessage) => void }[] = [];
  private logonWaiters: (() => void)[] = [];
  logons = 0;
  private execs = 0;
  /** Answer each application message by itself (true) or leave it to the test. */
  autoAck = false;

  constructor(readonly compId = "VENUE") {
    const framer = new FixFramer();
    this.listener = Bun.listen<undefined>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (socket) => {
          this.socket = socket;
          this.session = new FixSession(
            {
              send: (b) => void socket.write(b),
              close: () => socket.end(),
              authenticate: () => ({ account: 1 }),
              openStore: (sender) => FixStore.open(this.dir, sender),
              onApplication: (m) => this.onApp(m),
              onLogon: () => {
                this.logons++;
                for (const w of this.logonWaiters.splice(0)) w();
              },
            },
            { compId: this.compId, now: Date.now },
          );
        },
        data: (_s, data) => {
          framer.push(data);
          for (let f = framer.next(); f !== null; f = framer.next()) this.session?.onFrame(f);
        },
        close: () => {
          this.session?.disconnected();
          this.session = null;
          this.socket = null;
        },
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  private onApp(m: FixMessage): void {
    this.received.push(m);
    if (this.autoAck && m.msgType === "D") this.report(m.get(11)!, "0", "0", { symbol: m.get(55)!, side: m.get(54)!, cum: "0" });
    for (const w of [...this.waiters]) {
      if (w.match(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }

  /** The next application message of `msgType` (or one already received and not yet taken). */
  next(msgType: string, taken = new Set<FixMessage>()): Promise<FixMessage> {
    const have = this.received.find((m) => m.msgType === msgType && !taken.has(m));
    if (have) {
      taken.add(have);
      return Promise.resolve(have);
    }
    return new Promise((resolve) =>
      this.waiters.push({
        match: (m) => m.msgType === msgType && !taken.has(m),
        resolve: (m) => {
          taken.add(m);
          resolve(m);
        },
      }),
    );
  }

  loggedOn(): Promise<void> {
    return this.session?.state === "active" ? Promise.resolve() : new Promise((r) => this.logonWaiters.push(r));
  }

  send(fields: Field[]): number {
    return this.session?.sendApp(fields) ?? 0;
  }

  /** An ExecutionReport for `clOrdId` with the given ExecType and OrdStatus. */
  report(clOrdId: string, execType: string, ordStatus: string, o: { symbol: string; side: string; cum: string; lastQty?: string; lastPx?: string; execId?: string; leaves?: string; origClOrdId?: string }): number {
    const f: Field[] = [
      [35, "8"],
      [37, `V-${clOrdId}`],
      [11, clOrdId],
    ];
    if (o.origClOrdId) f.push([41, o.origClOrdId]);
    f.push([17, o.execId ?? `X${++this.execs}`], [150, execType], [39, ordStatus], [55, o.symbol], [54, o.side]);
    if (o.lastQty) f.push([32, o.lastQty], [31, o.lastPx!]);
    f.push([151, o.leaves ?? "0"], [14, o.cum], [6, "0"], [60, fixTimestamp(Date.now())]);
    return this.send(f);
  }

  /** Cuts the connection without a Logout, as a network failure would. */
  drop(): void {
    this.socket?.terminate();
  }

  stop(): void {
    this.socket?.terminate();
    this.listener.stop(true);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
