/**
 * CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF.
 *
 * Castagnoli rather than the zlib CRC-32 because its Hamming distance is better at the record sizes
 * the journal writes, and it is the checksum iSCSI, ext4, Btrfs and most storage engines use, so a
 * journal segment can be checked with stock tools.
 *
 * Slicing-by-8: eight 256-entry tables let the main loop consume eight bytes per iteration with
 * independent table lookups. The tables are built once at module load; a call allocates nothing.
 */

const POLY = 0x82f63b78;

/** TABLES[k * 256 + b]: the CRC contribution of byte b followed by k zero bytes. */
const TABLES = new Int32Array(8 * 256);

for (let b = 0; b < 256; b++) {
  let c = b;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLES[b] = c;
}
for (let b = 0; b < 256; b++) {
  let c = TABLES[b]!;
  for (let k = 1; k < 8; k++) {
    c = TABLES[c & 0xff]! ^ (c >>> 8);
    TABLES[k * 256 + b] = c;
  }
}

const T0 = TABLES.subarray(0, 256);
const T1 = TABLES.subarray(256, 512);
const T2 = TABLES.subarray(512, 768);
const T3 = TABLES.subarray(768, 1024);
const T4 = TABLES.subarray(1024, 1280);
const T5 = TABLES.subarray(1280, 1536);
const T6 = TABLES.subarray(1536, 1792);
const T7 = TABLES.subarray(1792, 2048);

/**
 * CRC-32C of `bytes[start, end)`, as an unsigned 32-bit integer.
 *
 * `previous` continues a checksum: `crc32c(b, 4, 8, crc32c(b, 0, 4))` equals `crc32c(b, 0, 8)`,
 * which is how the journal checksums a record's length and its seq + payload without copying them
 * together.
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  if (start < 0 || end > bytes.length || start > end) {
    throw new RangeError(`crc32c: range [${start}, ${end}) is outside a ${bytes.length}-byte array`);
  }
  let c = ~previous;
  let i = start;
  const stop8 = end - 7;
  while (i < stop8) {
    const lo = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c =
      T7[lo & 0xff]! ^
      T6[(lo >>> 8) & 0xff]! ^
      T5[(lo >>> 16) & 0xff]! ^
      T4[lo >>> 24]! ^
      T3[bytes[i + 4]!]! ^
      T2[bytes[i + 5]!]! ^
      T1[bytes[i + 6]!]! ^
      T0[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T0[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
