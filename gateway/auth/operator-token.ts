import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OperatorError } from "../../actors/operator-error.ts";

export const OPERATOR_TOKEN_FILE = "operator.token";
const PREFIX = "op_";

/**
 * The operator at the host: whoever can read `<dataDir>/operator.token` (mode 0600, the account
 * that runs the exchange) may act as operator through the HTTP API, as `bourse user|account|key`
 * do. A new token is written at every start and removed at stop, so a copy of an old data
 * directory holds no live credential; the process keeps only its hash. Like a Docker socket or a
 * database's local superuser: shell access to the exchange's account is already full control.
 */
export class OperatorToken {
  private constructor(
    private readonly file: string,
    private readonly digest: Buffer,
  ) {}

  static create(dataDir: string): OperatorToken {
    const file = join(dataDir, OPERATOR_TOKEN_FILE);
    const token = PREFIX + randomBytes(32).toString("base64url");
    rmSync(file, { force: true });
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
    return new OperatorToken(file, digest(token));
  }

  /** Whether a bearer token is this start's operator token. */
  matches(token: string): boolean {
    return token.startsWith(PREFIX) && timingSafeEqual(digest(token), this.digest);
  }

  remove(): void {
    rmSync(this.file, { force: true });
  }
}

/** The token for a CLI on the same host (the file the running exchange wrote). */
export function readOperatorToken(dataDir: string): string {
  const file = join(dataDir, OPERATOR_TOKEN_FILE);
  try {
    return readFileSync(file, "utf8").trim();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") throw new OperatorError(`no running exchange holds ${dataDir} (${file} is missing): start it with bourse serve --data-dir ${dataDir}`);
    throw new OperatorError(`cannot read ${file} (${code ?? (e as Error).message}): run as the user that runs the exchange`);
  }
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
