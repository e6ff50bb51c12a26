/**
 * The two buffers of a load-driving client socket (the WebSocket and the FIX harness alike): what
 * goes out is queued into one batch and written with one socket write per flush; what comes in is
 * parsed in place from the read, with an incomplete message carried over to the next read. Neither
 * allocates per message once grown to the traffic's size.
 */

/** The one thing the buffers need of a socket. */
export interface Writable {
  /** Bytes the kernel took (fewer than asked when its buffer is full). */
  write(data: Uint8Array): number;
}

/** Outgoing bytes: `bytes[0, length)` is the batch; `reserve` grows it, `flush` writes it. */
export class OutBatch {
  bytes: Uint8Array;
  length = 0;
  /** What the kernel did not take yet, in order, for the drain callback. */
  private pending: Uint8Array[] = [];

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  /** Room for `k` more bytes after `length`; returns the (maybe new) buffer. */
  reserve(k: number): Uint8Array {
    if (this.length + k > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < this.length + k) size *= 2;
      const b = new Uint8Array(size);
      b.set(this.bytes.subarray(0, this.length));
      this.bytes = b;
    }
    return this.bytes;
  }

  /** Writes the batch with one socket write (a partial write keeps the rest, in order). */
  flush(socket: Writable): void {
    if (this.length === 0) return;
    const data = this.bytes.subarray(0, this.length);
    if (this.pending.length > 0) this.pending.push(data.slice());
    else {
      const n = socket.write(data);
      if (n < data.length) this.pending.push(data.slice(Math.max(0, n)));
    }
    this.length = 0;
  }

  /** The socket can take more: writes what waited. */
  drained(socket: Writable): void {
    while (this.pending.length > 0) {
      const p = this.pending[0]!;
      const n = socket.write(p);
      if (n >= p.length) this.pending.shift();
      else {
        this.pending[0] = p.subarray(Math.max(0, n));
        return;
      }
    }
  }

  /** Bytes the kernel did not take yet (the harness's own backlog on this socket). */
  get backlog(): number {
    let n = 0;
    for (const p of this.pending) n += p.length;
    return n;
  }
}

/** Incoming bytes: each read joined to what the one before left incomplete. */
export class InBuffer {
  private rest: Uint8Array;
  private restLen = 0;
  /** Bytes in the buffer `join` returned. */
  length = 0;

  constructor(size: number) {
    this.rest = new Uint8Array(size);
  }

  /** The bytes to parse, `[0, length)`: the read itself when nothing was carried over. */
  join(chunk: Uint8Array): Uint8Array {
    if (this.restLen === 0) {
      this.length = chunk.length;
      return chunk;
    }
    if (this.restLen + chunk.length > this.rest.length) {
      const r = new Uint8Array(Math.max(this.rest.length * 2, this.restLen + chunk.length));
      r.set(this.rest.subarray(0, this.restLen));
      this.rest = r;
    }
    this.rest.set(chunk, this.restLen);
    this.restLen += chunk.length;
    this.length = this.restLen;
    return this.rest;
  }

  /** Carries `buf[from, to)` (the incomplete tail of what `join` returned) over to the next read. */
  keep(buf: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (n === 0) this.restLen = 0;
    else if (buf === this.rest) {
      if (from > 0) this.rest.copyWithin(0, from, to);
      this.restLen = n;
    } else {
      if (n > this.rest.length) this.rest = new Uint8Array(Math.max(4096, n * 2));
      this.rest.set(buf.subarray(from, to));
      this.restLen = n;
    }
  }
}
