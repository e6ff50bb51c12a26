import type { ServerWebSocket } from "bun";
import type { Logger } from "../log/logger.ts";
import type { OrderSession } from "./order-entry-types.ts";
import { Outbox } from "./outbox.ts";
import { FrameWriter } from "./protocol/index.ts";
import { TokenBucket } from "./rate-limit.ts";
import { WsReports } from "./ws-reports.ts";

export interface SocketData {
  session: Session;
  /** This connection's logger: door, session id and remote address, and the account once logged in. */
  log: Logger;
}

/**
 * One WebSocket connection. Sequence numbers on every session message (the client detects gaps),
 * the login nonce, the account once logged in, and the two things that protect other clients
 * from this one: a rate limit on order entry and a count of invalid frames that ends the session
 * when it gets too high. Frames are built in the session's own writer and sent at once.
 */
export class Session implements OrderSession {
  /** Last session sequence number sent; HELLO is 1. */
  seq = 0;
  account = -1;
  cancelOnDisconnect = false;
  readonly nonce = crypto.getRandomValues(new Uint8Array(32));
  readonly w = new FrameWriter(512);
  readonly reports: WsReports = new WsReports(this);
  /** Invalid frames so far; past the limit the session is closed with a reason. */
  strikes = 0;
  /** Failed logins so far (they are strikes too); only the first few are logged at info. */
  failedLogins = 0;
  /** Being closed (slow consumer): no more sweeps. */
  closing = false;
  private readonly bucket: TokenBucket;

  constructor(
    readonly id: number,
    readonly ws: ServerWebSocket<SocketData>,
    ratePerSecond: number,
  ) {
    this.bucket = new TokenBucket(ratePerSecond);
  }

  get loggedIn(): boolean {
    return this.account >= 0;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  /** Frames held back while a delivery batch is being answered, sent together by `flushAll`. */
  private readonly outbox = new Outbox();

  /**
   * Sends the frame the writer holds (`length` bytes). During a delivery batch (`Session.batching`)
   * the frame is held and every session's frames go out together once the batch is answered, one
   * corked write per session instead of one syscall per frame — the bench saw that cost dominate.
   */
  send(length: number): void {
    if (!Session.batching) {
      this.ws.sendBinary(this.w.frame(length));
      return;
    }
    if (this.outbox.empty) Session.dirty.push(this);
    this.outbox.hold(this.w, length);
  }

  /** Made once per session: `cork` takes a callback, and a closure per flush would be garbage. */
  private readonly sendHeld = (): void => {
    this.outbox.drain(this.ws);
  };

  static batching = false;
  private static readonly dirty: Session[] = [];

  /** Starts holding frames; they go out at the end of the current task (after every delivery of a batch). */
  static beginBatch(): void {
    if (Session.batching) return;
    Session.batching = true;
    queueMicrotask(Session.flushAll);
  }

  static flushAll(): void {
    Session.batching = false;
    const dirty = Session.dirty;
    for (let i = 0; i < dirty.length; i++) {
      const s = dirty[i]!;
      s.ws.cork(s.sendHeld);
    }
    dirty.length = 0;
  }

  /** Order entry and snapshot requests: `ratePerSecond`, bursts up to that many. */
  allow(): boolean {
    return this.bucket.allow();
  }

}
