import type { Administration } from "./administration.ts";
import type { AuthAudit } from "./auth-audit.ts";
import type { Directory } from "./directory.ts";
import type { OperatorToken } from "./operator-token.ts";
import type { SessionStore } from "./session-store.ts";
import type { SignIn } from "./sign-in.ts";

/** Identity as the running exchange holds it (app/identity.ts builds it): the journaled users and keys, sessions, and the actions on them. */
export interface IdentityParts {
  directory: Directory;
  sessions: SessionStore;
  audit: AuthAudit;
  signIn: SignIn;
  administration: Administration;
  operatorToken: OperatorToken;
  close(): void;
}
