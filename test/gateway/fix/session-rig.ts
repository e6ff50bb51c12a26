/**
 * A FixSession on a fake host, driven by a fake peer that frames what a counterparty would send,
 * for the session tests (session.test.ts, session-sequence.test.ts).
 */
import { afterEach, beforeEach } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFix, fixTimestamp } from "../../../gateway/fix/codec.ts";
import { type Frame, FixFramer } from "../../../gateway/fix/framer.ts";
import type { Field, FixMessage } from "../../../gateway/fix/message.ts";
import { FixSession, type FixSessionHost, type FixSessionOptions } from "../../../gateway/fix/session.ts";
import { FixStore } from "../../../gateway/fix/store.ts";
import { memoryLogger } from "../../../log/memory.ts";

export const T0 = Date.UTC(2025, 0, 2, 9, 0, 0);
export const LOGON: Field[] = [[98, "0"], [108, "30"], [553, "alice"], [554, "secret"]];
export const ORDER: Field[] = [[11, "c-1"], [55, "BTC-USD"], [54, "1"], [38, "1"], [40, "2"], [44, "100"]];

export function frameOf(bytes: Uint8Array): Frame {
  const f = new FixFramer();
  f.push(bytes);
  return f.next()!;
}

/** Records what the session does; sent bytes are decoded with the real framer, so they must be valid FIX. */
export class FakeHost implements FixSessionHost {
  sent: FixMessage[] = [];
  app: FixMessage[] = [];
  closed: string | null = null;
  private readonly mem = memoryLogger();
  readonly log = this.mem.log;
  /** What the session logged, as `LEVEL msg k=v …`. */
  get logs(): string[] {
    return this.mem.lines();
  }
  logons = 0;
  ends = 0;
  storesOpened: string[] = [];
  private readonly framer = new FixFramer();

  constructor(readonly store: FixStore) {}

  send(bytes: Uint8Array): void {
    this.framer.push(bytes);
    for (let f = this.framer.next(); f; f = this.framer.next()) {
      if (f.kind !== "message") throw new Error(`the session sent a garbled message: ${f.reason}`);
      this.sent.push(f.message);
    }
  }
  close(reason: string): void {
    this.closed = reason;
  }
  authenticate(logon: FixMessage): { account: number } | { error: string } {
    return logon.get(553) === "alice" && logon.get(554) === "secret" ? { account: 7 } : { error: "invalid Username (553) or Password (554)" };
  }
  openStore(senderCompId: string): FixStore {
    this.storesOpened.push(senderCompId);
    return this.store;
  }
  onApplication(msg: FixMessage): void {
    this.app.push(msg);
  }
  onLogon(): void {
    this.logons++;
  }
  onEnd(): void {
    this.ends++;
  }

  /** Messages sent since the last take. */
  take(): FixMessage[] {
    const out = this.sent;
    this.sent = [];
    return out;
  }
}

/** The counterparty: builds inbound frames with its own MsgSeqNum counter. */
export class Peer {
  seq = 1;
  constructor(private readonly now: () => number) {}

  frame(type: string, body: Field[] = [], o: { seq?: number; possDup?: boolean; orig?: string; sender?: string; target?: string; noTime?: boolean } = {}): Frame {
    const seq = o.seq ?? this.seq;
    this.seq = seq + 1;
    const fields: Field[] = [[35, type], [34, String(seq)], [49, o.sender ?? "CLIENT"], [52, fixTimestamp(this.now())], [56, o.target ?? "BOURSE"]];
    if (o.noTime) fields.splice(3, 1);
    if (o.possDup) fields.push([43, "Y"]);
    if (o.orig) fields.push([122, o.orig]);
    return frameOf(encodeFix([...fields, ...body]));
  }
}

let dir: string;

/** Gives each test of the calling file a fresh store directory, removed after it. */
export function storeDirPerTest(): void {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "fix-session-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
}

/** This test's store directory. */
export const storeDir = (): string => dir;

export function rig(o: { store?: FixStore; session?: Partial<FixSessionOptions> } = {}) {
  const clock = { t: T0 };
  const store = o.store ?? FixStore.open(dir, "CLIENT");
  const host = new FakeHost(store);
  const session = new FixSession(host, { compId: "BOURSE", now: () => clock.t, ...o.session });
  const peer = new Peer(() => clock.t);
  const r = {
    clock,
    store,
    host,
    session,
    peer,
    send(type: string, body: Field[] = [], opts: Parameters<Peer["frame"]>[2] = {}) {
      session.onFrame(peer.frame(type, body, opts));
    },
    logon(extra: Field[] = [], opts: Parameters<Peer["frame"]>[2] = {}) {
      r.send("A", [...LOGON, ...extra], opts);
    },
    /** Advances the clock one second at a time, ticking as the acceptor does. */
    pass(ms: number) {
      for (let left = ms; left > 0; left -= 1000) {
        clock.t += Math.min(1000, left);
        session.tick();
      }
    },
  };
  return r;
}

export const types = (msgs: FixMessage[]) => msgs.map((m) => m.msgType);
export const tag = (m: FixMessage | undefined, t: number) => m?.get(t);
