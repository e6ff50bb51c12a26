import type { ServerWebSocket } from "bun";
import { FrameWriter } from "./protocol/index.ts";

export interface SocketData {
  session: Session;
}

/**
 * One WebSocket connection. Sequence numbers on every session message (the client detects gaps),
 * the login nonce, the account once logged in, and the two things that protect other clients
 * from this one: a rate limit on order entry and a count of invalid frames that ends the session
 * when it gets too high. Frames are built in the session's own writer and sent at once.
 */
export class Session {
  /** Last session sequence number sent; HELLO is 1. */
  seq = 0;
  account = -1;
  cancelOnDisconnect = false;
  readonly nonce = crypto.getRandomValues(new Uint8Array(32));
  readonly w = new FrameWriter(512);
  /** Invalid frames so far; past the limit the session is closed with a reason. */
  strikes = 0;
  /** Being closed (slow consumer): no more sweeps. */
  closing = false;
  private tokens: number;
  private refilled = performance.now();

  constructor(
    readonly id: number,
    readonly ws: ServerWebSocket<SocketData>,
    private readonly ratePerSecond: number,
  ) {
    this.tokens = ratePerSecond;
  }

  get loggedIn(): boolean {
    return this.account >= 0;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  /** Sends the frame the writer holds (`length` bytes). */
  send(length: number): void {
    this.ws.sendBinary(this.w.bytes.subarray(0, length));
  }

  /** Token bucket: `ratePerSecond` order-entry messages per second, bursts up to that many. */
  allow(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.ratePerSecond, this.tokens + ((now - this.refilled) / 1000) * this.ratePerSecond);
    this.refilled = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
