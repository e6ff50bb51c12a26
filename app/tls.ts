/**
 * TLS for the doors (the config's "tls" section): the WebSocket/HTTP port serves wss:// and
 * https://, and the FIX port speaks FIX over TLS, so a FIX Logon's password never crosses a network
 * in clear. Real certificates come from the config (PEM files); `"tls": { "enabled": true }`
 * without them makes a self-signed one on first start, kept in `<dataDir>/tls/` and reused, for
 * the demo and tests (clients trust it by its file: `ca`). openssl makes it (Node's crypto makes
 * keys, not certificates); it is on every machine this runs on.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { OperatorError } from "../actors/operator-error.ts";

export interface TlsConfig {
  /** Default false: plain ws:// and FIX over TCP (behind a TLS-terminating proxy, or on localhost). */
  enabled?: boolean;
  /** PEM certificate (chain) and private key files; without them, a self-signed certificate. */
  cert?: string;
  key?: string;
}

export interface TlsMaterial {
  cert: string;
  key: string;
  /** The certificate's file, for clients to trust a self-signed one. */
  certFile: string;
  selfSigned: boolean;
}

/** The certificate and key the doors serve with, or null for plain TCP. */
export function doorTls(c: TlsConfig | undefined, dataDir: string, configFile = "the configuration"): TlsMaterial | null {
  if (!c || (c.enabled !== true && c.cert === undefined && c.key === undefined)) return null;
  if ((c.cert === undefined) !== (c.key === undefined)) throw new OperatorError(`${configFile}: tls needs both "cert" and "key" (PEM files), or neither for a self-signed certificate`);
  if (c.cert !== undefined && c.key !== undefined) return { cert: read(c.cert, "tls.cert"), key: read(c.key, "tls.key"), certFile: c.cert, selfSigned: false };
  const dir = join(dataDir, "tls");
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  if (!existsSync(certFile) || !existsSync(keyFile)) selfSign(dir, certFile, keyFile);
  return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), certFile, selfSigned: true };
}

function read(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new OperatorError(`${what}: cannot read ${file} (${(e as { code?: string }).code ?? (e as Error).message})`, { cause: e });
  }
}

/** A P-256 key and a certificate for localhost and 127.0.0.1, valid 825 days (the longest clients accept). */
function selfSign(dir: string, certFile: string, keyFile: string): void {
  mkdirSync(dir, { recursive: true });
  const r = Bun.spawnSync(
    ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "825", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new OperatorError(`cannot make a self-signed TLS certificate with openssl (${r.stderr.toString().trim() || `exit ${r.exitCode}`}); install openssl, or give tls.cert and tls.key`);
  chmodSync(keyFile, 0o600);
}
