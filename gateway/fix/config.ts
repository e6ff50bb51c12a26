/** The FIX 4.4 acceptor's section of the configuration file ("fix"; docs/fix.md). */
export interface FixConfig {
  host?: string;
  /** Default 9878. */
  port?: number;
  /** Our CompID: a counterparty's TargetCompID (56). Default "BOURSE". */
  compId?: string;
  /** Cancel a session's orders when it disconnects, unless its Logon says otherwise (tag 8013). Default false. */
  cancelOnDisconnect?: boolean;
  /** Per-session order-entry rate limit. Default 2000/s. */
  maxOrdersPerSecond?: number;
  /** Largest HeartBtInt (108) a Logon may ask for, in seconds. Default 300. */
  maxHeartBtIntSec?: number;
  /** Unsent bytes a connection may hold before it is cut as a slow consumer. Default 8 MiB. */
  maxQueuedBytes?: number;
  /** SenderCompIDs a key without configured fixCompIds may register by first use. Default 16. */
  maxCompIdsPerKey?: number;
  /** false: no FIX acceptor. Default true. */
  enabled?: boolean;
}
