/**
 * One server for the calling test file, started before its tests and closed after them, and SDK
 * clients on it (closed first): the setup the SDK's tests and the resync tests share.
 */
import { afterAll, beforeAll } from "bun:test";
import { BourseClient } from "../../../client/client.ts";
import { demoConfig, type Harness, secret, startServer } from "./harness.ts";

export interface SdkServer {
  /** The running server (valid inside the tests). */
  readonly h: Harness;
  /** A connected client: logged in as `<name>-demo`, or with only the reference data when no name. */
  client(name?: string): Promise<BourseClient>;
  /** Closes `c` with the others after the file's tests. */
  closeLater(c: BourseClient): BourseClient;
}

/** `beforeStart` runs before the server starts; `afterClients` once the clients are closed, before the server is. */
export function sdkServerPerFile(hooks: { beforeStart?: () => void; afterClients?: () => Promise<void> | void } = {}): SdkServer {
  let h: Harness | undefined;
  const clients: BourseClient[] = [];
  beforeAll(async () => {
    hooks.beforeStart?.();
    h = await startServer(demoConfig());
  });
  afterAll(async () => {
    for (const c of clients) if (!c.closed) c.close();
    await hooks.afterClients?.();
    await h?.close();
  });
  return {
    get h(): Harness {
      if (!h) throw new Error("the server is started in beforeAll");
      return h;
    },
    async client(name?: string): Promise<BourseClient> {
      const c = await BourseClient.connect(this.h.url);
      clients.push(c);
      if (name) await c.login(`${name}-demo`, secret(name));
      else await c.referenceData();
      return c;
    },
    closeLater(c: BourseClient): BourseClient {
      clients.push(c);
      return c;
    },
  };
}
