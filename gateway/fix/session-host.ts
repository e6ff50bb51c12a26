/**
 * What a FIX session is given: the host it answers through (the acceptor's socket and the order
 * entry behind it) and its options. The session itself is session.ts.
 */
import type { FixMessage } from "./message.ts";
import type { FixStore } from "./store.ts";
import type { Logger } from "../../log/logger.ts";

export interface FixSessionHost {
  /** Writes to the socket. */
  send(bytes: Uint8Array): void;
  /** Closes the socket after what was sent. The session calls it once and is "closed" before it does. */
  close(reason: string): void;
  /** Checks a Logon: Username(553)/Password(554). Returns the account id or a text for the Logout. */
  authenticate(logon: FixMessage): { account: number } | { error: string };
  /**
   * The store of this counterparty (called on Logon, after authentication). Throwing refuses the
   * Logon with the error's message as the Logout text — how an acceptor turns away a second
   * connection for a SenderCompID that is already logged on.
   */
  openStore(senderCompId: string): FixStore;
  /** An in-sequence application message (anything that is not admin) after logon. */
  onApplication(msg: FixMessage): void;
  /** Logged on; `onEnd` follows exactly once, at logout or disconnect (cancel-on-disconnect hooks here). */
  onLogon?(): void;
  onEnd?(): void;
  /** The connection's logger (door, remote address); the session adds compId and account at Logon. */
  log?: Logger;
}

export interface FixSessionOptions {
  /** Our CompID: the TargetCompID we accept and the SenderCompID we send. */
  compId: string;
  /** Milliseconds since the epoch: SendingTime, and the clock `tick` measures timeouts with. */
  now: () => number;
  /** The connection is closed if no Logon arrives within this long. Default 10 000. */
  logonTimeoutMs?: number;
  /** Largest HeartBtInt (108) a Logon may ask for, in seconds. Default 300. */
  maxHeartBtIntSec?: number;
  /** Our Logout unanswered for this long closes the connection. Default 5 000. */
  logoutTimeoutMs?: number;
  /** SendingTime further than this from our clock is rejected (reason 10) and ends the session. Default 120 000; 0 turns the check off. */
  maxClockSkewMs?: number;
  /** Messages held while a gap is being filled; more ends the session rather than grow without bound. Default 10 000. */
  maxQueued?: number;
  /** Garbled frames before a Logon that close the connection: no FIX engine sends them, a scanner or the wrong protocol does. Default 3. */
  maxGarbledBeforeLogon?: number;
}

export type FixSessionState = "awaiting-logon" | "active" | "logging-out" | "closed";
