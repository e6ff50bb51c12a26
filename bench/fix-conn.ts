/**
 * One FIX session's socket for bench/fix-drive.ts: a batch of outgoing messages written once per
 * tick, and the read side handing each complete message to its owner (the driver).
 */
import type { Socket } from "bun";
import { ascii } from "./fix-bytes.ts";
import { InBuffer, OutBatch } from "./kit/socket-buffers.ts";

/** What a connection asks of the driver that owns it. */
export interface FixConnOwner {
  clock(): number;
  /** Handles the message at `at` if it is complete; returns the bytes used (0: wait for more). */
  parse(conn: FixConn, buf: Uint8Array, at: number, len: number): number;
  afterRead(conn: FixConn): void;
  peerClosed(conn: FixConn): void;
}

/** One FIX session's socket: a batch of outgoing messages written once per tick, and the read side. */
export class FixConn {
  socket: Socket<FixConn> | null = null;
  closed = false;
  /** MsgSeqNum of our next message. */
  seq = 1;
  readonly senderBytes: Uint8Array;
  /** Bytes of an incomplete message carried over to the next read. */
  private readonly input = new InBuffer(64 * 1024);
  private readonly out = new OutBatch(64 * 1024);
  readAt = 0;
  /** The peer's Logout text, if it sent one. */
  logoutText = "";

  constructor(
    readonly driver: FixConnOwner,
    readonly tag: number,
    readonly sender: string,
  ) {
    this.senderBytes = ascii(sender);
  }

  get queued(): number {
    return this.out.length;
  }

  /** Room for k more bytes in the batch; returns it. */
  reserve(k: number): Uint8Array {
    return this.out.reserve(k);
  }

  get batchEnd(): number {
    return this.out.length;
  }

  set batchEnd(n: number) {
    this.out.length = n;
  }

  flush(): void {
    if (this.closed || !this.socket) return;
    this.out.flush(this.socket);
  }

  get backlog(): number {
    return this.out.backlog;
  }

  drained(): void {
    if (this.socket) this.out.drained(this.socket);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.end();
  }

  received(chunk: Uint8Array): void {
    this.readAt = this.driver.clock();
    const buf = this.input.join(chunk);
    const len = this.input.length;
    let at = 0;
    while (at < len) {
      const used = this.driver.parse(this, buf, at, len);
      if (used === 0) break;
      at += used;
    }
    // Keep what is left (a message split across reads).
    this.input.keep(buf, at, len);
    this.driver.afterRead(this);
  }
}

export const handlers = {
  binaryType: "uint8array" as const,
  open(s: Socket<FixConn>) {
    s.data.socket = s;
    s.setNoDelay(true);
  },
  data(s: Socket<FixConn>, d: Uint8Array) {
    s.data.received(d);
  },
  drain(s: Socket<FixConn>) {
    s.data.drained();
  },
  close(s: Socket<FixConn>) {
    s.data.driver.peerClosed(s.data);
  },
  error(s: Socket<FixConn>) {
    s.data.driver.peerClosed(s.data);
  },
};
