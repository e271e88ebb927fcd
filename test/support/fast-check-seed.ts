/**
 * vitest setupFile: the seed of property checks that do not name one (assertScenarioProperty, fc.assert).
 * The default run is reproducible (seed 5, as before seeds became random by default); the deep run draws a
 * random one and prints it; REPLSIM_PROPERTY_SEED=N picks one (to replay what a deep run printed).
 */
import fc from 'fast-check';

const fromEnv = process.env.REPLSIM_PROPERTY_SEED;
const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : process.env.REPLSIM_DEEP ? (Date.now() ^ (Math.random() * 0x100000000)) | 0 : 5;
if (!Number.isSafeInteger(seed)) throw new Error(`REPLSIM_PROPERTY_SEED=${JSON.stringify(fromEnv)} is not an integer`);
if (process.env.REPLSIM_DEEP && fromEnv === undefined) process.stderr.write(`property seed ${seed} (REPLSIM_PROPERTY_SEED=${seed} replays it)\n`);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
