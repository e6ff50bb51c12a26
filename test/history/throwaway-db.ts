/**
 * A database of a test's own on the local PostgreSQL (BOURSE_TEST_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres), dropped afterwards. CI guarantees the server, so
 * an unreachable one fails the test with a clear message rather than skipping it.
 */
import { SQL } from "bun";

const ADMIN_URL = process.env.BOURSE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export async function throwawayDatabase(prefix = "bourse_test"): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new SQL(ADMIN_URL, { max: 1, connectionTimeout: 5 });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } catch (e) {
    await admin.close();
    throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL} (set BOURSE_TEST_PG_URL, or start the server: .ci/run does): ${(e as Error).message}`, { cause: e });
  }
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}
