import { join } from "node:path";
import { OperatorError } from "../actors/operator-error.ts";
import type { Sequencer } from "../actors/sequencer.ts";
import { Actor, type CommandInit, CommandType } from "../engine/commands.ts";
import { type IdentityRecord, KeyField, Role } from "../engine/identity.ts";
import { Administration, type AdministrationDeps } from "../gateway/auth/administration.ts";
import { AuthAudit } from "../gateway/auth/auth-audit.ts";
import { Directory, scopeBits } from "../gateway/auth/directory.ts";
import type { IdentityConfig } from "../gateway/auth/identity-config.ts";
import { DEFAULT_SCOPES } from "../gateway/auth/keys.ts";
import type { LoginGuard } from "../gateway/auth/login-guard.ts";
import { packHash, PasswordHasher } from "../gateway/auth/password-hasher.ts";
import { loadMasterKey, SecretBox, SecretBoxOpenError } from "../gateway/auth/secret-box.ts";
import { SessionStore } from "../gateway/auth/session-store.ts";
import { SignIn } from "../gateway/auth/sign-in.ts";
import { refusedBy } from "../gateway/auth/outcome.ts";
import type { IdentityParts } from "../gateway/auth/identity-parts.ts";
import { OperatorToken } from "../gateway/auth/operator-token.ts";
import type { Logger } from "../log/logger.ts";
import type { BourseConfig } from "./config.ts";

export type { IdentityParts };

const ROLE_CODES = { trader: Role.TRADER, operator: Role.OPERATOR, auditor: Role.AUDITOR } as const;

/**
 * Opens identity for the doors: the master key, the doors' copy of the journaled users and keys,
 * the session store and audit log in `<dataDir>/sessions.db`, and the host operator's token. On a
 * fresh data directory the configuration's keys and users are created through the same journaled
 * commands an operator's would be (Actor.SYSTEM), after its accounts.
 */
export async function startIdentity(o: { sequencer: Sequencer; recovered: IdentityRecord; withdrawals?: AdministrationDeps["withdrawals"]; config: BourseConfig; configFile?: string; dataDir: string; fresh: boolean; guard: LoginGuard; log: Logger; clock?: () => number; env?: Record<string, string | undefined> }): Promise<IdentityParts> {
  const cfg: IdentityConfig = o.config.identity ?? {};
  const master = loadMasterKey({ env: o.env ?? process.env, file: cfg.masterKeyFile, dataDir: o.dataDir, log: o.log });
  const box = new SecretBox(master.key);
  const compIds = new Map<string, { fixCompIds?: readonly string[] }>();
  for (const a of o.config.accounts ?? []) for (const k of a.apiKeys ?? []) if (k.fixCompIds) compIds.set(k.id, { fixCompIds: k.fixCompIds });
  let directory: Directory;
  try {
    directory = new Directory(o.sequencer, o.recovered, box, compIds, o.log);
  } catch (e) {
    if (e instanceof SecretBoxOpenError) throw new OperatorError(`the master key (from ${master.source === "env" ? "BOURSE_MASTER_KEY" : master.source === "file" ? cfg.masterKeyFile : join(o.dataDir, "master.key")}) does not open this data directory's sealed secrets: start with the key it was created with`, { cause: e });
    throw e;
  }
  const unlisten = directory.listen();
  const hasher = new PasswordHasher(cfg.passwordHashing);
  const sessions = new SessionStore(join(o.dataDir, "sessions.db"), cfg.sessions);
  const audit = new AuthAudit(join(o.dataDir, "sessions.db"), o.log);
  const signIn = new SignIn({ directory, sessions, hasher, box, guard: o.guard, audit, log: o.log, ...(o.clock ? { clock: o.clock } : {}) });
  const administration = new Administration({ directory, signIn, sessions, hasher, exchange: o.config.exchange, ...(o.withdrawals ? { withdrawals: o.withdrawals } : {}) });
  const operatorToken = OperatorToken.create(o.dataDir);
  const parts: IdentityParts = {
    directory,
    sessions,
    audit,
    signIn,
    administration,
    operatorToken,
    close() {
      unlisten();
      operatorToken.remove();
      sessions.close();
      audit.close();
    },
  };
  try {
    if (o.fresh) await seedIdentity(directory, hasher, o.config, o.configFile ?? "the configuration", o.log);
    else warnUnseeded(directory, o.config, o.log);
  } catch (e) {
    parts.close();
    throw e;
  }
  return parts;
}

