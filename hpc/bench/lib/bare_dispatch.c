/* bare_dispatch.c - the floor for dispatch per trivial task: a bare MPI
 * master/worker loop, no library, what rankpool's apply_async at chunksize 1
 * is compared with in dispatch_bare.sh.
 *
 *   mpicc -O2 -o bare_dispatch bare_dispatch.c
 *   mpirun -np 3 ./bare_dispatch TASKS [DEPTH]
 *
 * Rank 0 hands out task indices 0..TASKS-1, one per message (MPI_Isend of
 * one uint64), keeping DEPTH (default 1) tasks outstanding per worker; each
 * worker receives an index, "runs" the trivial task (returns the index) and
 * sends it back (MPI_Send). The master waits for any reply (MPI_Recv from
 * MPI_ANY_SOURCE), counts it and sends that worker the next index. A stop
 * message (tag 1) ends each worker. The timing runs from the first hand-out
 * to the last reply (MPI_Wtime, after a barrier: start-up excluded), as
 * rankpool's wall_seconds does. Prints one JSON line:
 *   {"tasks":N,"workers":W,"depth":D,"wall_seconds":S,"us_per_task":U,"ok":true}
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { kTagTask = 0, kTagStop = 1 };

static int serve(void) {
  for (;;) {
    uint64_t index;
    MPI_Status status;
    MPI_Recv(&index, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    if (status.MPI_TAG == kTagStop) return 0;
    MPI_Send(&index, 1, MPI_UINT64_T, 0, kTagTask, MPI_COMM_WORLD);
  }
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  uint64_t tasks = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
  int depth = argc > 2 ? atoi(argv[2]) : 1;
  if (size < 2 || depth < 1) {
    if (rank == 0) fprintf(stderr, "bare_dispatch: error: needs at least 2 ranks and DEPTH >= 1\n");
    MPI_Finalize();
    return 2;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank != 0) {
    int rc = serve();
    MPI_Finalize();
    return rc;
  }
  const int workers = size - 1;
  const size_t slots = (size_t)workers * (size_t)depth;
  uint64_t* out = malloc(slots * sizeof *out);   // one send buffer per outstanding task
  MPI_Request* sends = malloc(slots * sizeof *sends);
  for (size_t i = 0; i < slots; ++i) sends[i] = MPI_REQUEST_NULL;
  uint64_t next = 0, done = 0, checksum = 0;
  const double t0 = MPI_Wtime();
  for (int d = 0; d < depth; ++d)
    for (int w = 1; w <= workers && next < tasks; ++w) {
      size_t slot = (size_t)(w - 1) * depth + d;
      out[slot] = next++;
      MPI_Isend(&out[slot], 1, MPI_UINT64_T, w, kTagTask, MPI_COMM_WORLD, &sends[slot]);
    }
  while (done < tasks) {
    uint64_t result;
    MPI_Status status;
    MPI_Recv(&result, 1, MPI_UINT64_T, MPI_ANY_SOURCE, kTagTask, MPI_COMM_WORLD, &status);
    ++done;
    checksum += result;
    const int w = status.MPI_SOURCE;
    if (next < tasks) {
      // A free send slot of this worker: an unused one, else one whose send
      // has completed (the reply proves the worker received one of them).
      MPI_Request* mine = &sends[(size_t)(w - 1) * depth];
      int d = 0;
      while (d < depth && mine[d] != MPI_REQUEST_NULL) ++d;
      if (d == depth) MPI_Waitany(depth, mine, &d, MPI_STATUS_IGNORE);
      const size_t slot = (size_t)(w - 1) * depth + (size_t)d;
      out[slot] = next++;
      MPI_Isend(&out[slot], 1, MPI_UINT64_T, w, kTagTask, MPI_COMM_WORLD, &sends[slot]);
    }
  }
  const double wall = MPI_Wtime() - t0;
  MPI_Waitall((int)slots, sends, MPI_STATUSES_IGNORE);
  for (int w = 1; w <= workers; ++w) MPI_Send(NULL, 0, MPI_UINT64_T, w, kTagStop, MPI_COMM_WORLD);
  const int ok = checksum == (tasks ? tasks * (tasks - 1) / 2 : 0);
  printf("{\"tasks\":%llu,\"workers\":%d,\"depth\":%d,\"wall_seconds\":%.9f,\"us_per_task\":%.6f,\"ok\":%s}\n",
         (unsigned long long)tasks, workers, depth, wall, tasks ? wall * 1e6 / (double)tasks : 0.0,
         ok ? "true" : "false");
  fflush(stdout);
  free(sends);
  free(out);
  MPI_Finalize();
  return ok ? 0 : 1;
}
