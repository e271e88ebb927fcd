import seedrandom from 'seedrandom';
import { exponentialSampler } from './ziggurat.ts';

/** A reproducible stream of uniform numbers in [0, 1). */
export interface RandomStream {
  next(): number;
  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number;
  /** Uniform integer in [lo, hi]. */
  integer(lo: number, hi: number): number;
}

/**
 * One independent stream per named source, each derived from the scenario seed and the source's name, so
 * that adding a component or a draw in one place never changes another component's draws (TigerBeetle).
 */
export class RandomStreams {
  private readonly streams = new Map<string, RandomStream>();

  constructor(readonly seed: number) {}

  stream(name: string): RandomStream {
    let s = this.streams.get(name);
    if (!s) {
      // xor4096 (Brent's xorgens): a long period and four times faster than seedrandom's default ARC4,
      // which matters on the event loop's hot path (a draw per event in the hold-model benchmark).
      const prng = seedrandom.xor4096(`replsim:${this.seed}:${name}`);
      const exp1 = exponentialSampler(() => prng.int32() >>> 0);
      s = {
        next: () => prng.double(),
        exponential: (mean) => exp1() * mean,
        integer: (lo, hi) => lo + Math.floor(prng.double() * (hi - lo + 1)),
      };
      this.streams.set(name, s);
    }
    return s;
  }
}

/**
 * Streams named after a key and looked up by the key itself, for hot paths (a health probe at every check)
 * that would otherwise build a name per draw. The same name gives the same stream as RandomStreams.stream.
 */
export class KeyedStreams<K> {
  private readonly byKey = new Map<K, RandomStream>();

  constructor(
    private readonly streams: RandomStreams,
    private readonly name: (key: K) => string,
  ) {}

  get(key: K): RandomStream {
    let s = this.byKey.get(key);
    if (!s) {
      s = this.streams.stream(this.name(key));
      this.byKey.set(key, s);
    }
    return s;
  }
}
