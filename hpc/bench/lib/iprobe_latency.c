/* iprobe_latency.c: why a wait loop of "MPI_Iprobe, else sleep" should probe twice.
 *
 *   mpicc -O2 hpc/bench/lib/iprobe_latency.c -o /tmp/iprobe_latency
 *   mpirun -np 2 /tmp/iprobe_latency
 *
 * Rank 1 sends one message after 5 ms; rank 0 waits for it with "probe, else
 * sleep 1 ms". In Open MPI's ob1, MPI_Iprobe/MPI_Improbe look for a match
 * first and progress the transports after, so a message that this very call's
 * progress pulled in is reported by the next call only: every wake-up then
 * costs one extra sleep. Probing again at once when the first probe fails
 * halves the detection latency. (MPI_Test re-checks after progressing, so
 * request-based waits do not have this problem.) */
#include <mpi.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  const int rounds = 20;
  for (int twice = 0; twice < 2; twice++) {
    double latency = 0;
    int probes = 0;
    for (int it = 0; it < rounds; it++) {
      MPI_Barrier(MPI_COMM_WORLD);
      if (rank == 1) {
        struct timespec s = {0, 5000000 + it * 37000};
        nanosleep(&s, 0);
        double t = now_ms();
        MPI_Send(&t, 1, MPI_DOUBLE, 0, 0, MPI_COMM_WORLD);
      } else if (rank == 0) {
        int flag = 0;
        for (;;) {
          probes++;
          MPI_Iprobe(1, 0, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
          if (!flag && twice) {
            probes++;
            MPI_Iprobe(1, 0, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
          }
          if (flag) break;
          struct timespec s = {0, 1000000};
          nanosleep(&s, 0);
        }
        double t;
        MPI_Recv(&t, 1, MPI_DOUBLE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        latency += now_ms() - t;
      }
    }
    if (rank == 0)
      printf("%-22s mean detection latency %.3f ms with 1 ms sleeps (%.1f probes per message)\n",
             twice ? "probe twice per wake:" : "probe once per wake:", latency / rounds, (double)probes / rounds);
  }
  MPI_Finalize();
  return 0;
}
