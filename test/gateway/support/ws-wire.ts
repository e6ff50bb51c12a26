/**
 * Just enough of RFC 6455 to be a WebSocket client on a raw TCP socket (Bun.connect): the upgrade
 * request, masked client frames, and a parser for the server's (unmasked) frames. Used where a test
 * needs control the WebSocket API does not give, such as a client that stops reading its socket.
 */

export function upgradeRequest(host: string, port: number, path = "/ws"): string {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    "",
    "",
  ].join("\r\n");
}

/** One client → server frame: FIN, the opcode (2 binary, 1 text, 8 close), masked as the RFC requires. */
export function clientFrame(payload: Uint8Array, opcode = 2): Uint8Array {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = new Uint8Array(head + 4 + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out[2] = n >> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = 0x80 | 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(n));
  }
  const mask = crypto.getRandomValues(new Uint8Array(4));
  out.set(mask, head);
  for (let i = 0; i < n; i++) out[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

export interface WireFrame {
  opcode: number;
  payload: Uint8Array;
}

/** Reassembles the server's byte stream: the HTTP response head, then frames. */
export class WireParser {
  head = "";
  readonly frames: WireFrame[] = [];
  bytes = 0;
  private buf = new Uint8Array(0);
  private upgraded = false;

  push(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    const b = new Uint8Array(this.buf.length + chunk.length);
    b.set(this.buf);
    b.set(chunk, this.buf.length);
    this.buf = b;
    if (!this.upgraded) {
      let text = "";
      for (let i = 0; i < Math.min(this.buf.length, 8192); i++) text += String.fromCharCode(this.buf[i]!);
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.head = text.slice(0, end);
      this.buf = this.buf.slice(end + 4);
      this.upgraded = true;
    }
    let at = 0;
    for (;;) {
      const b0 = this.buf[at];
      const b1 = this.buf[at + 1];
      if (b0 === undefined || b1 === undefined) break;
      let len = b1 & 0x7f;
      let off = at + 2;
      if (len === 126) {
        if (this.buf.length < off + 2) break;
        len = (this.buf[off]! << 8) | this.buf[off + 1]!;
        off += 2;
      } else if (len === 127) {
        if (this.buf.length < off + 8) break;
        len = Number(new DataView(this.buf.buffer, this.buf.byteOffset + off, 8).getBigUint64(0));
        off += 8;
      }
      if (b1 & 0x80) off += 4; // a server never masks; tolerate it anyway
      if (this.buf.length < off + len) break;
      this.frames.push({ opcode: b0 & 0x0f, payload: this.buf.slice(off, off + len) });
      at = off + len;
    }
    this.buf = this.buf.slice(at);
  }

  /** Bytes received that do not yet make a whole frame. */
  get pending(): number {
    return this.buf.length;
  }
}
