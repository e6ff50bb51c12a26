/**
 * The binary WebSocket protocol, one import (docs/protocol.md has the tables):
 * the frame and type table, protocol error codes, client messages (decodeClient for the gateway,
 * encoders for the SDK), session and market-data messages (encoders for the gateway,
 * decodeServer for the SDK) and the login signature.
 */
export * from "./frame.ts";
export * from "./errors.ts";
export * from "./codec-errors.ts";
export * from "./client-messages.ts";
export * from "./server-messages.ts";
export * from "./market-data-messages.ts";
export * from "./login.ts";
export * from "./alert-rules.ts";
