/**
 * The second factor every user must have: time-based one-time passwords (RFC 6238), the 6-digit
 * codes an authenticator app shows, SHA-1 and 30-second steps as every such app expects. The
 * arithmetic is otpauth's; what is ours is the policy around it: the clock is the caller's (no
 * Date.now here, so tests and replays pick the time), one step either side is accepted for clock
 * drift and typing time, and a code is good once: otpauth's validate() would accept the same code
 * again for the whole ~90 s window, so the caller stores the step a code matched and passes it
 * back as `lastStep`, and any code at or before it is refused (RFC 6238 §5.2).
 */
import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";

const PERIOD_S = 30;
const DIGITS = 6;
/** Steps accepted either side of the current one. */
const WINDOW = 1;
/** 160 bits, the HMAC-SHA1 block RFC 4226 recommends, and what the apps expect. */
const SECRET_BYTES = 20;

/** A new shared secret, base32 (32 characters), from the system's CSPRNG. */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

function totp(secret: string, label = "", issuer = ""): TOTP {
  return new TOTP({ issuer, label, algorithm: "SHA1", digits: DIGITS, period: PERIOD_S, secret: Secret.fromBase32(secret) });
}

/** The otpauth:// URI an authenticator app enrols from (shown as a QR code, or typed). */
export function totpUri(secret: string, label: string, issuer = "Bourse"): string {
  return totp(secret, label, issuer).toString();
}

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: "wrong" | "replayed" };

/**
 * Whether `code` is the secret's code within one step of `nowMs` and later than `lastStep` (the
 * step of the last code accepted for this secret; -1 when there was none). On success, `step` is
 * what to store as the next `lastStep`. Anything but exactly 6 ASCII digits is "wrong".
 */
export function checkTotp(secret: string, code: string, nowMs: number, lastStep: number): TotpCheck {
  if (!/^[0-9]{6}$/.test(code)) return { ok: false, reason: "wrong" };
  const delta = totp(secret).validate({ token: code, timestamp: nowMs, window: WINDOW });
  if (delta === null) return { ok: false, reason: "wrong" };
  const step = TOTP.counter({ period: PERIOD_S, timestamp: nowMs }) + delta;
  if (step <= lastStep) return { ok: false, reason: "replayed" };
  return { ok: true, step };
}

/** The URI as a QR code in SVG, for the enrolment page. */
export function totpQrSvg(uri: string): Promise<string> {
  // Level M (15% recovery): a phone camera reads it off a screen; a smaller code than Q or H.
  return QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
}
