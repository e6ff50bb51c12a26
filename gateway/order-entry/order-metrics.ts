import { reasonName } from "../../engine/reasons.ts";
import type { Exposition } from "../../metrics/exposition.ts";
import { Histogram, LATENCY_BOUNDS } from "../../metrics/histogram.ts";
import { ENGINE_STOPPED, RequestKind, SHUTTING_DOWN, UNAVAILABLE } from "./order-entry-types.ts";

/** The doors an order session comes in by: the index of its counters, and its `door` label. */
export const Door = { WS: 0, FIX: 1, REST: 2 } as const;
export const DOOR_NAMES = ["ws", "fix", "rest"] as const;
const DOORS = DOOR_NAMES.length;

/** RequestKind 1..5 → the `command` label. */
const KIND_NAMES = ["new_order", "cancel", "amend", "mass_cancel", "status"] as const;
const KINDS = KIND_NAMES.length;
/** Requests answered by the engine (status is answered from the read model): these have an ack latency. */
const TIMED_KINDS = 4;
/** Order entry's own refusals (UNAVAILABLE, ENGINE_STOPPED, SHUTTING_DOWN: -1, -2, -3) take the first slots. */
const OWN = 3;
/** Reason codes stay below 256 (engine/reasons.ts). */
const REASONS = 256 + OWN;

const HISTOGRAM_CELLS = Histogram.cells([...LATENCY_BOUNDS]);

/**
 * What order entry counts for /metrics (docs/metrics.md): requests by door and kind, rejects by
 * door and reason, and the time from a request reaching order entry to its answer being handed to
 * the door, per door and kind. Counters are typed arrays indexed by small integers: a request
 * costs an index computation and an increment, and a timed one a performance.now() at each end
 * and a bucket search. Names and labels are made at scrape time.
 */
export class OrderMetrics {
  private readonly commands = new Float64Array(DOORS * KINDS);
  private readonly rejects = new Float64Array(DOORS * REASONS);
  private readonly ackData = new Float64Array(DOORS * TIMED_KINDS * HISTOGRAM_CELLS);
  private readonly acks: Histogram[] = [];

  constructor() {
    for (let i = 0; i < DOORS * TIMED_KINDS; i++) this.acks.push(new Histogram(LATENCY_BOUNDS, this.ackData, i * HISTOGRAM_CELLS));
  }

  /** A request of `kind` (RequestKind) came in by `door`. */
  command(door: number, kind: number): void {
    this.commands[door * KINDS + kind - 1]!++;
  }

  /** A request was refused, by order entry or the engine, with a Reason code, UNAVAILABLE, ENGINE_STOPPED or SHUTTING_DOWN. */
  reject(door: number, reason: number): void {
    const i = reason >= 0 ? Math.min(reason + OWN, REASONS - 1) : Math.min(-reason - 1, OWN - 1);
    this.rejects[door * REASONS + i]!++;
  }

  /** The engine's answer to a request of `kind` reached order entry `seconds` after the request did. */
  acked(door: number, kind: number, seconds: number): void {
    if (kind <= TIMED_KINDS) this.acks[door * TIMED_KINDS + kind - 1]!.observe(seconds);
  }

  collect(w: Exposition): void {
    w.family("bourse_commands_total", "counter", "Requests that reached order entry, by door and command.");
    for (let d = 0; d < DOORS; d++) for (let k = 0; k < KINDS; k++) w.sample("bourse_commands_total", this.commands[d * KINDS + k]!, [["door", DOOR_NAMES[d]!], ["command", KIND_NAMES[k]!]]);
    w.family("bourse_rejects_total", "counter", "Requests refused (by order entry or the engine), by door and reason; only reasons seen so far appear.");
    for (let d = 0; d < DOORS; d++) {
      for (let i = 0; i < REASONS; i++) {
        const n = this.rejects[d * REASONS + i]!;
        if (n > 0) w.sample("bourse_rejects_total", n, [["door", DOOR_NAMES[d]!], ["reason", rejectName(i)]]);
      }
    }
    w.family("bourse_order_ack_seconds", "histogram", "From a request reaching order entry to the engine's durable answer handed to its door, by door and command.");
    for (let d = 0; d < DOORS; d++) for (let k = 0; k < TIMED_KINDS; k++) w.histogram("bourse_order_ack_seconds", this.acks[d * TIMED_KINDS + k]!, [["door", DOOR_NAMES[d]!], ["command", KIND_NAMES[k]!]]);
  }
}

function rejectName(i: number): string {
  if (i === 0) return "UNAVAILABLE";
  if (i === 1) return "ENGINE_STOPPED";
  if (i === 2) return "SHUTTING_DOWN";
  return reasonName(i - OWN);
}

// RequestKind's values are the counters' index + 1 (STATUS, the last, is 5), and order entry's own
// refusals are -1 - their slot: a change to either fails to compile here, so the names follow it.
RequestKind.STATUS satisfies 5;
UNAVAILABLE satisfies -1;
ENGINE_STOPPED satisfies -2;
SHUTTING_DOWN satisfies -3;
