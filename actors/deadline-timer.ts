import type { Logger } from "../log/logger.ts";
import { Actor, Command, CommandType } from "../engine/commands.ts";
import { wallMicros } from "./clock.ts";
import type { Sequencer } from "./sequencer.ts";

/**
 * The token the deadline timer submits under: negative, so it is never a door's (doors count
 * their tokens up from 1), and a door that sees its delivery finds no request waiting under it.
 */
export const DEADLINE_TOKEN = -7;

/** setTimeout's longest delay (2^31 − 1 ms); a farther deadline is re-armed when this fires. */
const MAX_DELAY_MS = 2_147_483_647;

/**
 * Makes the engine's time move when nothing else moves it. The engine has no clock: a GTD expiry,
 * a halt's end or a session open or close happens at the first command whose time is past it. The
 * runtime tells this timer, after every batch, the engine's next deadline (Exchange.nextDeadline)
 * and what is due then; the timer keeps ONE setTimeout for it and, when it fires, submits a TICK
 * (or, at a session close, that symbol's END_OF_DAY) through the ordinary submit path, so the
 * command is sequenced, stamped by the sequencer's clock, journaled and replayed like any other.
 *
 * - Nothing is sent before the deadline: the sequencer stamps the command at or after the moment
 *   of the submit, and a timer that fires early is re-armed for the rest.
 * - One command at a time: after a submit the timer waits for that command's delivery (its token)
 *   before it trusts a deadline again, since until then the deadline it hears may be from before
 *   the command ran.
 * - A quiet exchange (no deadline) has no timer armed and sends nothing.
 * - A deadline our own command should have cleared (same command, due at or before the time it
 *   ran) is an engine bug, not a reason to journal the same command again and again: it is logged
 *   and left alone until the engine reports another deadline.
 */
export class DeadlineTimer {
  private readonly cmd = new Command();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the armed timer fires (µs), Infinity when none is armed. */
  private armedFor = Infinity;
  private deadline = Infinity;
  private symbol = -1;
  /** A command of ours is submitted and not yet delivered. */
  private inFlight = false;
  /** What our last command was (END_OF_DAY symbol or −1), to recognise a deadline it did not clear. */
  private sentSymbol = -1;
  /** A deadline (and symbol) our command did not clear: not sent again. */
  private stuckDeadline = NaN;
  private stuckSymbol = -1;
  private closed = false;
  private readonly off: () => void;
  /** Commands submitted, for tests and the log. */
  submitted = 0;

  constructor(
    private readonly sequencer: Sequencer,
    private readonly now: () => number = wallMicros,
    private readonly log?: Logger,
  ) {
    this.off = sequencer.onDelivery((_seq, token, _events, _from, _to, time) => {
      if (token !== DEADLINE_TOKEN) return;
      this.inFlight = false;
      if (this.deadline <= time && this.symbol === this.sentSymbol) {
        this.stuckDeadline = this.deadline;
        this.stuckSymbol = this.symbol;
        this.log?.error("deadline timer: the engine still reports a deadline its command should have cleared; not resending it", { deadline: this.deadline, symbol: this.symbol, commandTime: time });
      }
      this.arm();
    });
  }

  /** The engine's next deadline (µs; ±Infinity allowed) and the END_OF_DAY symbol due then, −1 for a TICK. */
  update(deadline: number, symbol: number): void {
    this.deadline = deadline;
    this.symbol = symbol;
    if (!this.inFlight) this.arm();
  }

  /** Arms the timer for the deadline if none is armed for it or earlier; a later one can wait for the early firing to re-arm. */
  private arm(): void {
    if (this.closed || this.deadline === Infinity || this.deadline >= this.armedFor) return;
    if (this.deadline === this.stuckDeadline && this.symbol === this.stuckSymbol) return;
    if (this.timer !== null) clearTimeout(this.timer);
    const ms = Math.min(MAX_DELAY_MS, Math.max(0, Math.ceil((this.deadline - this.now()) / 1000)));
    this.armedFor = this.deadline;
    this.timer = setTimeout(this.fire, ms);
    // The timer alone does not keep a process alive: a server is kept alive by its sockets.
    this.timer.unref?.();
  }

  private readonly fire = (): void => {
    this.timer = null;
    this.armedFor = Infinity;
    if (this.closed || this.inFlight || this.deadline === Infinity) return;
    if (this.deadline === this.stuckDeadline && this.symbol === this.stuckSymbol) return;
    if (this.now() < this.deadline) {
      this.arm();
      return;
    }
    const c = this.cmd.reset();
    c.type = this.symbol >= 0 ? CommandType.END_OF_DAY : CommandType.TICK;
    c.symbol = this.symbol >= 0 ? this.symbol : 0;
    c.actor = Actor.SYSTEM;
    try {
      this.sequencer.submit(c, DEADLINE_TOKEN);
    } catch (e) {
      // A stopped engine takes no commands; its failure is reported where it happened.
      this.log?.warn("deadline timer: command not submitted", { command: c.type === CommandType.TICK ? "TICK" : "END_OF_DAY", err: e });
      return;
    }
    this.inFlight = true;
    this.sentSymbol = this.symbol;
    this.submitted++;
  };

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.off();
  }
}
