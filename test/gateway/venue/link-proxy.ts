/**
 * A TCP proxy between the broker and its venue, to break the link the way networks do: `mute()`
 * swallows what the venue sends (the broker's orders still reach it), `cut()` closes both sides.
 */
import type { Socket, TCPSocketListener } from "bun";

interface Pair {
  client: Socket<Pair>;
  venue: Socket<undefined> | null;
  early: Uint8Array[];
}

export class LinkProxy {
  private readonly listener: TCPSocketListener<Pair>;
  private readonly pairs = new Set<Pair>();
  /** While true, bytes from the venue are dropped. */
  muted = false;

  constructor(venuePort: number) {
    this.listener = Bun.listen<Pair>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (client) => {
          const pair: Pair = { client, venue: null, early: [] };
          client.data = pair;
          this.pairs.add(pair);
          void Bun.connect({
            hostname: "127.0.0.1",
            port: venuePort,
            socket: {
              data: (_v, bytes) => {
                if (!this.muted) pair.client.write(bytes);
              },
              close: () => {
                pair.client.end();
              },
            },
          }).then((v) => {
            pair.venue = v;
            for (const b of pair.early.splice(0)) v.write(b);
          }, () => pair.client.end());
        },
        data: (client, bytes) => {
          const p = client.data;
          if (p.venue) p.venue.write(bytes);
          else p.early.push(new Uint8Array(bytes));
        },
        close: (client) => {
          client.data.venue?.end();
          this.pairs.delete(client.data);
        },
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  mute(): void {
    this.muted = true;
  }

  unmute(): void {
    this.muted = false;
  }

  stop(): void {
    for (const p of this.pairs) {
      p.client.terminate();
      p.venue?.terminate();
    }
    this.listener.stop(true);
  }
}
