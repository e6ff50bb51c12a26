import type { PasswordHasherOptions } from "./password-hasher.ts";
import type { SessionStoreOptions } from "./session-store.ts";

/** The configuration file's "identity" section (docs/identity.md). */
export interface IdentityConfig {
  /**
   * The file holding the master key that seals TOTP secrets and API-key secrets at rest (32 bytes,
   * base64 or hex). BOURSE_MASTER_KEY overrides it; without either, `<dataDir>/master.key` is made.
   */
  masterKeyFile?: string;
  /** Session idle timeout and absolute lifetime (default 15 min and 12 h). */
  sessions?: SessionStoreOptions;
  /** argon2id work at once and waiting (default 2 and 32): a sign-in storm is refused, not queued without end. */
  passwordHashing?: PasswordHasherOptions;
}

/** A user the configuration creates on a fresh data directory (like its accounts). */
export interface UserSeed {
  name: string;
  role: "trader" | "operator" | "auditor";
  /** Accounts a trader acts for. */
  accounts?: number[];
  /**
   * An initial password, public on purpose (the demo's); without one a random password is made and
   * printed once to the terminal (never to the log). Either way TOTP is enrolled at the first sign-in.
   */
  password?: string;
}
