/** An async stream read one row ahead, so a merge can look at the next row before taking it. */
export class Peekable<T> {
  private head: T | null = null;
  private done = false;
  private constructor(private readonly it: AsyncIterator<T>) {}

  static async of<T>(source: AsyncIterable<T>): Promise<Peekable<T>> {
    const p = new Peekable(source[Symbol.asyncIterator]());
    await p.pull();
    return p;
  }

  /** The next row, not taken; null at the end. */
  get peek(): T | null {
    return this.head;
  }

  /** Takes the next row. */
  async take(): Promise<T> {
    const r = this.head!;
    await this.pull();
    return r;
  }

  private async pull(): Promise<void> {
    if (this.done) {
      this.head = null;
      return;
    }
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      this.head = null;
    } else this.head = r.value;
  }
}

/** Lexicographic order of two keys of the same length. */
export function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