/**
 * The configuration's API keys and users, journaled on a fresh directory: every command submitted
 * at once (one group commit), each answer checked.
 */
async function seedIdentity(directory: Directory, hasher: PasswordHasher, config: BourseConfig, file: string, log: Logger): Promise<void> {
  const steps: { what: string; init: CommandInit }[] = [];
  for (const a of config.accounts ?? []) {
    for (const k of a.apiKeys ?? []) {
      let sealed: string;
      try {
        sealed = directory.sealKeySecret(k.id, k.secret);
      } catch (e) {
        throw new OperatorError(`${file}: API key ${k.id}: its secret is too long to keep sealed (at most 42 characters)`, { cause: e });
      }
      const what = `API key ${k.id}`;
      steps.push({ what, init: { type: CommandType.KEY_ADD, clientOrderId: k.id, account: a.id, flags: scopeBits(k.scopes ?? DEFAULT_SCOPES), destination: sealed } });
      for (const ip of k.allowIps ?? []) steps.push({ what, init: { type: CommandType.KEY_SET, clientOrderId: k.id, flags: KeyField.ALLOW_IP, destination: ip } });
      if (k.label !== undefined) steps.push({ what, init: { type: CommandType.KEY_SET, clientOrderId: k.id, flags: KeyField.LABEL, destination: encodeURIComponent(k.label) } });
    }
  }
  const made: { name: string; role: string; password: string }[] = [];
  for (const u of config.users ?? []) {
    const role = ROLE_CODES[u.role];
    if (role === undefined) throw new OperatorError(`${file}: user ${u.name}: role must be trader, operator or auditor`);
    const password = u.password ?? SignIn.initialPassword();
    const h = await hasher.hash(password);
    if (!h.ok) throw new OperatorError(`${file}: user ${u.name}: the password hasher is busy`);
    const what = `user ${u.name}`;
    steps.push({ what, init: { type: CommandType.USER_ADD, clientOrderId: u.name, tier: role, destination: packHash(h.hash) } });
    for (const account of u.accounts ?? []) steps.push({ what, init: { type: CommandType.USER_GRANT, clientOrderId: u.name, account, flags: 1 } });
    if (u.password === undefined) made.push({ name: u.name, role: u.role, password });
  }
  const answers = await Promise.all(steps.map((s) => directory.submit({ ...s.init, actor: Actor.SYSTEM, session: 0 })));
  answers.forEach((r, i) => {
    if (!r.ok) throw new OperatorError(`${file}: ${steps[i]!.what}: ${refusedBy(r.reason).message}`);
  });
  // Printed to the terminal, not logged: a log is kept and shipped; this line is for whoever started it.
  for (const u of made) process.stderr.write(`bourse: user ${u.name} (${u.role}) created with initial password ${u.password}; sign in and enrol TOTP\n`);
  if ((config.users ?? []).length > 0) log.info("fresh data directory: users created", { users: config.users!.map((u) => u.name) });
}

/** A configured key or user the journal does not have: the configuration seeds a fresh directory only. */
function warnUnseeded(directory: Directory, config: BourseConfig, log: Logger): void {
  const keys = (config.accounts ?? []).flatMap((a) => (a.apiKeys ?? []).map((k) => k.id)).filter((id) => !directory.identity.keys.has(id));
  const users = (config.users ?? []).map((u) => u.name).filter((n) => !directory.identity.users.has(n));
  if (keys.length + users.length > 0) log.warn("configured keys or users are not in this data directory (the configuration seeds a fresh directory only): issue them with bourse key create / bourse user add", { keys, users });
}
