export * from './time.ts';
export * from './queue.ts';
export * from './simulation.ts';
export * from './fluid.ts';
export * from './random.ts';
export * from './invariant.ts';
