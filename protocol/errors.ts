import { messageTypeName } from "./frame.ts";

/**
 * Protocol error codes: what an ERROR frame (and a failed LOGIN_RESULT) carries when a frame or a
 * session rule is broken, before anything reaches the engine. They start at 1000 so they never
 * overlap the engine's reason codes (engine/reasons.ts, 0–999), which REJECT frames carry: an SDK
 * can put either in one `code` and a log line is never ambiguous. Stable wire values: append new
 * ones, never renumber.
 */
export const ErrorCode = {
  /** Truncated, trailing bytes, a string length past its field, a string that is not ASCII. */
  MALFORMED: 1001,
  UNKNOWN_TYPE: 1002,
  BAD_VERSION: 1003,
  TOO_LARGE: 1004,
  TEXT_FRAME: 1005,
  /** A field value the layout does not allow: an enum out of range, a price that is not a
   *  non-negative safe integer. The frame's `reason` names the field with the engine's code. */
  INVALID_FIELD: 1006,
  NOT_LOGGED_IN: 1007,
  ALREADY_LOGGED_IN: 1008,
  /** Unknown API key or bad signature: deliberately one code, so a prober learns nothing. */
  AUTH_FAILED: 1009,
  /** The login timestamp is too far from the server's clock. */
  STALE_TIMESTAMP: 1010,
  /** Frames arrive faster than the session's message rate limit. */
  RATE_LIMITED: 1011,
  /** The API key may not do this (trade with a read-only key). */
  NOT_PERMITTED: 1012,
  /** A market-data subscriber fell behind; its subscription was reset or it is being dropped. */
  SLOW_CONSUMER: 1013,
  /** The server cannot take the request now (starting, failing over, shutting down). */
  UNAVAILABLE: 1014,
  /** A message type that only the server sends, sent by a client (or the reverse). */
  WRONG_DIRECTION: 1015,
  /** The session's API key was revoked: the session is closed after this frame. */
  KEY_REVOKED: 1016,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

const TEXT: Record<number, string> = {
  [ErrorCode.MALFORMED]: "malformed frame",
  [ErrorCode.UNKNOWN_TYPE]: "unknown message type",
  [ErrorCode.BAD_VERSION]: "unsupported protocol version",
  [ErrorCode.TOO_LARGE]: "frame too large",
  [ErrorCode.TEXT_FRAME]: "text frames are not accepted; send binary frames",
  [ErrorCode.INVALID_FIELD]: "field value out of range",
  [ErrorCode.NOT_LOGGED_IN]: "log in first",
  [ErrorCode.ALREADY_LOGGED_IN]: "session is already logged in",
  [ErrorCode.AUTH_FAILED]: "authentication failed",
  [ErrorCode.STALE_TIMESTAMP]: "login timestamp too far from server time",
  [ErrorCode.RATE_LIMITED]: "message rate limit reached; slow down",
  [ErrorCode.NOT_PERMITTED]: "the API key is not permitted to do this",
  [ErrorCode.SLOW_CONSUMER]: "subscriber too slow",
  [ErrorCode.UNAVAILABLE]: "service unavailable; retry later",
  [ErrorCode.WRONG_DIRECTION]: "message type is not sent in this direction",
  [ErrorCode.KEY_REVOKED]: "the API key was revoked; the session is closed",
};

export function errorText(code: number): string {
  return TEXT[code] ?? `error ${code}`;
}

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

export function errorName(code: number): string {
  return NAMES[code] ?? `ERROR_${code}`;
}

/**
 * What a decoder returns instead of a message: never thrown, so a flood of garbage costs one small
 * object per frame and no stack trace. `requestId` and `messageType` are filled in when the frame
 * got far enough to show them (0 otherwise), so the answer can be matched to the request.
 */
export class ProtocolError {
  constructor(
    readonly code: number,
    /** Why, for a person: names the field or the byte count. */
    readonly message: string,
    readonly messageType = 0,
    readonly requestId = 0,
    /** For INVALID_FIELD: the engine reason naming the field (INVALID_SIDE, ...), or 0. */
    readonly reason = 0,
    /** For INVALID_FIELD: the field's name in the message. */
    readonly field = "",
  ) {}

  toString(): string {
    const where = this.messageType !== 0 ? ` in ${messageTypeName(this.messageType)}` : "";
    return `${errorName(this.code)}${where}: ${this.message}`;
  }
}

export function isProtocolError(x: unknown): x is ProtocolError {
  return x instanceof ProtocolError;
}
