/**
 * The doors' sections: `gateway` (WebSocket, HTTP and REST on one port; gateway/ws/config.ts,
 * gateway/rest/config.ts), `fix` (gateway/fix/config.ts), `tls` (app/tls.ts), `login`
 * (gateway/auth/login-guard.ts) and `identity` (gateway/auth/identity-config.ts).
 */
import { RATE_LIMIT_DEFAULTS } from "../../gateway/rest/rate-limit.ts";
import { MAX_REMEMBERED_SIGNATURES, SIGNATURE_WINDOW_MS } from "../../gateway/rest/signature.ts";
import { bool, int, num, object, optional, port, printable, text, words } from "./keys.ts";

const rateLimitSchema = object({
  perCallerPerSecond: optional(num(0, 1e9), "Requests a second one authenticated caller may make, sustained; 0 = no limit.", RATE_LIMIT_DEFAULTS.perCallerPerSecond),
  perAddressPerSecond: optional(num(0, 1e9), "Requests a second one address may make to the routes that take no credentials; 0 = no limit.", RATE_LIMIT_DEFAULTS.perAddressPerSecond),
  burstSeconds: optional(num(0, 3600), "Seconds of the rate a bucket holds: the burst a quiet client may send at once.", RATE_LIMIT_DEFAULTS.burstSeconds),
});

const restSchema = object({
  signatureWindowMs: optional(int(0), "How far a signed request's timestamp may be from the server's clock, either way, ms.", SIGNATURE_WINDOW_MS),
  maxRememberedSignatures: optional(int(1), "Signatures remembered against replays at most.", MAX_REMEMBERED_SIGNATURES),
  maxBodyBytes: optional(int(1), "The largest request body taken, bytes.", 64 * 1024),
  rateLimit: optional(rateLimitSchema, "Requests a second per caller and per address (docs/rest.md, Rate limits).", words("the defaults below")),
});

export const gatewaySchema = object({
  host: optional(text(), "The address the WebSocket/HTTP door listens on (0.0.0.0: every interface).", "127.0.0.1"),
  port: optional(port(), "Its port (0: any free port); --port overrides it.", 7070),
  maxOrdersPerSecond: optional(num(0, 1e9), "Per-session order-entry rate limit (new orders, cancels, amends a second).", 2000),
  backpressureLimitBytes: optional(int(1), "Bytes a subscriber may have queued before it is cut off as too slow.", 1 << 20),
  rest: optional(restSchema, "The REST door on this port (docs/rest.md).", words("the defaults below")),
});

export const fixSchema = object({
  enabled: optional(bool(), "false: no FIX acceptor.", true),
  host: optional(text(), "The address the FIX acceptor listens on.", "127.0.0.1"),
  port: optional(port(), "Its port (0: any free port); --fix-port overrides it.", 9878),
  compId: optional(printable(), "Our CompID: a counterparty's TargetCompID (56).", "BOURSE"),
  cancelOnDisconnect: optional(bool(), "Cancel a session's orders when it disconnects, unless its Logon says otherwise (tag 8013).", false),
  maxOrdersPerSecond: optional(num(0, 1e9), "Per-session order-entry rate limit.", 2000),
  maxHeartBtIntSec: optional(int(0, 86_400), "Largest HeartBtInt (108) a Logon may ask for, seconds.", 300),
  maxQueuedBytes: optional(int(1), "Unsent bytes a connection may hold before it is cut as a slow consumer.", 8 << 20),
  maxCompIdsPerKey: optional(int(0), "SenderCompIDs a key without configured fixCompIds may register by first use.", 16),
});

export const tlsSchema = object({
  enabled: optional(bool(), "true: wss://, https:// and FIX over TLS; without cert and key, a self-signed certificate made in <data>/tls/.", false),
  cert: optional(text(), "PEM certificate (chain) file; goes with key.", words("self-signed when enabled")),
  key: optional(text(), "PEM private key file; goes with cert.", words("self-signed when enabled")),
});

export const loginSchema = object({
  keyFailures: optional(int(1), "Wrong proofs for one key before it locks.", 10),
  addressFailures: optional(int(1), "Wrong proofs from one address (any keys) before it locks.", 50),
  baseLockMs: optional(int(0), "The first lock, ms; each further one doubles.", 1_000),
  maxLockMs: optional(int(0), "The longest lock, ms.", 15 * 60_000),
  maxAddresses: optional(int(1), "Addresses remembered at most (the least recently failed are forgotten first).", 100_000),
});

const sessionsSchema = object({
  idleMs: optional(int(1), "Idle time after which a user's session ends, ms.", 15 * 60_000),
  lifetimeMs: optional(int(1), "Time after its start at which a session ends however used, ms.", 12 * 3_600_000),
});

const passwordHashingSchema = object({
  concurrency: optional(int(1, 1024), "argon2id hashes and verifies running at once.", 2),
  maxQueued: optional(int(0), "Hashes and verifies waiting for a slot before more are refused.", 32),
  memoryCost: optional(int(8), "argon2id memory, KiB.", 65_536),
  timeCost: optional(int(1), "argon2id passes.", 2),
});

export const identitySchema = object({
  masterKeyFile: optional(text(), "The file holding the master key that seals TOTP and API-key secrets at rest (32 bytes, base64 or hex); BOURSE_MASTER_KEY overrides it.", words("<data>/master.key, made if missing")),
  sessions: optional(sessionsSchema, "User sessions' idle timeout and lifetime.", words("the defaults below")),
  passwordHashing: optional(passwordHashingSchema, "argon2id work at once and waiting: a sign-in storm is refused, not queued without end.", words("the defaults below")),
});
