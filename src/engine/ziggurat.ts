/**
 * Exponential(1) variates by the ziggurat method (G. Marsaglia and W. W. Tsang, "The Ziggurat Method for
 * Generating Random Variables", Journal of Statistical Software 5(8), 2000, section 4 and its REXP/efix).
 * About 99 % of draws take one 32-bit uniform, a table lookup and a multiplication; the rest fall back to
 * the exact rejection step (or, in the tail past 7.69711, the memoryless tail). Against -log(1 - U) it saves
 * the logarithm and the second 32-bit draw a 53-bit double needs: the kernel's hold benchmark draws one per
 * event. Resolution is that of a 32-bit uniform, far below a microsecond at any mean a model uses.
 */
const LEVELS = 256;
const M2 = 4294967296; // 2^32
/** The rightmost layer's x (r) and every layer's area (v), for 256 layers (Marsaglia and Tsang, table 1). */
const R = 7.697117470131487;
const V = 3.949659822581572e-3;

const ke = new Float64Array(LEVELS);
const we = new Float64Array(LEVELS);
const fe = new Float64Array(LEVELS);
{
  let de = R;
  let te = R;
  const q = V / Math.exp(-de);
  ke[0] = (de / q) * M2;
  ke[1] = 0;
  we[0] = q / M2;
  we[LEVELS - 1] = de / M2;
  fe[0] = 1;
  fe[LEVELS - 1] = Math.exp(-de);
  for (let i = LEVELS - 2; i >= 1; i--) {
    de = -Math.log(V / de + Math.exp(-de));
    ke[i + 1] = (de / te) * M2;
    te = de;
    fe[i] = Math.exp(-de);
    we[i] = de / M2;
  }
}

/** A sampler of Exponential(1) drawing unsigned 32-bit integers from `uint32`. */
export function exponentialSampler(uint32: () => number): () => number {
  const uniform = (): number => (uint32() + 0.5) / M2; // in (0, 1): never 0, so the log is finite
  const fallback = (jz: number, iz: number): number => {
    for (;;) {
      if (iz === 0) return R - Math.log(uniform()); // the tail beyond R, memoryless
      const x = jz * we[iz]!;
      if (fe[iz]! + uniform() * (fe[iz - 1]! - fe[iz]!) < Math.exp(-x)) return x;
      jz = uint32();
      iz = jz & (LEVELS - 1);
      if (jz < ke[iz]!) return jz * we[iz]!;
    }
  };
  return () => {
    const jz = uint32();
    const iz = jz & (LEVELS - 1);
    return jz < ke[iz]! ? jz * we[iz]! : fallback(jz, iz);
  };
}
