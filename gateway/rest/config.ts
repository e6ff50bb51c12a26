import type { RateLimitConfig } from "./rate-limit.ts";

/** The REST door's part of the WebSocket door's configuration section ("gateway": { "rest": … }); it shares that door's port. */
export interface RestConfig {
  /** How far a signed request's timestamp may be from the server's clock, either way (ms). Default 5,000. */
  signatureWindowMs?: number;
  /** Signatures remembered against replays at most (gateway/rest/signature.ts). Default 100,000. */
  maxRememberedSignatures?: number;
  /** The largest request body taken (bytes). Default 64 KiB. */
  maxBodyBytes?: number;
  /** Requests a second per caller and per address (gateway/rest/rate-limit.ts; docs/rest.md, Rate limits). */
  rateLimit?: RateLimitConfig;
}
