import type { FixMessage } from "./message.ts";

interface Held {
  msg: FixMessage;
  /** Already acted on when it arrived early (a ResendRequest or Logon): only its seq is left to count. */
  handled: boolean;
}

/**
 * Messages that arrived ahead of a gap in the inbound seqs, held until the counterparty's resend
 * fills it, and the one ResendRequest outstanding for it. The session (session.ts) decides when to
 * hold, ask and process; this only keeps them.
 */
export class HeldMessages {
  private readonly held = new Map<number, Held>();
  /** The message whose early arrival made us send a ResendRequest; 0 when none is outstanding. */
  resendUpTo = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.held.size;
  }

  /** Holds `msg` as `seq` (the first arrival of a seq wins); false when `max` are held already. */
  hold(seq: number, msg: FixMessage, handled: boolean): boolean {
    if (this.held.size >= this.max) return false;
    if (!this.held.has(seq)) this.held.set(seq, { msg, handled });
    return true;
  }

  /** Takes the message held as `seq`, if any. */
  take(seq: number): Held | undefined {
    const h = this.held.get(seq);
    if (h !== undefined) this.held.delete(seq);
    return h;
  }

  /** The highest seq held (0: none). */
  highest(): number {
    let highest = 0;
    for (const seq of this.held.keys()) highest = Math.max(highest, seq);
    return highest;
  }

  /** The next expected seq is now `next`: forgets what it passed, and the request once it is answered. */
  passed(next: number): void {
    if (this.resendUpTo !== 0 && next > this.resendUpTo) this.resendUpTo = 0;
    if (this.held.size > 0) for (const seq of this.held.keys()) if (seq < next) this.held.delete(seq);
  }

  /** Forgets every held message (the session ends: nothing will process them). */
  clear(): void {
    this.held.clear();
  }
}
