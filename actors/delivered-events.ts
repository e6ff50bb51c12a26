import { EVENT_WIDTH, type EventBuffer } from "../engine/events.ts";
import type { Delivery } from "./sequencer.ts";

const NO_EVENTS = new Float64Array(0);

/**
 * One delivered batch read in order: the events one command produced (a range of a buffer the host
 * reuses), with the command's seq, engine time and the token its submitter gave, handed over once
 * the journal has made the command durable. Every consumer of the durable stream (order entry,
 * market data, `bourse start`, the journal follower; later the history writer, NATS and
 * monitoring) reads events through this one cursor and the named readers of engine/events.ts:
 *
 *   while (r.next()) if (r.type === EventType.TRADE) price = Trade.price(r.data, r.at);
 *
 * One reader is reused for every batch, so reading allocates nothing. It points into the host's
 * buffer: valid during the delivery callback only.
 */
export class DeliveredEvents {
  seq = 0;
  token = 0;
  time = 0;
  /** The buffer the events are in, and their index range in it. */
  events: EventBuffer | null = null;
  from = 0;
  to = 0;
  /** The buffer's data, for the named readers: `Trade.price(r.data, r.at)`. */
  data: Float64Array = NO_EVENTS;
  /** Base of the current event in `data` (its index × EVENT_WIDTH); before the first next(), one record before it. */
  at = -EVENT_WIDTH;
  private end = 0;

  /** Points the reader at a batch (the arguments of a Delivery) and rewinds it. */
  set(seq: number, token: number, events: EventBuffer, from: number, to: number, time: number): this {
    this.seq = seq;
    this.token = token;
    this.time = time;
    this.events = events;
    this.from = from;
    this.to = to;
    // Read now, not kept from an earlier batch: the buffer's array is replaced when it grows.
    this.data = events.data;
    this.end = to * EVENT_WIDTH;
    this.at = (from - 1) * EVENT_WIDTH;
    return this;
  }

  /** Back to before the first event, for a second pass. */
  rewind(): void {
    this.at = (this.from - 1) * EVENT_WIDTH;
  }

  /** Moves to the next event; false when the batch is done. */
  next(): boolean {
    this.at += EVENT_WIDTH;
    return this.at < this.end;
  }

  /** The current event's EventType. */
  get type(): number {
    return this.data[this.at]!;
  }

  get symbol(): number {
    return this.data[this.at + 1]!;
  }

  /** Events in the batch. */
  get count(): number {
    return this.to - this.from;
  }
}

/**
 * A Delivery callback (Sequencer.onDelivery) that hands `fn` each batch through one reused reader:
 * `sequencer.onDelivery(readDeliveries((r) => ...))`.
 */
export function readDeliveries(fn: (batch: DeliveredEvents) => void): Delivery {
  const r = new DeliveredEvents();
  return (seq, token, events, from, to, time) => fn(r.set(seq, token, events, from, to, time));
}
