/**
 * A PostgreSQL server of a test's own, on a free port in a temporary directory (never the shared
 * one on 5432), for tests that stop it on purpose. initdb and postgres refuse to run as root: they
 * run as the postgres user, in a directory it owns.
 */
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The newest installed server's programs (Debian's layout: /usr/lib/postgresql/<major>/bin). */
const BIN = `/usr/lib/postgresql/${readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a))[0]}/bin`;

function asPostgres(args: string[]): void {
  const cmd = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...args] : args;
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${args.join(" ")} exited ${r.exitCode}: ${r.stderr.toString()}${r.stdout.toString()}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export class OwnPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<OwnPostgres> {
    const dir = mkdtempSync(join(tmpdir(), "bourse-own-pg-"));
    if (process.getuid?.() === 0) chownSync(dir, Number(Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString().trim()), -1);
    asPostgres([`${BIN}/initdb`, "-D", join(dir, "data"), "-U", "postgres", "--auth=trust", "--no-sync"]);
    const pg = new OwnPostgres(dir, await freePort());
    pg.start();
    return pg;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): void {
    asPostgres([`${BIN}/pg_ctl`, "-D", join(this.dir, "data"), "-l", join(this.dir, "log"), "-o", `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "-w", "start"]);
  }

  /** Like a crash: no shutdown checkpoint, connections cut. */
  stop(): void {
    asPostgres([`${BIN}/pg_ctl`, "-D", join(this.dir, "data"), "-m", "immediate", "-w", "stop"]);
  }

  remove(): void {
    try {
      this.stop();
    } catch {
      // Already stopped (by the test, or a failed one).
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
