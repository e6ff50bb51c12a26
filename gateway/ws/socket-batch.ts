/** Something holding frames for the current batch: it writes them all in one go when asked. */
export interface HeldFrames {
  flushHeld(): void;
}

/**
 * One WebSocket door's delivery batch. While it is open, sessions hold their frames instead of
 * writing each one, and every session's frames go out together at the end of the task (after every
 * delivery listener has run): one corked write per session instead of one syscall per frame — the
 * bench saw that cost dominate. The door owns one and hands it to each of its sessions; order
 * entry opens it before each delivery.
 */
export class SocketBatch {
  /** Open: from `begin` until the flush at the end of the task. */
  open = false;
  private readonly held: HeldFrames[] = [];

  /** A bound field, not a method: it is handed to order entry as a hook, with no closure per batch. */
  readonly begin = (): void => {
    if (this.open) return;
    this.open = true;
    queueMicrotask(this.flush);
  };

  /** `h` has just held its first frame of this batch. */
  add(h: HeldFrames): void {
    this.held.push(h);
  }

  /** Sends everything held now and closes the batch (also run early when the door closes its sessions). */
  readonly flush = (): void => {
    this.open = false;
    const held = this.held;
    for (let i = 0; i < held.length; i++) held[i]!.flushHeld();
    held.length = 0;
  };
}
