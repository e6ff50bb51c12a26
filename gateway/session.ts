import type { ServerWebSocket } from "bun";
import type { OrderSession } from "./order-entry.ts";
import { FrameWriter } from "./protocol/index.ts";
import { TokenBucket } from "./rate-limit.ts";
import { WsReports } from "./ws-reports.ts";

export interface SocketData {
  session: Session;
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
  private held: Uint8Array[] = [];

  /**
   * Sends the frame the writer holds (`length` bytes). During a delivery batch (`Session.batching`)
   * the frame is held and every session's frames go out together once the batch is answered, one
   * corked write per session instead of one syscall per frame — the bench saw that cost dominate.
   */
  send(length: number): void {
    if (!Session.batching) {
      this.ws.sendBinary(this.w.bytes.subarray(0, length));
      return;
    }
    if (this.held.length === 0) Session.dirty.push(this);
    this.held.push(this.w.bytes.slice(0, length));
  }

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
    for (const s of Session.dirty) {
      const frames = s.held;
      s.held = [];
      s.ws.cork(() => {
        for (const f of frames) s.ws.sendBinary(f);
      });
    }
    Session.dirty.length = 0;
  }

  /** Order entry and snapshot requests: `ratePerSecond`, bursts up to that many. */
  allow(): boolean {
    return this.bucket.allow();
  }

}
