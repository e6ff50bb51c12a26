import { OperatorError, systemCode } from "../actors/operator-error.ts";

/** A door's listening address, and the flag that changes its port. */
export interface DoorAddress {
  door: string;
  host: string;
  port: number;
  flag: string;
}

/**
 * Tries each door's port before anything is recovered, so that a port in use is an error before
 * the data directory is touched (a fresh directory would otherwise be seeded by a start that then
 * fails, and the next start would no longer count as fresh). A port taken in the moment between
 * this check and the real listen is still reported by listenError.
 */
export function checkPortsFree(doors: DoorAddress[]): void {
  for (const d of doors) {
    if (d.port === 0) continue;
    try {
      const probe = Bun.listen({ hostname: d.host, port: d.port, socket: { data() {} } });
      probe.stop(true);
    } catch (e) {
      throw listenError(e, d);
    }
  }
}

/** A door that could not listen, said in one line with what to do; other errors as they are. */
export function listenError(e: unknown, d: DoorAddress): unknown {
  const code = systemCode(e);
  const { door, host, port, flag } = d;
  if (code === "EADDRINUSE") return new OperatorError(`${door} port ${port} on ${host} is in use; stop what holds it, or pass ${flag} N (0 picks a free port)`, { cause: e });
  if (code === "EACCES") return new OperatorError(`not permitted to listen on ${door} port ${port} on ${host} (EACCES); pass ${flag} N above 1023`, { cause: e });
  if (code === "EADDRNOTAVAIL") return new OperatorError(`cannot listen on ${host} for ${door}: no such local address (EADDRNOTAVAIL); fix the config's host`, { cause: e });
  return e;
}
