/**
 * Adds `fn` to a host's listener list and returns what takes it off again. The list stays a plain
 * array, so whoever fires it loops over it without a wrapper on the delivery path.
 */
export function subscribe<F>(list: F[], fn: F): () => void {
  list.push(fn);
  return () => {
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  };
}
