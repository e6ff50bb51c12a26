import type { Sequencer } from "../../actors/sequencer.ts";
import type { Instrument } from "../../engine/instrument.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";
import type { VenueLinkConfig } from "./link-config.ts";
import { VenueRouter } from "./router.ts";
import { VenueLink } from "./venue-link.ts";

export interface Venue {
  readonly name: string;
  readonly link: VenueLink;
  readonly router: VenueRouter;
}

/**
 * Brings up routing to every configured venue (docs/venues.md): for each, a router on the durable
 * stream and a FIX initiator link. First the venue is journaled unavailable — whatever the
 * recovered state says, no session is up yet, so an order sent before a crash and unanswered is
 * PENDING_UNKNOWN — then the link connects and, logged on, journals it available.
 */
export function startVenues(o: { venues: Record<string, VenueLinkConfig>; instruments: readonly Instrument[]; sequencer: Sequencer; dataDir: string; log?: Logger }): Venue[] {
  const log = o.log ?? silentLogger;
  const out: Venue[] = [];
  for (const [name, c] of Object.entries(o.venues)) {
    if (c.enabled === false) continue;
    let router: VenueRouter | null = null;
    const link = new VenueLink(name, c, VenueLink.storeDir(o.dataDir), {
      onUp: () => router!.linkChanged(true, "logged on"),
      onDown: (why) => router!.linkChanged(false, why),
      onMessage: (m) => router!.onMessage(m),
    }, log);
    router = new VenueRouter(name, c.account, o.instruments, o.sequencer, link, log);
    router.listen();
    router.linkChanged(false, "starting: not connected yet");
    link.start();
    out.push({ name, link, router });
  }
  return out;
}

export async function stopVenues(venues: readonly Venue[]): Promise<void> {
  await Promise.all(venues.map((v) => v.link.stop()));
  for (const v of venues) v.router.close();
}
