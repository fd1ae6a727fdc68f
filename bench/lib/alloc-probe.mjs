/**
 * Loaded into a process under test (`node --import ./bench/lib/alloc-probe.mjs ...`) when
 * BENCH_ALLOC_FILE is set: on SIGUSR2 it writes the bytes the process has allocated on the V8
 * heap since it started, so the bench can divide the difference over a run by its requests.
 *
 * V8 keeps no running total of allocations; its GC profiler records the used heap before and
 * after each collection, so the total is what each collection found (before) less what the
 * previous one left (after), plus what was used since the last one. Nothing in the service
 * knows about this file.
 */
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import v8 from 'node:v8';

const out = process.env.BENCH_ALLOC_FILE;
if (out) {
  let profiler = new v8.GCProfiler();
  profiler.start();
  let total = 0;
  let lastAfter = v8.getHeapStatistics().used_heap_size;
  let seq = 0;
  process.on('SIGUSR2', () => {
    const data = profiler.stop();
    for (const s of data?.statistics ?? []) {
      total += s.beforeGC.heapStatistics.usedHeapSize - lastAfter;
      lastAfter = s.afterGC.heapStatistics.usedHeapSize;
    }
    const allocatedBytes = total + (v8.getHeapStatistics().used_heap_size - lastAfter);
    profiler = new v8.GCProfiler();
    profiler.start();
    seq += 1;
    writeFileSync(out, JSON.stringify({ seq, allocatedBytes }));
  });
}
