/**
 * Seeded randomness for the simulators: mulberry32 (a 32-bit PRNG, tiny and fast; the same seed
 * always gives the same sequence) and FNV-1a to turn a list of parts into a seed, so every
 * campaign of every account gets its own independent, reproducible stream.
 */

export type Rng = () => number;

/** mulberry32: uniform floats in [0, 1). */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a (32 bit) over the parts, separated so `('a', 'bc')` and `('ab', 'c')` differ. */
export function hashSeed(...parts: readonly (string | number)[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    const text = `${String(part)}\u0000`;
    for (let i = 0; i < text.length; i += 1) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  }
  return hash >>> 0;
}

/** One uniform draw in [0, 1) keyed by the parts (no state to carry around). */
export function unitHash(...parts: readonly (string | number)[]): number {
  return mulberry32(hashSeed(...parts))();
}

/** A float in [min, max). */
export function between(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng();
}

/** An integer in [min, max], both inclusive. */
export function intBetween(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** `length` lower-case hex digits. */
export function hex(rng: Rng, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(rng() * 0x10000).toString(16).padStart(4, '0');
  return out.slice(0, length);
}

/** `length` characters from `alphabet`. */
export function randomString(rng: Rng, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet.charAt(Math.floor(rng() * alphabet.length));
  return out;
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick() from an empty list');
  return item;
}

/** Picks an option with probability proportional to its `weight`. */
export function pickWeighted<T extends { readonly weight: number }>(rng: Rng, options: readonly T[]): T {
  const total = options.reduce((sum, option) => sum + option.weight, 0);
  let roll = rng() * total;
  for (const option of options) {
    roll -= option.weight;
    if (roll < 0) return option;
  }
  const last = options[options.length - 1];
  if (last === undefined) throw new Error('pickWeighted() from an empty list');
  return last;
}
