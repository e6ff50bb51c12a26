import { EXPOSITION_CONTENT_TYPE, Exposition } from "./exposition.ts";

/** Writes one part's metrics into a scrape. */
export type Collector = (w: Exposition) => void;

/**
 * The metrics a process serves: each part registers a collector that reads its own counters (typed
 * arrays, shared buffers, the state it already keeps) and writes them at scrape time. Nothing is
 * formatted or looked up by label on the order path.
 */
export class MetricsRegistry {
  private readonly collectors: Collector[] = [];

  add(c: Collector): () => void {
    this.collectors.push(c);
    return () => {
      const i = this.collectors.indexOf(c);
      if (i >= 0) this.collectors.splice(i, 1);
    };
  }

  /** The whole scrape, in the text format. A collector that throws costs its own lines, not the scrape. */
  render(): string {
    let text = "";
    for (const c of this.collectors) {
      // Each into its own writer: one that throws half-way leaves no half-written family behind.
      const w = new Exposition();
      try {
        c(w);
        text += w.text();
      } catch {
        // A part stopping while it is scraped: its lines are missing from this one scrape.
      }
    }
    return text;
  }

  response(): Response {
    return new Response(this.render(), { headers: { "content-type": EXPOSITION_CONTENT_TYPE } });
  }
}
