#!/usr/bin/env python3
"""The hold model in SimPy 3, for comparison with replsim's engine (npm run bench -- --simpy).

The natural SimPy idiom: N processes, each looping `yield env.timeout(delay)` and counting its events, with
delay = ceil(Exponential(mean 1e6)) -- the distribution bench/hold_model.ts draws. N events are pending at
every moment and each processed one schedules one more. As in hold_model.ts, phases are bounded by simulated
time (N/mean events per time unit): a warm-up (which also starts the N processes), then CHUNKS timed chunks;
the figures are the best and the median of the chunks' rates (as in hold_model.ts).

Prints one JSON line: {"python": "3.x", "simpy": "3.x",
"results": [{"pending": N, "eventsPerSecond": BEST, "medianEventsPerSecond": MEDIAN}, ...]}
"""
import argparse
import gc
import json
import math
import platform
import random
import statistics
import time

import simpy

MEAN_DELAY = 1e6  # as MEAN_DELAY in bench/hold_model.ts
CHUNKS = 7  # as CHUNKS in bench/hold_model.ts


def hold_model(pending: int, warmup: int, chunk_events: int, seed: int) -> tuple[float, float]:
    env = simpy.Environment()
    rng = random.Random(seed)
    processed = [0]

    def holder(env, expovariate=rng.expovariate, rate=1.0 / MEAN_DELAY, ceil=math.ceil):
        while True:
            yield env.timeout(ceil(expovariate(rate)))
            processed[0] += 1

    gc.disable()  # creating 1e6 generators otherwise triggers full collections over and over (setup, not timed)
    for _ in range(pending):
        env.process(holder(env))
    gc.enable()

    events_per_unit = pending / MEAN_DELAY
    until = [0.0]

    def advance(events: int) -> float:
        until[0] += math.ceil(events / events_per_unit)
        before = processed[0]
        t0 = time.perf_counter()
        env.run(until=until[0])
        elapsed = time.perf_counter() - t0
        return (processed[0] - before) / elapsed

    advance(warmup)
    gc.collect()
    rates = [advance(chunk_events) for _ in range(CHUNKS)]
    return max(rates), statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description='The hold model in SimPy 3; prints one JSON line.')
    parser.add_argument('--pending', type=int, nargs='+', default=[1000, 100_000, 1_000_000])
    parser.add_argument('--chunk-events', type=int, default=200_000, help='events per timed chunk')
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()
    results = []
    for n in args.pending:
        # The warm-up also runs the N processes' start events (all at time 0, before any hold).
        best, median = hold_model(n, 200_000, args.chunk_events, args.seed)
        results.append({'pending': n, 'eventsPerSecond': round(best), 'medianEventsPerSecond': round(median)})
    print(json.dumps({'python': platform.python_version(), 'simpy': simpy.__version__, 'results': results}))


if __name__ == '__main__':
    main()
