import type { ServerWebSocket } from "bun";
import type { Logger } from "../../log/logger.ts";
import type { OrderSession } from "../order-entry/order-entry-types.ts";
import { Outbox } from "./outbox.ts";
import { encodePortfolio, FrameWriter, MessageType } from "../../protocol/index.ts";
import type { PortfolioFrame, PortfolioTarget } from "./portfolio-feed.ts";
import { TokenBucket } from "../order-entry/rate-limit.ts";
import type { HeldFrames, SocketBatch } from "./socket-batch.ts";
import { type ReportTarget, WsReports } from "./ws-reports.ts";
import { Door } from "../order-entry/order-metrics.ts";

export interface SocketData {
  session: Session;
  /** This connection's logger: door, session id and remote address, and the account once logged in. */
  log: Logger;
}

/**
 * One WebSocket connection. Sequence numbers on every session message (the client detects gaps),
 * the login nonce, the account once logged in, and the two things that protect other clients
 * from this one: a rate limit on order entry and a count of invalid frames that ends the session
 * when it gets too high. Frames are built in the session's own writer and sent at once, or held
 * while the door's delivery batch is open.
 */
export class Session implements OrderSession, HeldFrames, ReportTarget, PortfolioTarget {
  /** Last session sequence number sent; HELLO is 1. */
  seq = 0;
  account = -1;
  /** The API key it logged in with ("" before): a revocation closes its sessions. */
  keyId = "";
  /** The logged-in key's `trade` scope: orders, cancels, amends, mass cancels. */
  mayTrade = false;
  cancelOnDisconnect = false;
  readonly doorId = Door.WS;
  /** An operator's or auditor's session (LOGIN_TOKEN): the caller's name ("user:olga") and bearer token; "" otherwise. */
  user = "";
  userToken = "";
  /** Alerts pushed to it (ALERTS_SUBSCRIBE), and the least severity. */
  alerts = false;
  alertsMin = 0;
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
    private readonly batch: SocketBatch,
  ) {
    this.bucket = new TokenBucket(ratePerSecond);
  }

  get loggedIn(): boolean {
    return this.account >= 0;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  /** Frames held back while a delivery batch is being answered, sent together when the batch flushes. */
  private readonly outbox = new Outbox();

  /** Sends the frame the writer holds (`length` bytes), or holds it while the door's batch is open. */
  send(length: number): void {
    if (!this.batch.open) {
      this.ws.sendBinary(this.w.frame(length));
      return;
    }
    if (this.outbox.empty) this.batch.add(this);
    this.outbox.hold(this.w, length);
  }

  /** Made once per session: `cork` takes a callback, and a closure per flush would be garbage. */
  private readonly sendHeld = (): void => {
    this.outbox.drain(this.ws);
  };

  flushHeld(): void {
    this.ws.cork(this.sendHeld);
  }

  /** A PORTFOLIO frame (gateway/ws/portfolio-feed.ts), stamped with this session's next seq. */
  sendPortfolio(f: PortfolioFrame): void {
    this.send(encodePortfolio(this.w, { type: MessageType.PORTFOLIO, seq: this.nextSeq(), ...f }));
  }

  /** Order entry and snapshot requests: `ratePerSecond`, bursts up to that many. */
  allow(): boolean {
    return this.bucket.allow();
  }

}
